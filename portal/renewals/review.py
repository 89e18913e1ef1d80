"""The offices' side of a renewal application: the initial reviewer's decisions on the term
report (notice §三(四)3 "任期内工作情况核实"; DESIGN.md "Explainable verdicts": each finding is
confirmed, or overridden with a reason), the moves made from the review page, the unit's
stamped Attachment 3, and the work queues.
The caller commits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import selectinload

from portal.audit.operations import record
from portal.auth.roles import Role
from portal.cards.models import Card
from portal.catalogue.models import Region
from portal.extensions import db
from portal.renewals.models import (
    RenewalApplication,
    RenewalFinding,
    RenewalPlan,
    RenewalStep,
)
from portal.renewals.operations import apply_action, capacities
from portal.renewals.queries import term_report
from portal.renewals.rules import (
    RULE_TITLES,
    Finding,
    IllegalRenewalMove,
    RenewalAction,
    RenewalCapacity,
    RenewalStage,
    renewal_actions,
)
from portal.scope import visible, visible_select
from portal.timeutil import utcnow

DECISIONS = {"confirmed": "确认存在", "overridden": "不予认定"}


def _ids(finding: Finding) -> list:
    return sorted(finding.record_ids)


def decision_for(application: RenewalApplication, finding: Finding) -> RenewalFinding | None:
    """The reviewer's decision on ``finding``, if one was taken on the same records; a
    decision taken when other records were behind the rule does not count any more."""
    for row in application.findings:
        if row.rule == finding.rule and sorted(row.record_ids) == _ids(finding):
            return row
    return None


def undecided_or_confirmed(application: RenewalApplication) -> tuple[list[int], list[int]]:
    """The rules of the live term report with no (current) decision, and those confirmed."""
    undecided, confirmed = [], []
    for finding in term_report(application).findings:
        row = decision_for(application, finding)
        if row is None:
            undecided.append(finding.rule)
        elif row.decision == "confirmed":
            confirmed.append(finding.rule)
    return undecided, confirmed


def decide_finding(application: RenewalApplication, rule: int, decision: str, reason: str, *,
                   actor_id: int) -> RenewalFinding:
    """Record the reviewer's ``decision`` ('confirmed' or 'overridden') on the live finding of
    ``rule``; an override needs a reason. Replaces an earlier decision on that rule. Audited
    as ``renewal.finding``. Raises :class:`IllegalRenewalMove` with a Chinese message."""
    if application.stage != RenewalStage.INITIAL_REVIEW.value:
        raise IllegalRenewalMove("只有待初审的申请可以核实任期内工作情况。")
    if decision not in DECISIONS:
        raise IllegalRenewalMove("请选择“确认存在”或“不予认定”。")
    reason = (reason or "").strip()
    if decision == "overridden" and not reason:
        raise IllegalRenewalMove("不予认定须填写理由。")
    if len(reason) > 300:
        raise IllegalRenewalMove("理由不超过300字。")
    finding = next((f for f in term_report(application).findings if f.rule == rule), None)
    if finding is None:
        raise IllegalRenewalMove(f"任期核实报告中没有第{rule}项情形。")
    row = next((r for r in application.findings if r.rule == rule), None)
    before = None if row is None else {"decision": row.decision, "reason": row.reason,
                                       "record_ids": row.record_ids}
    if row is None:
        row = RenewalFinding(rule=rule)
        application.findings.append(row)
    row.record_ids = _ids(finding)
    row.detail = finding.detail
    row.decision = decision
    row.reason = reason
    row.decided_by_id = actor_id
    row.decided_at = utcnow()
    db.session.flush()
    record("renewal.finding", application, actor_id=actor_id, before=before or {},
           after={"rule": rule, "decision": decision, "reason": reason,
                  "record_ids": row.record_ids})
    return row


# --------------------------------------------------------------------------- the offices' moves
#
# What surrounds a move on the offices' side (the unit, the initial reviewer, the province):
# which buttons the page shows, the stamped Attachment 3, and refusing a move made from a
# stale page. Every move itself goes through :func:`portal.renewals.operations.apply_action`
# (which also takes a returned application off its summary table).

#: Reasons an office may tick when it returns or refuses a renewal (the comment the holder
#: or the office below reads): the usual defects, and each condition of notice §三(五).
RENEWAL_CANNED_REASONS: tuple[str, ...] = (
    "考评工作总结不足1000字或内容不符合要求",
    "复核换证申报表（附件3）未加盖单位公章或填报信息有误",
    "照片、身份证或证卡扫描件不清晰",
    "填报信息有误，请按审核意见修改",
    *(f"存在不得复核换证的情形：{title}" for title in RULE_TITLES.values()),
)

#: Moves the review page does not make, with where they are made.
ELSEWHERE: dict[RenewalAction, str] = {
    RenewalAction.SUBMIT: "提交由持证人在本人的复核换证申请中办理。",
    RenewalAction.WITHDRAW: "撤回由持证人在本人的复核换证申请中办理。",
    RenewalAction.SEND_TO_PROVINCE: "报送省职鉴中心须通过复核换证汇总表办理：生成汇总表、"
                                    "上传盖章扫描件后报送。",
}

#: The order of the review page's buttons: forward first, then back, then ending.
PANEL_ORDER: tuple[RenewalAction, ...] = (RenewalAction.AGREE, RenewalAction.APPROVE,
                                          RenewalAction.RETURN, RenewalAction.DISAGREE,
                                          RenewalAction.REJECT)

#: The capacities the review page acts in (the holder's moves are made on the holder's pages).
OFFICE_CAPACITIES = frozenset({RenewalCapacity.UNIT, RenewalCapacity.INITIAL_REVIEWER,
                               RenewalCapacity.PROVINCE})

#: The unit's opinion prints on Attachment 3 (申报单位意见): kept short.
UNIT_OPINION_MAX = 300


def office_capacities(user, application: RenewalApplication) -> set[RenewalCapacity]:
    """The capacities in which ``user`` may act on ``application`` from the review page."""
    return capacities(user, application) & OFFICE_CAPACITIES


def panel_actions(stage: RenewalStage | str,
                  held: Iterable[RenewalCapacity | str]) -> list[RenewalAction]:
    """The buttons the review page shows, in :data:`PANEL_ORDER`."""
    allowed = set(renewal_actions(stage, held))
    return [action for action in PANEL_ORDER if action in allowed]


def act(application: RenewalApplication, action: RenewalAction | str, *, user,
        comment: str = "", expected_stage: str | None = None,
        today: date | None = None) -> RenewalStep:
    """One move from the review page, as ``user`` in their office capacities.

    ``expected_stage`` is the stage the page showed: a move on an application that moved since
    is refused. The unit's opinion is at most :data:`UNIT_OPINION_MAX` characters (it prints on
    Attachment 3). Raises :class:`IllegalRenewalMove` (Chinese message); nothing has changed
    then.
    """
    try:
        action = RenewalAction(action)
    except ValueError:
        raise IllegalRenewalMove("未知的操作。") from None
    if action in ELSEWHERE:
        raise IllegalRenewalMove(ELSEWHERE[action])
    if expected_stage and expected_stage != application.stage:
        raise IllegalRenewalMove(
            f"申请状态已变化（现为“{application.stage_enum.label}”），请查看最新进度后再操作。")
    comment = (comment or "").strip()
    if action in (RenewalAction.AGREE, RenewalAction.DISAGREE) and len(comment) > UNIT_OPINION_MAX:
        raise IllegalRenewalMove(f"申报单位意见不超过{UNIT_OPINION_MAX}字"
                                 f"（将打印在复核换证申报表上，当前{len(comment)}字）。")
    # A return takes the application off its summary table inside apply_action.
    return apply_action(application, action, user=user, comment=comment, today=today,
                        acting_as=office_capacities(user, application))


def attach_stamped_form(application: RenewalApplication, upload, *, user) -> None:
    """The unit attaches the Attachment 3 it stamped (须加盖单位公章, notice §三(四)2), before it
    agrees. Audited as ``renewal.upload``. Raises :class:`IllegalRenewalMove`."""
    if RenewalCapacity.UNIT not in capacities(user, application):
        raise IllegalRenewalMove("只有申报单位可以上传盖章的复核换证申报表。")
    if application.stage != RenewalStage.UNIT_REVIEW.value:
        raise IllegalRenewalMove("只有待申报单位出具意见的申请可以上传盖章的复核换证申报表。")
    before = application.stamped_form_id
    application.stamped_form_id = upload.id
    record("renewal.upload", application, actor_id=user.id,
           before={"stamped_form": before},
           after={"stamped_form": upload.id, "name": upload.original_name})


# --------------------------------------------------------------------------- work queues


def waiting_stages(capacity: RenewalCapacity) -> list[RenewalStage]:
    """The stages at which ``capacity`` has a move to make (:func:`renewal_actions`)."""
    return [stage for stage in RenewalStage if renewal_actions(stage, {capacity})]


def _stage_in(capacity: RenewalCapacity) -> ColumnElement[bool]:
    return RenewalApplication.stage.in_([s.value for s in waiting_stages(capacity)])


def queue_condition(user) -> ColumnElement[bool]:
    """The renewal applications waiting for ``user``'s move: the clauses of
    :func:`portal.renewals.operations.capacities` in SQL, each with its capacity's stages."""
    conds = []
    org = user.organisation
    provincial = RenewalApplication.region_id.in_(select(Region.id).where(Region.is_province))
    if user.has_role(Role.UNIT) and org is not None:
        conds.append(and_(RenewalApplication.unit_id == org.id,
                          _stage_in(RenewalCapacity.UNIT)))
        if org.provincial_direct:
            conds.append(and_(RenewalApplication.unit_id == org.id, provincial,
                              _stage_in(RenewalCapacity.INITIAL_REVIEWER)))
    if user.has_role(Role.CITY) and user.region_id is not None:
        conds.append(and_(RenewalApplication.region_id == user.region_id, ~provincial,
                          _stage_in(RenewalCapacity.INITIAL_REVIEWER)))
    if user.has_role(Role.PROVINCE):
        conds.append(_stage_in(RenewalCapacity.PROVINCE))
    return or_(*conds) if conds else false()


