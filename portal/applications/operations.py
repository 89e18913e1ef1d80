"""Moving an application through the workflow. The caller commits.

:func:`apply_action` is the only code that changes ``Application.stage``: it asks
:func:`portal.applications.rules.next_stage` whether the move is allowed, records the step
(who, in which capacity, when, what, the comment) and writes the audit event. An illegal move
raises :class:`portal.applications.rules.IllegalTransition` and changes nothing.
"""

from __future__ import annotations

from datetime import date

from portal.applications.models import Application, ApplicationStep
from portal.applications.queries import submission_problems
from portal.applications.rules import (
    COMMENT_REQUIRED,
    TRANSITIONS,
    Action,
    Capacity,
    IllegalTransition,
    Stage,
    next_stage,
)
from portal.audit.operations import record
from portal.auth.roles import Role
from portal.timeutil import local_today, utcnow

#: Moves by the applicant that need the plan's registration window to be open: applying and
#: correcting after a return (notice §五(三) "在……时限内……重新提交").
WINDOW_BOUND = frozenset({Action.SUBMIT})


def capacities(user, application: Application) -> set[Capacity]:
    """In which capacities ``user`` may act on ``application``.

    - the applicant: the user whose person the application is;
    - the unit: a ``unit`` clerk of the recommending organisation;
    - the initial reviewer: for a city application the ``city`` officer of that city; for a
      四川省 (provincial-direct) application the ``unit`` clerk of the provincial-direct
      institution it is addressed to (notice §二(三)2);
    - the province: a ``province`` officer.
    """
    held: set[Capacity] = set()
    if user.person_id is not None and user.person_id == application.person_id:
        held.add(Capacity.APPLICANT)
    at_unit = user.has_role(Role.UNIT) and user.organisation_id == application.unit_id
    if at_unit:
        held.add(Capacity.UNIT)
    if application.region.is_province:
        if at_unit and application.unit.provincial_direct:
            held.add(Capacity.INITIAL_REVIEWER)
    elif user.has_role(Role.CITY) and user.region_id == application.region_id:
        held.add(Capacity.INITIAL_REVIEWER)
    if user.has_role(Role.PROVINCE):
        held.add(Capacity.PROVINCE)
    return held


def apply_action(application: Application, action: Action | str, *, user,
                 comment: str = "", today: date | None = None,
                 acting_as: set[Capacity] | None = None) -> ApplicationStep:
    """Take ``action`` on ``application`` as ``user``; return the recorded step.

    ``acting_as`` narrows the capacities used (default: all the user holds on it). Raises
    :class:`IllegalTransition` (Chinese message) when the table does not allow the move for
    those capacities, when a required comment is missing, or when the applicant submits
    outside the plan's registration window, or submits an application that lacks an upload
    or fails the eligibility rules (:func:`portal.applications.queries.submission_problems`).
    """
    action = Action(action)
    held = capacities(user, application) if acting_as is None else acting_as
    comment = (comment or "").strip()
    before = Stage(application.stage)
    target = next_stage(before, action, held)
    if action in COMMENT_REQUIRED and not comment:
        raise IllegalTransition(f"“{action.label}”须填写意见或理由。")
    today = today or local_today()
    if action in WINDOW_BOUND and not application.plan.window_open(today):
        raise IllegalTransition("报名时间已结束（或尚未开始），不能提交。")
    if action is Action.SUBMIT and (problems := submission_problems(application, today)):
        raise IllegalTransition("还不能提交：" + "；".join(problems) + "。")
    rule_capacity = next(c for c in Capacity if c in held & TRANSITIONS[(before, action)][0])
    now = utcnow()
    step = ApplicationStep(actor_id=user.id, capacity=rule_capacity.value, action=action.value,
                           from_stage=before.value, to_stage=target.value, comment=comment,
                           at=now)
    application.steps.append(step)
    application.stage = target.value
    application.stage_since = now
    if action is Action.SUBMIT and application.submitted_at is None:
        application.submitted_at = now
    record(f"application.{action.value}", application, actor_id=user.id,
           before={"stage": before.value},
           after={"stage": target.value, "capacity": rule_capacity.value,
                  "comment": comment})
    return step

