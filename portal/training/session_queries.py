"""Scoped reads of training sessions and their participants.

Who sees a session (:func:`session_condition`):

- the province (and the admin): every session;
- a unit clerk and a city officer: every *scheduled* session of a published plan (when and
  where training happens is announced to all, notice §二(五) "具体时间、地点另行通知"), and a unit
  also its own 专场 requests, pending or declined;
- an applicant: the sessions they are assigned to.

Participants are listed through :func:`portal.scope.visible` of :class:`Application`, so a
unit sees only its own applicants in a session, a city only its city's, an applicant only
themself. Anything out of scope answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort
from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.orm import joinedload

from portal.applications.models import Application, TrainingPlan, TrainingSession
from portal.applications.rules import Stage
from portal.auth.models import User
from portal.auth.roles import Role
from portal.cards.models import Card
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.scope import visible
from portal.training import queries as plan_queries
from portal.training.session_rules import SessionStatus


def session_condition(user: User) -> ColumnElement[bool]:
    """The SQL condition selecting the sessions ``user`` may see (module docstring)."""
    if user.has_role(Role.ADMIN, Role.PROVINCE):
        return true()
    conds = []
    if user.has_role(Role.UNIT, Role.CITY):
        published = select(TrainingPlan.id).where(TrainingPlan.published_at.is_not(None))
        conds.append(and_(TrainingSession.status == SessionStatus.SCHEDULED.value,
                          TrainingSession.plan_id.in_(published)))
    if user.has_role(Role.UNIT) and user.organisation_id:
        conds.append(TrainingSession.requested_by_id == user.organisation_id)
    if user.person_id:
        conds.append(TrainingSession.id.in_(
            select(Application.session_id).where(Application.person_id == user.person_id,
                                                 Application.session_id.is_not(None))))
    return or_(*conds) if conds else false()


def get_session_or_404(session_id: int, user: User) -> TrainingSession:
    """The session, if ``user`` may see it; 404 otherwise (whether it exists or not)."""
    session = db.session.scalars(
        select(TrainingSession).where(TrainingSession.id == session_id, session_condition(user))
        .options(joinedload(TrainingSession.plan), joinedload(TrainingSession.requested_by))
    ).first()
    if session is None:
        abort(404)
    return session


def sessions_of_plan(plan: TrainingPlan, user: User) -> list[TrainingSession]:
    """The plan's sessions ``user`` may see, by start date."""
    return list(db.session.scalars(
        select(TrainingSession)
        .where(TrainingSession.plan_id == plan.id, session_condition(user))
        .options(joinedload(TrainingSession.requested_by))
        .order_by(TrainingSession.starts_on, TrainingSession.id)))


def participant_counts(session_ids: list[int], user: User) -> dict[int, int]:
    """Per session: the participants ``user`` may see."""
    if not session_ids:
        return {}
    rows = db.session.execute(
        select(Application.session_id, func.count())
        .where(Application.session_id.in_(session_ids), visible(Application, user))
        .group_by(Application.session_id))
    return dict(rows.all())


def _with_people():
    return (joinedload(Application.person), joinedload(Application.unit),
            joinedload(Application.occupation))


def participants(session: TrainingSession, user: User) -> list[Application]:
    """The session's participants ``user`` may see, by unit and name."""
    return list(db.session.scalars(
        select(Application).join(Application.person).join(Application.unit)
        .where(Application.session_id == session.id, visible(Application, user))
        .options(*_with_people())
        .order_by(Organisation.name, Person.name, Application.id)))


def participant(session: TrainingSession, application_id: int, user: User) -> Application:
    """One participant of the session that ``user`` may see, or 404."""
    application = db.session.scalars(
        select(Application).where(Application.id == application_id,
                                  Application.session_id == session.id,
                                  visible(Application, user))
        .options(*_with_people())).first()
    if application is None:
        abort(404)
    return application


