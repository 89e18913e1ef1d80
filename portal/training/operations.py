"""Creating and publishing training plans, and setting quotas (audited). The caller commits."""

from __future__ import annotations

from portal.applications.models import TrainingPlan, UnitQuota
from portal.audit.operations import record
from portal.catalogue.models import Occupation
from portal.extensions import db
from portal.timeutil import utcnow
from portal.training import queries, rules


class PlanError(ValueError):
    """A change of a plan that is not allowed; the message is Chinese."""


def create_plan(*, year: int, title: str, levels: list[str], occupation_ids: list[int],
                opens_on, closes_on, mode: str, places: int, notes: str,
                actor_id: int) -> TrainingPlan:
    """A new (unpublished) plan with a quota line for every unit: the previous plan's places
    minus that plan's unexcused absences (:func:`portal.training.rules.default_quota`)."""
    plan = TrainingPlan(
        year=year, title=title.strip(), levels=",".join(x for x in ("考评员", "高级考评员")
                                                        if x in levels),
        opens_on=opens_on, closes_on=closes_on, mode=mode, places=places,
        notes=(notes or "").strip(), created_by_id=actor_id,
        occupations=list(db.session.scalars(
            db.select(Occupation).where(Occupation.id.in_(occupation_ids)))),
    )
    db.session.add(plan)
    previous = queries.previous_plan(year)
    previous_bases = ({q.organisation_id: q.base for q in previous.quotas} if previous else {})
    absences = queries.unexcused_absences(previous.id) if previous else {}
    units = {o.id: o for o in queries.quota_units()}
    for org_id in sorted(set(units) | set(previous_bases)):
        org_default = units[org_id].training_quota if org_id in units else 0
        default = rules.default_quota(previous_bases.get(org_id), org_default,
                                      absences.get(org_id, 0))
        plan.quotas.append(UnitQuota(organisation_id=org_id, base=default.base,
                                     absences=default.absences))
    db.session.flush()
    record("training_plan.create", plan, actor_id=actor_id,
           after={"year": year, "title": plan.title, "levels": plan.levels,
                  "opens_on": opens_on, "closes_on": closes_on, "mode": mode,
                  "places": places, "previous_plan": previous.id if previous else None})
    return plan


def set_quota(quota: UnitQuota, base: int, *, actor_id: int) -> None:
    before = quota.base
    quota.base = base
    record("training_plan.quota", quota.plan, actor_id=actor_id,
           before={"organisation": quota.organisation.name, "base": before},
           after={"organisation": quota.organisation.name, "base": base})


def publish(plan: TrainingPlan, *, actor_id: int) -> None:
    if plan.published_at is not None:
        raise PlanError("该培训计划已经发布")
    plan.published_at = utcnow()
    record("training_plan.publish", plan, actor_id=actor_id,
           after={"published_at": plan.published_at})
