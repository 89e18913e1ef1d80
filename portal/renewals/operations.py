"""Moving a renewal application through the workflow. The caller commits.

:func:`apply_action` is the only code that changes ``RenewalApplication.stage``: it asks
:func:`portal.renewals.rules.renewal_next_stage` whether the move is allowed, checks what the
move needs (the window, a complete submission, the unit's stamped form, every finding
decided), records the step and writes the audit event. Province approval issues the new card
and supersedes the old one; province rejection revokes the old card; a return takes the
application off its summary table (:func:`portal.renewals.summary.release`). An illegal move
raises :class:`portal.renewals.rules.IllegalRenewalMove` and changes nothing.
"""

from __future__ import annotations

from datetime import date

from portal.audit.operations import record
from portal.auth.roles import Role
from portal.cards.operations import CardError, issue_card, revoke_card
from portal.renewals.models import RenewalApplication, RenewalStep
from portal.renewals.queries import submission_problems
from portal.renewals.rules import (
    RENEWAL_COMMENT_REQUIRED,
    RENEWAL_TRANSITIONS,
    IllegalRenewalMove,
    RenewalAction,
    RenewalCapacity,
    RenewalStage,
    renewal_next_stage,
)
from portal.timeutil import local_today, utcnow

#: Why the province revokes an old card when it rejects the renewal (notice §三(四)4).
REJECT_REVOKE_REASON = "复核换证复审不合格，取消原有考评资格（川人社职鉴〔2021〕4号 三（四）4）"


def capacities(user, application: RenewalApplication) -> set[RenewalCapacity]:
    """In which capacities ``user`` may act on ``application``: the holder (their own
    person); the unit (a ``unit`` clerk of the application's unit); the initial reviewer (the
    ``city`` officer of the application's city, or for 四川省 the ``unit`` clerk of the
    provincial-direct institution it is addressed to); the province."""
    held: set[RenewalCapacity] = set()
    if user.person_id is not None and user.person_id == application.person_id:
        held.add(RenewalCapacity.HOLDER)
    at_unit = user.has_role(Role.UNIT) and user.organisation_id == application.unit_id
    if at_unit:
        held.add(RenewalCapacity.UNIT)
    if application.region.is_province:
        if at_unit and application.unit.provincial_direct:
            held.add(RenewalCapacity.INITIAL_REVIEWER)
    elif user.has_role(Role.CITY) and user.region_id == application.region_id:
        held.add(RenewalCapacity.INITIAL_REVIEWER)
    if user.has_role(Role.PROVINCE):
        held.add(RenewalCapacity.PROVINCE)
    return held


def _check(application: RenewalApplication, before: RenewalStage, action: RenewalAction,
           today: date) -> None:
    plan = application.plan
    if action is RenewalAction.SUBMIT:
        if plan.closed_at is not None:
            raise IllegalRenewalMove("本年度复核换证已结束，不能提交。")
        # The first submission needs the registration window; a correction after a return
        # may be made while the review goes on (notice §五(三)).
        if before is RenewalStage.DRAFT and not plan.window_open(today):
            raise IllegalRenewalMove("复核换证报名时间已结束（或尚未开始），不能提交。")
        if problems := submission_problems(application):
            raise IllegalRenewalMove("还不能提交：" + "；".join(problems) + "。")
    if action is RenewalAction.AGREE and application.stamped_form_id is None:
        raise IllegalRenewalMove("请先上传加盖单位公章的复核换证申报表（附件3）。")
    if action is RenewalAction.APPROVE and before is RenewalStage.INITIAL_REVIEW:
        from portal.renewals.review import undecided_or_confirmed

        undecided, confirmed = undecided_or_confirmed(application)
        if undecided:
            raise IllegalRenewalMove("请先逐项确认或否定任期核实发现的问题（第"
                                     + "、".join(map(str, undecided)) + "项）。")
        if confirmed:
            raise IllegalRenewalMove("已确认存在不得复核换证的情形（第"
                                     + "、".join(map(str, confirmed)) + "项），只能不通过。")


def apply_action(application: RenewalApplication, action: RenewalAction | str, *, user,
                 comment: str = "", today: date | None = None,
                 acting_as: set[RenewalCapacity] | None = None) -> RenewalStep:
    """Take ``action`` on ``application`` as ``user``; return the recorded step.

    ``acting_as`` narrows the capacities used (default: all the user holds on it). Raises
    :class:`IllegalRenewalMove` (Chinese message) when the table does not allow the move, a
    required comment is missing, or the move's own conditions fail (see :func:`_check`).
    Province approval issues the new card (:func:`portal.cards.operations.issue_card`,
    origin ``renewal``, dated ``today``) and marks the old card superseded; province
    rejection revokes the old card.
    """
    action = RenewalAction(action)
    held = capacities(user, application) if acting_as is None else acting_as
    comment = (comment or "").strip()
    before = RenewalStage(application.stage)
    target = renewal_next_stage(before, action, held)
    if action in RENEWAL_COMMENT_REQUIRED and not comment:
        raise IllegalRenewalMove(f"“{action.label}”须填写意见或理由。")
    today = today or local_today()
    _check(application, before, action, today)
    rule_capacity = next(c for c in RenewalCapacity
                         if c in held & RENEWAL_TRANSITIONS[(before, action)][0])
    now = utcnow()
    if action in (RenewalAction.AGREE, RenewalAction.DISAGREE):
        application.unit_opinion = action.value
        application.unit_reason = comment
    if target is RenewalStage.RENEWED:
        _renew(application, today, actor_id=user.id)
    elif target is RenewalStage.REVOKED:
        try:
            revoke_card(application.card, today, REJECT_REVOKE_REASON + (
                f"：{comment}" if comment else ""), actor_id=user.id, today=today)
        except CardError as exc:
            raise IllegalRenewalMove(str(exc)) from None
    step = RenewalStep(actor_id=user.id, capacity=rule_capacity.value, action=action.value,
                       from_stage=before.value, to_stage=target.value, comment=comment, at=now)
    application.steps.append(step)
    application.stage = target.value
    application.stage_since = now
    if action is RenewalAction.SUBMIT and application.submitted_at is None:
        application.submitted_at = now
    record(f"renewal.{action.value}", application, actor_id=user.id,
           before={"stage": before.value},
           after={"stage": target.value, "capacity": rule_capacity.value, "comment": comment})
    if action is RenewalAction.RETURN:
        # A returned application leaves its summary table, whoever returns it and from which
        # page, so a later table can carry it once it is approved again.
        from portal.renewals.summary import release

        release(application, actor_id=user.id)
    return step


def _renew(application: RenewalApplication, today: date, *, actor_id: int) -> None:
    old = application.card
    if old.superseded_on is not None or old.revoked_on is not None:
        raise IllegalRenewalMove(f"原证卡 {old.number} 已换证或已注销，不能再次换发。")
    new = issue_card(application.person, old.occupation, old.level, today, origin="renewal",
                     actor_id=actor_id)
    application.new_card = new
    old.superseded_on, old.superseded_by = today, new
    record("card.supersede", old, actor_id=actor_id,
           before={"superseded_on": None},
           after={"superseded_on": today, "superseded_by": new.number, "number": old.number})