def queue_stages(user) -> list[RenewalStage]:
    """The stages that can wait in ``user``'s queue, in workflow order."""
    held: set[RenewalCapacity] = set()
    if user.has_role(Role.UNIT) and user.organisation is not None:
        held.add(RenewalCapacity.UNIT)
        if user.organisation.provincial_direct:
            held.add(RenewalCapacity.INITIAL_REVIEWER)
    if user.has_role(Role.CITY) and user.region_id is not None:
        held.add(RenewalCapacity.INITIAL_REVIEWER)
    if user.has_role(Role.PROVINCE):
        held.add(RenewalCapacity.PROVINCE)
    stages = {stage for capacity in held for stage in waiting_stages(capacity)}
    return [stage for stage in RenewalStage if stage in stages]


#: The ``stage`` filter value listing every visible application, not only those waiting.
ALL_STAGES = "all"


def queue_select(user, *, plan_id: int | None = None, stage: str | None = None,
                 q: str | None = None) -> Select:
    """``user``'s renewal applications, oldest waiting first, scoped
    (:func:`portal.scope.visible_select`): those waiting for ``user`` by default, every
    visible one with ``stage="all"``, or those at one stage; ``q`` searches the holder's
    name and the card number."""
    stmt = (visible_select(RenewalApplication, user)
            .join(Card, Card.id == RenewalApplication.card_id)
            .options(selectinload(RenewalApplication.person),
                     selectinload(RenewalApplication.unit),
                     selectinload(RenewalApplication.region),
                     selectinload(RenewalApplication.plan),
                     selectinload(RenewalApplication.card).selectinload(Card.occupation))
            .order_by(RenewalApplication.stage_since, RenewalApplication.id))
    if not stage:
        stmt = stmt.where(queue_condition(user))
    elif stage != ALL_STAGES:
        stmt = stmt.where(RenewalApplication.stage == stage)
    if plan_id:
        stmt = stmt.where(RenewalApplication.plan_id == plan_id)
    if q and (q := q.strip()):
        stmt = stmt.where(or_(RenewalApplication.name.contains(q, autoescape=True),
                              Card.number.contains(q, autoescape=True)))
    return stmt


def queue_counts(user, *, plan_id: int | None = None) -> dict[RenewalStage, int]:
    """How many renewal applications wait for ``user``, per stage."""
    stmt = (select(RenewalApplication.stage, func.count())
            .where(visible(RenewalApplication, user), queue_condition(user))
            .group_by(RenewalApplication.stage))
    if plan_id:
        stmt = stmt.where(RenewalApplication.plan_id == plan_id)
    return {RenewalStage(stage): n for stage, n in db.session.execute(stmt).all()}


def queue_plans(user) -> list[RenewalPlan]:
    """Plans with renewal applications ``user`` may see (for the plan filter)."""
    ids = select(RenewalApplication.plan_id).where(visible(RenewalApplication, user))
    return list(db.session.scalars(
        select(RenewalPlan).where(RenewalPlan.id.in_(ids)).order_by(RenewalPlan.year.desc())))
