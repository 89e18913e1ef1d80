"""Reads of the renewal plan pages (province only, so not scoped further): the plans with
their counts, applications per stage, the applications still with an office, and the cards
that lose their qualification when the plan closes, each with the reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from portal.audit.models import AuditEvent
from portal.cards.models import Card
from portal.extensions import db
from portal.people.models import Person
from portal.renewals.models import RenewalApplication, RenewalPlan
from portal.renewals.queries import eligible_cards_select, not_completed_select
from portal.renewals.rules import RenewalStage

#: Stages where an application is with an office (unit, initial reviewer, province): the plan
#: cannot close while any is, the review must end first.
IN_OFFICE = (RenewalStage.UNIT_REVIEW, RenewalStage.INITIAL_REVIEW,
             RenewalStage.INITIAL_APPROVED, RenewalStage.PROVINCE_REVIEW)

#: Why a card is on the close list, for the stages that ended without a renewal.
_ENDED = {
    RenewalStage.REJECTED: "初审不通过",
    RenewalStage.UNIT_DECLINED: "申报单位不同意",
    RenewalStage.WITHDRAWN: "已撤回",
}


def plan_of_year(year: int) -> RenewalPlan | None:
    return db.session.scalar(select(RenewalPlan).where(RenewalPlan.year == year))


@dataclass(frozen=True)
class Phase:
    """Where a plan is on a day, as a badge: the label and its CSS modifier."""

    label: str
    css: str


def phase(plan: RenewalPlan, today: date) -> Phase:
    """未发布 / 未开始 / 报名中 / 报名已截止 (待结束) / 已结束 on ``today``."""
    if plan.closed_at is not None:
        return Phase("已结束", "badge-off")
    if plan.published_at is None:
        return Phase("未发布", "badge-off")
    if today < plan.opens_on:
        return Phase("未开始", "")
    if today <= plan.closes_on:
        return Phase("报名中", "ok")
    return Phase("报名已截止，待结束", "warn")


def plans() -> list[RenewalPlan]:
    return list(db.session.scalars(select(RenewalPlan).order_by(RenewalPlan.year.desc())))


def application_counts() -> dict[int, dict[str, int]]:
    """Per plan id: ``total`` applications and how many were ``renewed``."""
    rows = db.session.execute(
        select(RenewalApplication.plan_id, RenewalApplication.stage, func.count())
        .group_by(RenewalApplication.plan_id, RenewalApplication.stage)).all()
    counts: dict[int, dict[str, int]] = {}
    for plan_id, stage, n in rows:
        entry = counts.setdefault(plan_id, {"total": 0, "renewed": 0})
        entry["total"] += n
        if stage == RenewalStage.RENEWED.value:
            entry["renewed"] += n
    return counts


def eligible_count(plan: RenewalPlan) -> int:
    """Cards renewable under ``plan`` now (:func:`portal.renewals.queries
    .eligible_cards_select`); renewed and revoked cards have left the set."""
    return db.session.scalar(select(func.count()).select_from(
        eligible_cards_select(plan).subquery()))


def stage_counts(plan: RenewalPlan) -> list[tuple[RenewalStage, int]]:
    """Every stage with the number of the plan's applications in it, in workflow order."""
    rows = dict(db.session.execute(
        select(RenewalApplication.stage, func.count())
        .where(RenewalApplication.plan_id == plan.id)
        .group_by(RenewalApplication.stage)).all())
    return [(stage, rows.get(stage.value, 0)) for stage in RenewalStage]


def _in_office(plan: RenewalPlan) -> Select:
    return select(RenewalApplication).where(
        RenewalApplication.plan_id == plan.id,
        RenewalApplication.stage.in_([s.value for s in IN_OFFICE]))


def in_office_count(plan: RenewalPlan) -> int:
    return db.session.scalar(select(func.count()).select_from(_in_office(plan).subquery()))


def in_office(plan: RenewalPlan, limit: int = 200) -> list[RenewalApplication]:
    """The plan's applications still with an office, longest waiting first."""
    return list(db.session.scalars(
        _in_office(plan).options(joinedload(RenewalApplication.card),
                                 joinedload(RenewalApplication.unit),
                                 joinedload(RenewalApplication.region))
        .order_by(RenewalApplication.stage_since, RenewalApplication.id).limit(limit)))


def not_completed_count(plan: RenewalPlan) -> int:
    return db.session.scalar(select(func.count()).select_from(
        not_completed_select(plan).subquery()))


def not_completed_list(plan: RenewalPlan) -> Select:
    """:func:`portal.renewals.queries.not_completed_select` with the holder and occupation,
    earliest expiry first (for a paged list)."""
    return (not_completed_select(plan)
            .join(Person, Person.id == Card.person_id)
            .options(joinedload(Card.person), joinedload(Card.occupation))
            .order_by(Card.valid_until, Person.name, Card.id))


def reason_label(stage: str | None) -> str:
    """Why a card of the close list is there, from the stage of its application under the
    plan (None: no application): 未申请, 初审不通过, 申报单位不同意, 已撤回, or 申请未完成：the
    stage, for an application that stayed open (a draft, returned to the holder, or still
    with an office)."""
    if stage is None:
        return "未申请"
    stage = RenewalStage(stage)
    return _ENDED.get(stage) or f"申请未完成：{stage.label}"


def reasons(plan: RenewalPlan, cards: list[Card]) -> dict[int, str]:
    """:func:`reason_label` for each of ``cards`` (one query)."""
    stages = dict(db.session.execute(
        select(RenewalApplication.card_id, RenewalApplication.stage)
        .where(RenewalApplication.plan_id == plan.id,
               RenewalApplication.card_id.in_([c.id for c in cards]))).all())
    return {c.id: reason_label(stages.get(c.id)) for c in cards}


def reason_counts(plan: RenewalPlan) -> list[tuple[str, int]]:
    """How many cards of the close list there are for each reason, largest first."""
    counts: dict[str, int] = {}
    ids = not_completed_select(plan).with_only_columns(Card.id).subquery()
    stages = dict(db.session.execute(
        select(RenewalApplication.card_id, RenewalApplication.stage)
        .where(RenewalApplication.plan_id == plan.id,
               RenewalApplication.card_id.in_(select(ids.c.id)))).all())
    total = not_completed_count(plan)
    for stage in stages.values():
        label = reason_label(stage)
        counts[label] = counts.get(label, 0) + 1
    if total - len(stages):
        counts["未申请"] = total - len(stages)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def close_event(plan: RenewalPlan) -> AuditEvent | None:
    """The audit event of the plan's close (how many cards it revoked)."""
    return db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "renewal_plan.close",
                                 AuditEvent.entity_type == "renewal_plan",
                                 AuditEvent.entity_id == str(plan.id))
        .order_by(AuditEvent.id.desc()).limit(1))
