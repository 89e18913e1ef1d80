"""Issuing a card: the number scheme, the dates of the rules, the audit event."""

from datetime import date

import pytest
from factories import create_person, occupation
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.cards.operations import CardError, issue_card
from portal.extensions import db


def test_issue_card_numbers_dates_and_audit(app):
    person = create_person("赵发证", seq=77)
    first = issue_card(person, occupation("电工"), "考评员", date(2026, 4, 10),
                       origin="training", actor_id=None)
    second = issue_card(person, occupation("焊工"), "高级考评员", date(2026, 5, 6),
                        origin="renewal", actor_id=None)
    db.session.commit()
    assert first.valid_until == date(2029, 4, 10)
    assert first.number.startswith("川考评-2026-")
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1
    assert first.collection_deadline > first.issued_on and not first.deadline_provisional
    [event] = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "card.issue", AuditEvent.entity_id == str(first.id))).all()
    assert event.after["number"] == first.number


def test_issue_card_refuses_an_unknown_level(app):
    person = create_person("钱发证", seq=78)
    with pytest.raises(CardError, match="证卡级别"):
        issue_card(person, occupation("电工"), "特级", date(2026, 4, 10), origin="training",
                   actor_id=None)
