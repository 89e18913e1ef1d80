"""Reads for renewals: the plan in force, which cards may be renewed, what a submission
lacks, and the records the term report is computed from (sheets, refusals, violations)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, exists, select
from sqlalchemy.orm import aliased

from portal.batches.models import Assignment, EvaluationBatch
from portal.cards.models import Card
from portal.cards.queries import is_banned
from portal.extensions import db
from portal.renewals.models import RenewalApplication, RenewalPlan, Violation
from portal.renewals.rules import (
    MIN_WORK_SUMMARY,
    RENEWAL_FINAL_STAGES,
    Finding,
    RefusalRecord,
    RenewalStage,
    SheetRecord,
    ViolationKind,
    ViolationRecord,
    card_eligible,
    disqualification_findings,
    term_window,
    work_summary_length,
)
from portal.sheets.models import EvaluationSheet
from portal.timeutil import to_local

__all__ = [
    "TermRecords",
    "current_plan",
    "eligible_cards_select",
    "holder_problems",
    "submission_problems",
    "term_records",
    "term_report",
]


def current_plan(today: date) -> RenewalPlan | None:
    """The published plan of ``today``'s year, if any."""
    return db.session.scalar(
        select(RenewalPlan).where(RenewalPlan.year == today.year,
                                  RenewalPlan.published_at.is_not(None)))


def _usable_card():
    """Cards that were a usable qualification: collected, never voided, revoked or renewed,
    and not replaced by a later card of the same holder in the same occupation."""
    newer = aliased(Card)
    return and_(
        Card.collected_on.is_not(None), Card.voided_on.is_(None), Card.revoked_on.is_(None),
        Card.superseded_on.is_(None),
        ~exists().where(newer.person_id == Card.person_id,
                        newer.occupation_id == Card.occupation_id,
                        newer.issued_on > Card.issued_on,
                        newer.voided_on.is_(None)),
    )


def eligible_cards_select(plan: RenewalPlan) -> Select:
    """``select(Card)`` of every card renewable under ``plan`` (validity ended by the cut-off,
    usable — :func:`portal.renewals.rules.card_eligible` in SQL). The holder's own
    conditions (retired, banned) are separate: :func:`holder_problems`."""
    return select(Card).where(Card.valid_until <= plan.expiry_cutoff, _usable_card())


def card_renewable(card: Card, plan: RenewalPlan) -> bool:
    """Whether ``card`` itself may be renewed under ``plan``."""
    usable = db.session.scalar(select(Card.id).where(Card.id == card.id, _usable_card()))
    return card_eligible(valid_until=card.valid_until, expiry_cutoff=plan.expiry_cutoff,
                         usable=usable is not None)


def holder_problems(person) -> list[str]:
    """Why ``person`` may not renew at all (notice §三(一) "未办理退休手续"; a ban on
    applying, notice §五(一)), in Chinese; empty when none."""
    problems = []
    if person.retired:
        problems.append("已办理退休手续，不属于复核对象")
    if is_banned(person.id):
        problems.append("已被永久取消申报资格")
    return problems


def submission_problems(application: RenewalApplication) -> list[str]:
    """What stops ``application`` from being submitted, in Chinese (empty when it may go):
    the holder's and the card's eligibility, the work summary's length, the declarations
    and the three uploads (photo, ID copy, card scan; notice §三(三))."""
    problems = holder_problems(application.person)
    if not card_renewable(application.card, application.plan):
        problems.append("该证卡不在本次复核换证范围内（须为已领取、未注销的证卡，"
                        "且有效期于截止日前届满）")
    length = work_summary_length(application.work_summary or "")
    if length < MIN_WORK_SUMMARY:
        problems.append(f"考评工作总结不少于{MIN_WORK_SUMMARY}字（当前{length}字）")
    if not application.declares_health:
        problems.append("请声明身体健康")
    if not application.declares_no_incident:
        problems.append("请声明具有良好职业道德、无考评事故经历")
    for attr, label in (("photo_id", "个人照片"), ("id_copy_id", "身份证"),
                        ("card_scan_id", "考评员证卡")):
        if getattr(application, attr) is None:
            problems.append(f"请上传{label}")
    return problems


def open_application(card_id: int, plan_id: int) -> RenewalApplication | None:
    """The application for ``card_id`` under ``plan_id``, if any."""
    return db.session.scalar(select(RenewalApplication).where(
        RenewalApplication.card_id == card_id, RenewalApplication.plan_id == plan_id))


