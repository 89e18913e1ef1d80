"""Training plans: the province drafts a plan with its quotas, adjusts them, publishes it;
everyone signed in sees published plans and (for units and cities) their own quota lines."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal.applications.models import TrainingPlan, UnitQuota
from portal.auth.access import roles_required
from portal.auth.roles import Role
from portal.extensions import db
from portal.htmx import is_htmx
from portal.timeutil import local_today
from portal.training import operations, queries, session_queries
from portal.training.forms import PlanForm, PublishForm, QuotaForm

bp = Blueprint("training", __name__, url_prefix="/training")


def _plan(plan_id: int) -> TrainingPlan:
    plan = db.session.get(TrainingPlan, plan_id)
    if plan is None or (plan.published_at is None and not current_user.has_role(Role.PROVINCE)):
        abort(404)
    return plan


def _visible_quotas(plan: TrainingPlan) -> list[UnitQuota]:
    rows = queries.quotas(plan)
    if current_user.has_role(Role.PROVINCE):
        return rows
    return [q for q in rows
            if (current_user.has_role(Role.UNIT)
                and q.organisation_id == current_user.organisation_id)
            or (current_user.has_role(Role.CITY)
                and q.organisation.region_id == current_user.region_id)]


@bp.get("/plans")
@login_required
def plans():
    return render_template("training/plans.html", today=local_today(),
                           plans=queries.plans(
                               include_unpublished=current_user.has_role(Role.PROVINCE)))


@bp.route("/plans/new", methods=["GET", "POST"])
@roles_required(Role.PROVINCE)
def new_plan():
    form = PlanForm()
    if form.validate_on_submit():
        plan = operations.create_plan(
            year=form.year.data, title=form.title.data, levels=form.levels.data,
            occupation_ids=form.occupation_ids.data, opens_on=form.opens_on.data,
            closes_on=form.closes_on.data, mode=form.mode.data, places=form.places.data,
            notes=form.notes.data, actor_id=current_user.id)
        db.session.commit()
        flash(f"已保存培训计划“{plan.title}”（未发布）。请核对各单位名额后发布。", "success")
        return redirect(url_for("training.plan", plan_id=plan.id))
    if not form.is_submitted():
        form.year.data = local_today().year
    return render_template("training/plan_form.html", form=form), 422 if form.errors else 200


@bp.get("/plans/<int:plan_id>")
@login_required
def plan(plan_id: int):
    plan = _plan(plan_id)
    sessions = session_queries.sessions_of_plan(plan, current_user)
    return render_template(
        "training/plan.html", plan=plan, quotas=_visible_quotas(plan),
        used=queries.used_places(plan.id), today=local_today(),
        can_edit=current_user.has_role(Role.PROVINCE), publish_form=PublishForm(),
        quota_forms={}, sessions=sessions,
        session_counts=session_queries.participant_counts([s.id for s in sessions],
                                                          current_user),
        plan_absences=session_queries.plan_absences(plan, current_user))


@bp.post("/plans/<int:plan_id>/quotas/<int:quota_id>")
@roles_required(Role.PROVINCE)
def set_quota(plan_id: int, quota_id: int):
    plan = _plan(plan_id)
    quota = db.session.get(UnitQuota, quota_id)
    if quota is None or quota.plan_id != plan.id:
        abort(404)
    form = QuotaForm()
    status = 200
    if form.validate_on_submit():
        operations.set_quota(quota, form.base.data, actor_id=current_user.id)
        db.session.commit()
        form = None
    else:
        status = 422
    if is_htmx():
        return render_template("training/_quota_row.html", plan=plan, q=quota,
                               used=queries.used_places(plan.id), can_edit=True,
                               form=form), status
    if form is not None:
        flash("；".join(e for errs in form.errors.values() for e in errs), "error")
    return redirect(url_for("training.plan", plan_id=plan.id))


@bp.post("/plans/<int:plan_id>/publish")
@roles_required(Role.PROVINCE)
def publish(plan_id: int):
    plan = _plan(plan_id)
    if PublishForm().validate_on_submit():
        try:
            operations.publish(plan, actor_id=current_user.id)
        except operations.PlanError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"已发布培训计划“{plan.title}”：申报人可在报名期内申报。", "success")
    return redirect(url_for("training.plan", plan_id=plan.id))
