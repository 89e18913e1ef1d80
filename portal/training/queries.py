"""Reads for training plans."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from portal.applications.models import Application, TrainingPlan, UnitQuota
from portal.applications.rules import Stage
from portal.extensions import db
from portal.orgs.models import Organisation


def plans(*, include_unpublished: bool) -> list[TrainingPlan]:
    stmt = select(TrainingPlan).order_by(TrainingPlan.year.desc(), TrainingPlan.id.desc())
    if not include_unpublished:
        stmt = stmt.where(TrainingPlan.published_at.is_not(None))
    return list(db.session.scalars(stmt))


def previous_plan(year: int, *, before_id: int | None = None) -> TrainingPlan | None:
    """The latest published plan before ``year`` (or, in the same year, created before)."""
    stmt = select(TrainingPlan).where(TrainingPlan.published_at.is_not(None))
    if before_id is None:
        stmt = stmt.where(TrainingPlan.year <= year)
    else:
        stmt = stmt.where(TrainingPlan.year <= year, TrainingPlan.id < before_id)
    return db.session.scalars(stmt.order_by(TrainingPlan.year.desc(),
                                            TrainingPlan.id.desc())).first()


def unexcused_absences(plan_id: int) -> dict[int, int]:
    """Per recommending unit: its approved applicants who missed the plan's training without
    a special reason."""
    rows = db.session.execute(
        select(Application.unit_id, func.count())
        .where(Application.plan_id == plan_id, Application.stage == Stage.ABSENT.value,
               Application.absence_excused.is_not(True))
        .group_by(Application.unit_id)
    ).all()
    return dict(rows)


def quota_units() -> list[Organisation]:
    """Units that get a line in a new plan's quota table: those with a standing quota."""
    return list(db.session.scalars(
        select(Organisation).where(Organisation.training_quota > 0)
        .order_by(Organisation.region_id, Organisation.name)))


def quotas(plan: TrainingPlan) -> list[UnitQuota]:
    """The plan's quota lines with their units and regions (one query for the whole table)."""
    return list(db.session.scalars(
        select(UnitQuota).join(UnitQuota.organisation).where(UnitQuota.plan_id == plan.id)
        .options(contains_eager(UnitQuota.organisation).joinedload(Organisation.region))
        .order_by(Organisation.region_id, Organisation.name)))


def used_places(plan_id: int) -> dict[int, int]:
    """Per unit: its applications in the plan that it has recommended and that still hold a
    place — the count the unit's quota is checked against when it recommends
    (:data:`portal.applications.review_rules.PASSED_UNIT`)."""
    from portal.applications.review_rules import PASSED_UNIT

    rows = db.session.execute(
        select(Application.unit_id, func.count())
        .where(Application.plan_id == plan_id,
               Application.stage.in_([s.value for s in PASSED_UNIT]))
        .group_by(Application.unit_id)
    ).all()
    return dict(rows)
