"""State changes of cards (set, flush, audit). The caller commits."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from portal.audit.operations import record
from portal.cards.models import CARD_LEVELS, CARD_ORIGINS, Card
from portal.cards.numbering import next_card_number
from portal.cards.rules import COLLECTION_WORKDAYS, valid_until
from portal.extensions import db
from portal.workdays import WorkdayCalendar


class CardError(ValueError):
    """A card change that the rules forbid; the message is Chinese, for the user."""


def issue_card(person, occupation, level: str, issued_on: date, *, origin: str,
               actor_id: int | None, number: str | None = None,
               collected_on: date | None = None) -> Card:
    """Issue a card to ``person`` — the one way a card comes to exist (by hand, from training
    results, from a renewal, from the old system's records).

    Validity is three years from ``issued_on`` (:func:`portal.cards.rules.valid_until`); the
    collection deadline is 60 working days after it, provisional while that reaches a year
    whose calendar is not maintained. ``number`` defaults to the next free number of the issue
    year (:func:`portal.cards.numbering.next_card_number`); an imported card keeps its old
    number. ``collected_on`` is for imported cards already handed out. Audited as
    ``card.issue``; the caller commits.
    """
    if level not in CARD_LEVELS:
        raise CardError(f"证卡级别只能是 {'、'.join(CARD_LEVELS)}")
    if origin not in CARD_ORIGINS:
        raise CardError("未知的证卡来源")
    deadline = WorkdayCalendar().deadline_after_workdays(issued_on, COLLECTION_WORKDAYS)
    card = Card(
        number=number or next_card_number(issued_on.year), person=person,
        occupation=occupation, level=level, issued_on=issued_on,
        valid_until=valid_until(issued_on), collection_deadline=deadline.day,
        deadline_provisional=deadline.provisional, origin=origin,
        collected_on=collected_on,
    )
    db.session.add(card)
    record("card.issue", card, actor_id=actor_id,
           after={"number": card.number, "person": person.name, "level": level,
                  "occupation": occupation.name, "issued_on": issued_on,
                  "valid_until": card.valid_until,
                  "collection_deadline": card.collection_deadline, "origin": origin})
    return card


@dataclass(frozen=True)
class Recomputed:
    number: str
    holder: str
    old: date
    new: date
    still_provisional: bool


def recompute_provisional_deadlines() -> list[Recomputed]:
    """Recount every provisional collection deadline with the calendar as it now stands.

    Called after the admin changes the working-day calendar (DESIGN.md "Provisional
    deadlines"). A deadline whose year is now maintained becomes real; one that still reaches
    an unmaintained year is re-estimated. Returns what changed, for the calendar page.
    """
    calendar = WorkdayCalendar()
    changed = []
    cards = db.session.scalars(
        select(Card).where(Card.deadline_provisional).order_by(Card.collection_deadline, Card.id)
    )
    for card in cards:
        deadline = calendar.deadline_after_workdays(card.issued_on, COLLECTION_WORKDAYS)
        if (deadline.day, deadline.provisional) == (card.collection_deadline, True):
            continue
        old = card.collection_deadline
        card.collection_deadline = deadline.day
        card.deadline_provisional = deadline.provisional
        record("card.deadline_recompute", card,
               before={"collection_deadline": old, "provisional": True},
               after={"collection_deadline": deadline.day, "provisional": deadline.provisional,
                      "number": card.number})
        changed.append(Recomputed(card.number, card.person.name, old, deadline.day,
                                  deadline.provisional))
    return changed