@dataclass(frozen=True)
class TermRecords:
    """The records the term report is computed from, keyed by id for the links."""

    sheets: dict[int, EvaluationSheet]
    refusals: dict[int, Assignment]
    violations: dict[int, Violation]

    @property
    def sheet_records(self) -> list[SheetRecord]:
        return [SheetRecord(id=s.id, finalised_on=to_local(s.finalised_at).date(),
                            grade=s.grade) for s in self.sheets.values()]

    @property
    def refusal_records(self) -> list[RefusalRecord]:
        return [RefusalRecord(id=a.id, on=a.refusal_day, justified=bool(a.reason_justified))
                for a in self.refusals.values()]

    @property
    def violation_records(self) -> list[ViolationRecord]:
        return [ViolationRecord(id=v.id, on=v.occurred_on, kind=v.kind)
                for v in self.violations.values()]


def term_records(person_id: int) -> TermRecords:
    """The examiner's finalised sheets, judged refusals and confirmed violations of rules
    3–7 (the rule functions pick the windows)."""
    sheets = db.session.scalars(
        select(EvaluationSheet).where(EvaluationSheet.person_id == person_id,
                                      EvaluationSheet.finalised_at.is_not(None),
                                      EvaluationSheet.grade.is_not(None))
        .order_by(EvaluationSheet.finalised_at)).all()
    refusals = db.session.scalars(
        select(Assignment).join(EvaluationBatch)
        .where(Assignment.person_id == person_id, Assignment.answer == "refused",
               Assignment.reason_justified.is_not(None))
        .order_by(Assignment.id)).all()
    violations = db.session.scalars(
        select(Violation).where(Violation.person_id == person_id,
                                Violation.status == "confirmed",
                                Violation.kind.in_([k.value for k in ViolationKind]))
        .order_by(Violation.occurred_on, Violation.id)).all()
    return TermRecords(sheets={s.id: s for s in sheets}, refusals={a.id: a for a in refusals},
                       violations={v.id: v for v in violations})


@dataclass(frozen=True)
class TermReport:
    """The term report of a renewal application: the findings, the records behind them, and
    how much evaluation work the examiner did in the 12-month window."""

    window: tuple[date, date]
    findings: list[Finding]
    records: TermRecords
    sheets_in_window: int
    poor_in_window: int
    unjustified_in_window: int


def applied_on(application: RenewalApplication) -> date:
    """The day the term is counted back from: the (first) submission, or today's date for
    an application not submitted yet."""
    from portal.timeutil import local_today

    if application.submitted_at is None:
        return local_today()
    return to_local(application.submitted_at).date()


def term_report(application: RenewalApplication) -> TermReport:
    """Rules 1–7 of notice §三(五) for ``application`` (:func:`disqualification_findings`
    over the 12 months before it was submitted; violations over the old card's term)."""
    day = applied_on(application)
    records = term_records(application.person_id)
    findings = disqualification_findings(
        sheets=records.sheet_records, refusals=records.refusal_records,
        violations=records.violation_records, applied_on=day,
        term_start=application.card.issued_on)
    start, end = term_window(day)
    in_window = [s for s in records.sheet_records if start <= s.finalised_on <= end]
    return TermReport(
        window=(start, end), findings=findings, records=records,
        sheets_in_window=len(in_window),
        poor_in_window=sum(1 for s in in_window if s.grade == "差"),
        unjustified_in_window=sum(1 for r in records.refusal_records
                                  if not r.justified and start <= r.on <= end))


def not_completed_select(plan: RenewalPlan) -> Select:
    """``select(Card)``: the eligible cards of ``plan`` that were not renewed — no
    application, or one that ended without renewal or is still open (what the province
    confirms for revocation when the plan closes, notice §三(四)4). Retired holders'
    cards are included: they lose the qualification as well."""
    renewed = select(RenewalApplication.card_id).where(
        RenewalApplication.plan_id == plan.id,
        RenewalApplication.stage.in_([RenewalStage.RENEWED.value, RenewalStage.REVOKED.value]))
    return eligible_cards_select(plan).where(Card.id.not_in(renewed))


FINAL = frozenset(s.value for s in RENEWAL_FINAL_STAGES)
