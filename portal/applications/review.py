"""The reviewers' side of an application: the moves taken on its page, the unit's quota, who
holds it and for how long, and the work queues. The caller commits.

Every move goes through :func:`portal.applications.operations.apply_action`; this module adds
what surrounds a move on the review side: the recommending unit's opinion and quota
(notice Attachment 1 "推荐单位意见"; DESIGN.md "Training absence"), refusing a move made from a
stale page, and taking a returned application off its summary table
(:func:`portal.applications.summary.release`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import selectinload

from portal.applications import summary
from portal.applications.models import Application, ApplicationStep, TrainingPlan, UnitQuota
from portal.applications.operations import apply_action, capacities
from portal.applications.review_rules import (
    ELSEWHERE,
    Held,
    QuotaVerdict,
    holder_office,
    quota_verdict,
    workdays_held,
)
from portal.applications.rules import (
    HOLDERS,
    Action,
    Capacity,
    IllegalTransition,
    Stage,
    next_stage,
)
from portal.auth.roles import Role
from portal.extensions import db
from portal.scope import visible
from portal.timeutil import local_today, to_local
from portal.workdays import WorkdayCalendar

#: Capacities that see an application's full ID number: the applicant and those who review it
#: (they also see the ID copy). Anyone else who may see the application sees it masked.
FULL_ID_CAPACITIES = frozenset({Capacity.APPLICANT, Capacity.UNIT, Capacity.INITIAL_REVIEWER,
                                Capacity.PROVINCE})


# --------------------------------------------------------------------------- the unit quota


def recommended_count(plan_id: int, unit_id: int) -> int:
    """The unit's applications in the plan that it recommended and that still hold a place
    (:func:`portal.training.queries.used_places`, the figure the plan page shows)."""
    from portal.training.queries import used_places

    return used_places(plan_id).get(unit_id, 0)


def quota_of(application: Application, *, lock: bool = False) -> QuotaVerdict:
    """The recommending unit's quota position in the application's plan; ``lock`` holds the
    quota row until the commit, so two clerks cannot both take the last place."""
    stmt = select(UnitQuota).where(UnitQuota.plan_id == application.plan_id,
                                   UnitQuota.organisation_id == application.unit_id)
    if lock:
        stmt = stmt.with_for_update()
    quota = db.session.scalars(stmt).first()
    return quota_verdict(
        quota=quota.quota if quota else None,
        recommended=recommended_count(application.plan_id, application.unit_id),
        unit_name=application.unit.name, plan_title=application.plan.title,
        absences=quota.absences if quota else 0)


# --------------------------------------------------------------------------- moves


def recommend(application: Application, *, user, opinion: str,
              today: date | None = None) -> ApplicationStep:
    """The unit recommends ``application`` with its opinion (推荐单位意见, printed on
    Attachment 1), within its quota for the plan.

    Raises :class:`IllegalTransition`: the move is not the user's to make, the opinion is
    empty, or the unit's places are used up (:func:`quota_of`).
    """
    opinion = (opinion or "").strip()
    next_stage(application.stage, Action.RECOMMEND, capacities(user, application))
    if not opinion:
        raise IllegalTransition("推荐须填写推荐单位意见（将打印在申报表上）。")
    verdict = quota_of(application, lock=True)
    if not verdict.ok:
        raise IllegalTransition(verdict.message)
    step = apply_action(application, Action.RECOMMEND, user=user, comment=opinion, today=today)
    application.unit_opinion = opinion
    return step


def act(application: Application, action: Action | str, *, user, comment: str = "",
        expected_stage: str | None = None, today: date | None = None) -> ApplicationStep:
    """One move from the application page, as ``user``.

    ``expected_stage`` is the stage the page showed: if the application moved since (another
    reviewer, another tab), the move is refused rather than applied to a state the user did
    not see. Recommending goes through :func:`recommend`; a return takes the application off
    its summary table. Moves made elsewhere (:data:`ELSEWHERE`) are refused with where to
    make them. Raises :class:`IllegalTransition` (Chinese message); nothing has changed then.
    """
    try:
        action = Action(action)
    except ValueError:
        raise IllegalTransition("未知的操作。") from None
    if action in ELSEWHERE:
        raise IllegalTransition(ELSEWHERE[action])
    if expected_stage and expected_stage != application.stage:
        raise IllegalTransition(
            f"申报状态已变化（现为“{application.stage_enum.label}”），请查看最新进度后再操作。")
    if action is Action.RECOMMEND:
        return recommend(application, user=user, opinion=comment, today=today)
    step = apply_action(application, action, user=user, comment=comment, today=today)
    if action is Action.RETURN:
        summary.release(application, actor_id=user.id)
    return step


# --------------------------------------------------------------------------- who holds it


def province_name() -> str:
    region = summary.province_region()
    return region.name if region else "省"


@dataclass(frozen=True)
class Holding:
    """Who holds an application now, since when, and for how many working days."""

    capacity: Capacity | None
    office: str | None
    since: datetime
    held: Held | None


def holding(application: Application, *, calendar: WorkdayCalendar | None = None,
            today: date | None = None, province: str | None = None) -> Holding:
    """Where ``application`` is waiting (DESIGN.md "Who holds it, for how long")."""
    stage = application.stage_enum
    office = holder_office(
        stage, applicant_name=application.person.name, unit_name=application.unit.name,
        region_name=application.region.name, region_is_province=application.region.is_province,
        province_name=province or province_name())
    if office is None:
        return Holding(None, None, application.stage_since, None)
    held = workdays_held(to_local(application.stage_since).date(), today or local_today(),
                         calendar or WorkdayCalendar())
    return Holding(HOLDERS[stage], office, application.stage_since, held)


def full_id_visible(user, application: Application) -> bool:
    return bool(capacities(user, application) & FULL_ID_CAPACITIES)


def steps_of(application: Application) -> list[ApplicationStep]:
    return list(db.session.scalars(
        select(ApplicationStep).where(ApplicationStep.application_id == application.id)
        .options(selectinload(ApplicationStep.actor)).order_by(ApplicationStep.id)))


# --------------------------------------------------------------------------- work queues


def _waiting_for_initial_review() -> ColumnElement[bool]:
    """Waiting for the initial reviewer: to be reviewed, or approved and not yet sent (an
    approved application leaves the reviewer only when its table is sent)."""
    return Application.stage.in_([Stage.INITIAL_REVIEW.value, Stage.INITIAL_APPROVED.value])


def queue_condition(user) -> ColumnElement[bool]:
    """The applications waiting for ``user``'s action, one clause per role held."""
    conds = []
    org = user.organisation
    if user.has_role(Role.UNIT) and org is not None:
        conds.append(and_(Application.unit_id == org.id,
                          Application.stage == Stage.UNIT_REVIEW.value))
        if org.provincial_direct:
            province = summary.province_region()
            if province is not None:
                conds.append(and_(Application.unit_id == org.id,
                                  Application.region_id == province.id,
                                  _waiting_for_initial_review()))
    if user.has_role(Role.CITY) and user.region is not None and not user.region.is_province:
        conds.append(and_(Application.region_id == user.region_id,
                          _waiting_for_initial_review()))
    if user.has_role(Role.PROVINCE):
        conds.append(Application.stage == Stage.PROVINCE_REVIEW.value)
    return or_(*conds) if conds else false()


