"""Reads for applications: the records eligibility is judged on, and what a submission lacks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from portal.applications.models import Application
from portal.applications.rules import (
    SENIOR_EXAMINER,
    Eligibility,
    eligibility_for_examiner,
    eligibility_for_senior,
)
from portal.cards.models import Card
from portal.cards.queries import is_banned
from portal.cards.rules import CardStatus
from portal.extensions import db
from portal.sheets.models import EvaluationSheet
from portal.timeutil import to_local

#: Statuses of a card that count as "持有有效的考评员证卡" for a 高级考评员 application.
_HELD = (CardStatus.VALID, CardStatus.EXPIRING)


@dataclass(frozen=True)
class EligibilityRecords:
    """The records behind a verdict, shown with it (notice §二(一)3)."""

    banned: bool
    examiner_card: Card | None  # a valid 考评员 card in the occupation, if any
    first_finalised_sheet_on: date | None


def records_for(person_id: int, occupation_id: int, today: date) -> EligibilityRecords:
    cards = db.session.scalars(
        select(Card).where(Card.person_id == person_id, Card.occupation_id == occupation_id)
        .order_by(Card.valid_until.desc())).all()
    card = next((c for c in cards if c.status(today) in _HELD), None)
    first = db.session.scalar(
        select(func.min(EvaluationSheet.finalised_at))
        .where(EvaluationSheet.person_id == person_id,
               EvaluationSheet.finalised_at.is_not(None)))
    return EligibilityRecords(banned=is_banned(person_id), examiner_card=card,
                              first_finalised_sheet_on=to_local(first).date() if first else None)


def eligibility_of(*, person_id: int, level: str, occupation_id: int | None,
                   qualification_level: int | None, title_level: int | None,
                   today: date) -> tuple[Eligibility, EligibilityRecords | None]:
    """The verdict for an application being filled in (or submitted), with its records."""
    if occupation_id is None:
        records = None
        banned = is_banned(person_id)
    else:
        records = records_for(person_id, occupation_id, today)
        banned = records.banned
    if level == SENIOR_EXAMINER:
        verdict = eligibility_for_senior(
            qualification_level=qualification_level, title_level=title_level,
            has_valid_examiner_card=bool(records and records.examiner_card),
            first_finalised_sheet_on=records.first_finalised_sheet_on if records else None,
            applied_on=today, banned=banned)
    else:
        verdict = eligibility_for_examiner(qualification_level=qualification_level,
                                           title_level=title_level, banned=banned)
    return verdict, records


def submission_problems(application: Application, today: date) -> list[str]:
    """What stops ``application`` from being submitted, in Chinese (empty when it may go):
    the plan's levels and occupations, the uploads Attachment 1 needs, the signed form, and
    the eligibility rules."""
    problems = []
    plan = application.plan
    if application.level not in plan.level_list:
        problems.append(f"本期培训计划不含“{application.level}”级别")
    if application.occupation_id not in {o.id for o in plan.occupations}:
        problems.append("本期培训计划不含所选职业（工种）")
    required = [(application.id_copy_id, "身份证复印件"),
                (application.certificate_copy_id, "职业资格证书或职称证书复印件"),
                (application.photo_id, "照片"),
                (application.signed_form_id, "签字盖章的申报表扫描件")]
    if application.level == SENIOR_EXAMINER:
        required.append((application.card_copy_id, "考评员证卡复印件"))
    problems += [f"请上传{name}" for upload, name in required if upload is None]
    verdict, _ = eligibility_of(
        person_id=application.person_id, level=application.level,
        occupation_id=application.occupation_id,
        qualification_level=application.qualification_level,
        title_level=application.title_level, today=today)
    problems += verdict.failures
    return problems