def _assignable_condition(session: TrainingSession) -> ColumnElement[bool]:
    """Applications that may join ``session``: the plan's, approved by the province and not
    yet trained (stage 复审通过，待参加培训), not in another session; for a unit's 专场 session
    only that unit's applicants."""
    conds = [Application.plan_id == session.plan_id,
             Application.stage == Stage.TRAINING.value,
             Application.session_id.is_(None)]
    if session.requested_by_id is not None:
        conds.append(Application.unit_id == session.requested_by_id)
    return and_(*conds)


def assignable(session: TrainingSession, user: User) -> list[Application]:
    """The applications the session page offers to add (:func:`_assignable_condition`), in
    ``user``'s scope, by unit and name."""
    return list(db.session.scalars(
        select(Application).join(Application.person).join(Application.unit)
        .where(_assignable_condition(session), visible(Application, user))
        .options(*_with_people())
        .order_by(Organisation.name, Person.name, Application.id)))


def assignable_by_ids(session: TrainingSession, ids: list[int], user: User) -> list[Application]:
    """Those of ``ids`` that may join ``session`` (anything else is silently left out: the
    form's choices were these same applications)."""
    if not ids:
        return []
    return list(db.session.scalars(
        select(Application).where(Application.id.in_(ids), _assignable_condition(session),
                                  visible(Application, user))
        .order_by(Application.id)))


def cards_of(applications: list[Application]) -> dict[int, Card]:
    """The cards issued from these applications, by card id."""
    ids = [a.card_id for a in applications if a.card_id]
    if not ids:
        return {}
    return {c.id: c for c in db.session.scalars(select(Card).where(Card.id.in_(ids)))}


@dataclass(frozen=True)
class Counts:
    """A session's participants by where they are."""

    assigned: int = 0
    awaiting_attendance: int = 0
    attended: int = 0
    absent_excused: int = 0
    absent_unexcused: int = 0
    awaiting_result: int = 0
    passed: int = 0
    failed: int = 0


def counts(applications: list[Application]) -> Counts:
    """The counts shown above the participant table (of the participants listed)."""
    stages = [a.stage for a in applications]
    absent = [a for a in applications if a.stage == Stage.ABSENT.value]
    attended = {Stage.ASSESSMENT.value, Stage.CERTIFIED.value, Stage.FAILED.value}
    return Counts(
        assigned=len(applications),
        awaiting_attendance=stages.count(Stage.TRAINING.value),
        attended=sum(s in attended for s in stages),
        absent_excused=sum(a.absence_excused is True for a in absent),
        absent_unexcused=sum(a.absence_excused is not True for a in absent),
        awaiting_result=stages.count(Stage.ASSESSMENT.value),
        passed=stages.count(Stage.CERTIFIED.value),
        failed=stages.count(Stage.FAILED.value),
    )


@dataclass(frozen=True)
class UnitAbsences:
    """A unit's unexcused absences in a plan: what its next plan's quota loses."""

    unit: Organisation
    count: int


def plan_absences(plan: TrainingPlan, user: User) -> list[UnitAbsences]:
    """Per recommending unit ``user`` may see: its approved applicants who missed the plan's
    training without a special reason (the count :func:`portal.training.operations.create_plan`
    takes off the unit's next quota), by unit name."""
    absences = plan_queries.unexcused_absences(plan.id)
    if not absences:
        return []
    units = db.session.scalars(
        select(Organisation).where(Organisation.id.in_(list(absences)),
                                   visible(Organisation, user))
        .order_by(Organisation.name))
    return [UnitAbsences(unit, absences[unit.id]) for unit in units]


def unit_training_applicants(plan: TrainingPlan, unit_id: int) -> int:
    """How many of the unit's applications in the plan are approved and waiting for training
    (shown on the 专场 request form: the notice grants a 专场 where many applicants need one)."""
    return db.session.scalar(
        select(func.count()).select_from(Application)
        .where(Application.plan_id == plan.id, Application.unit_id == unit_id,
               Application.stage.in_([Stage.TRAINING.value, Stage.PROVINCE_REVIEW.value,
                                      Stage.INITIAL_APPROVED.value, Stage.INITIAL_REVIEW.value])))