def queue_stages(user) -> list[Stage]:
    """The stages that can appear in ``user``'s queue, in workflow order."""
    stages = set()
    if user.has_role(Role.UNIT) and user.organisation is not None:
        stages.add(Stage.UNIT_REVIEW)
        if user.organisation.provincial_direct:
            stages |= {Stage.INITIAL_REVIEW, Stage.INITIAL_APPROVED}
    if user.has_role(Role.CITY) and user.region is not None:
        stages |= {Stage.INITIAL_REVIEW, Stage.INITIAL_APPROVED}
    if user.has_role(Role.PROVINCE):
        stages.add(Stage.PROVINCE_REVIEW)
    return [s for s in Stage if s in stages]


def queue_select(user, *, plan_id: int | None = None, stage: str | None = None) -> Select:
    """``user``'s queue, oldest waiting first, scoped (:func:`portal.scope.visible`)."""
    stmt = (select(Application)
            .where(visible(Application, user), queue_condition(user))
            .options(selectinload(Application.person), selectinload(Application.unit),
                     selectinload(Application.region), selectinload(Application.occupation),
                     selectinload(Application.plan), selectinload(Application.summary_table))
            .order_by(Application.stage_since, Application.id))
    if plan_id:
        stmt = stmt.where(Application.plan_id == plan_id)
    if stage:
        stmt = stmt.where(Application.stage == stage)
    return stmt


def queue_counts(user, *, plan_id: int | None = None) -> dict[Stage, int]:
    """How many applications wait in ``user``'s queue, per stage."""
    stmt = (select(Application.stage, func.count())
            .where(visible(Application, user), queue_condition(user))
            .group_by(Application.stage))
    if plan_id:
        stmt = stmt.where(Application.plan_id == plan_id)
    return {Stage(stage): n for stage, n in db.session.execute(stmt).all()}


def queue_plans(user) -> list[TrainingPlan]:
    """Plans that have applications in ``user``'s queue (for the plan filter)."""
    ids = select(Application.plan_id).where(visible(Application, user), queue_condition(user))
    return list(db.session.scalars(
        select(TrainingPlan).where(TrainingPlan.id.in_(ids))
        .order_by(TrainingPlan.year.desc(), TrainingPlan.id.desc())))
