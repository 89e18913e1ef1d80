"""The province's renewal plan pages (复核换证计划, notice §三(二), §三(四)4): the plans by year,
creating one (its dates follow from the year and the working-day calendar), the plan page
(window, cut-off, eligible cards, applications per stage, the cards that lose their
qualification at the close), changing and publishing it, and closing it after a confirmation.
Province only: everyone else gets 403.
"""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from portal.auth.access import roles_required
from portal.auth.roles import Role
from portal.dbutil import begin_write
from portal.extensions import db
from portal.htmx import render_page_or_partial
from portal.pagination import paginate
from portal.renewals import plan_operations as operations
from portal.renewals import plan_queries as queries
from portal.renewals.forms import (
    RenewalPlanCloseForm,
    RenewalPlanEditForm,
    RenewalPlanForm,
    RenewalPlanPublishForm,
)
from portal.renewals.models import RenewalPlan
from portal.renewals.plan_operations import CLOSE_REVOKE_REASON, CLOSE_RULE, PlanError
from portal.timeutil import cn_date, local_today

bp = Blueprint("renewal_plans", __name__, url_prefix="/renewals/plans")


def _plan(plan_id: int) -> RenewalPlan:
    return db.session.get(RenewalPlan, plan_id) or abort(404)


def _locked(plan_id: int) -> RenewalPlan:
    """The plan in a write transaction, its row locked (two officers at once wait in turn)."""
    begin_write()
    return db.session.get(RenewalPlan, plan_id, with_for_update=True) or abort(404)


@bp.app_template_global()
def renewal_queue_url(plan_id: int, stage: str) -> str | None:
    """The review queue of one stage of a plan, when the renewal review pages exist."""
    if "renewals.queue" not in current_app.view_functions:
        return None
    return url_for("renewals.queue", plan=plan_id, stage=stage)


@bp.get("/")
@roles_required(Role.PROVINCE)
def index():
    today = local_today()
    plans = queries.plans()
    return render_template(
        "renewals/plans/index.html", plans=plans, today=today,
        counts=queries.application_counts(),
        eligible={p.id: queries.eligible_count(p) for p in plans if p.closed_at is None},
        phases={p.id: queries.phase(p, today) for p in plans},
        this_year=queries.plan_of_year(today.year))


# --- creating a plan ---------------------------------------------------------------------------

def _preview(year: int | None) -> dict:
    """The dates a plan of ``year`` would get, or the reason they cannot be computed."""
    if year is None or not 2021 <= year <= 2100:
        return {"year": None}
    try:
        return {"year": year, "dates": operations.plan_dates(year), "rule": CLOSE_RULE}
    except PlanError as exc:
        return {"year": year, "problem": str(exc)}


def _new_page(form: RenewalPlanForm, status: int = 200):
    return render_template("renewals/plans/new.html", form=form, rule=CLOSE_RULE,
                           preview=_preview(form.year.data)), status


@bp.get("/new")
@roles_required(Role.PROVINCE)
def new():
    form = RenewalPlanForm()
    year = request.args.get("year", type=int) or local_today().year
    if queries.plan_of_year(year) is not None and queries.plan_of_year(year + 1) is None:
        year += 1
    form.year.data = year
    return _new_page(form)


@bp.get("/new/dates")
@roles_required(Role.PROVINCE)
def dates():
    """The dates of the year typed in the form (htmx, as the year changes)."""
    return render_template("renewals/plans/_dates.html", rule=CLOSE_RULE,
                           preview=_preview(request.args.get("year", type=int)))


@bp.post("/new")
@roles_required(Role.PROVINCE)
def create():
    form = RenewalPlanForm()
    if not form.validate_on_submit():
        return _new_page(form, 422)
    begin_write()
    try:
        plan = operations.create_plan(year=form.year.data, title=form.title.data,
                                      expiry_cutoff=form.expiry_cutoff.data,
                                      notes=form.notes.data, actor_id=current_user.id)
        db.session.commit()
    except PlanError as exc:
        db.session.rollback()
        target = form.expiry_cutoff if "有效期截止日期" in str(exc) else form.year
        target.errors = [*target.errors, str(exc)]
        return _new_page(form, 422)
    except IntegrityError:  # another officer created the year's plan at the same moment
        db.session.rollback()
        form.year.errors = [*form.year.errors, f"{form.year.data}年度的复核换证计划已经存在。"]
        return _new_page(form, 409)
    flash(f"已创建“{plan.title}”（未发布）：报名{cn_date(plan.opens_on)}至"
          f"{cn_date(plan.closes_on)}。核对后请发布。", "success")
    return redirect(url_for("renewal_plans.show", plan_id=plan.id))


# --- one plan ----------------------------------------------------------------------------------

def _show_context(plan: RenewalPlan) -> dict:
    today = local_today()
    context = {
        "plan": plan, "today": today, "phase": queries.phase(plan, today), "rule": CLOSE_RULE,
        "stages": queries.stage_counts(plan), "publish_form": RenewalPlanPublishForm(),
        "close_problem": operations.close_problem(plan, today),
    }
    if plan.closed_at is not None:
        context["close_event"] = queries.close_event(plan)
        return context
    context["eligible"] = queries.eligible_count(plan)
    if today > plan.closes_on:
        page = paginate(queries.not_completed_list(plan))
        context.update(page=page, reasons=queries.reasons(plan, page.items),
                       reason_counts=queries.reason_counts(plan),
                       in_office=queries.in_office(plan))
    return context


@bp.get("/<int:plan_id>")
@roles_required(Role.PROVINCE)
def show(plan_id: int):
    plan = _plan(plan_id)
    return render_page_or_partial("renewals/plans/show.html",
                                  "renewals/plans/_not_completed.html", **_show_context(plan))


def _edit_page(plan: RenewalPlan, form: RenewalPlanEditForm, status: int = 200):
    return render_template("renewals/plans/edit.html", plan=plan, form=form, rule=CLOSE_RULE,
                           latest=operations.latest_applied_validity(plan)), status


@bp.route("/<int:plan_id>/edit", methods=["GET", "POST"])
@roles_required(Role.PROVINCE)
def edit(plan_id: int):
    plan = _plan(plan_id)
    if plan.closed_at is not None:
        flash("该复核换证计划已经结束，不能再修改。", "error")
        return redirect(url_for("renewal_plans.show", plan_id=plan.id))
    form = RenewalPlanEditForm(obj=plan if request.method == "GET" else None)
    if request.method == "GET" or not form.validate_on_submit():
        return _edit_page(plan, form, 422 if form.errors else 200)
    plan = _locked(plan_id)
    published = plan.published_at is not None
    try:
        operations.update_plan(plan, title=None if published else form.title.data,
                               expiry_cutoff=form.expiry_cutoff.data,
                               notes=None if published else form.notes.data,
                               actor_id=current_user.id)
        db.session.commit()
    except PlanError as exc:
        db.session.rollback()
        form.expiry_cutoff.errors = [*form.expiry_cutoff.errors, str(exc)]
        return _edit_page(_plan(plan_id), form, 422)
    flash("已保存复核换证计划。", "success")
    return redirect(url_for("renewal_plans.show", plan_id=plan_id))


@bp.post("/<int:plan_id>/publish")
@roles_required(Role.PROVINCE)
def publish(plan_id: int):
    _plan(plan_id)
    if RenewalPlanPublishForm().validate_on_submit():
        plan = _locked(plan_id)
        try:
            operations.publish(plan, actor_id=current_user.id)
        except PlanError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"已发布“{plan.title}”：持证人可在{cn_date(plan.opens_on)}至"
                  f"{cn_date(plan.closes_on)}申请复核换证。", "success")
    return redirect(url_for("renewal_plans.show", plan_id=plan_id))


# --- closing -----------------------------------------------------------------------------------

def _close_page(plan: RenewalPlan, form: RenewalPlanCloseForm, status: int = 200):
    today = local_today()
    problem = operations.close_problem(plan, today)
    count = queries.not_completed_count(plan) if problem is None else None
    if count is not None:  # what is confirmed is the count shown now
        form.expected.data = count
    return render_template(
        "renewals/plans/close.html", plan=plan, form=form, today=today, problem=problem,
        count=count, reason=CLOSE_REVOKE_REASON,
        reason_counts=queries.reason_counts(plan) if problem is None else [],
        in_office=queries.in_office(plan) if problem and plan.closed_at is None else []), status


@bp.route("/<int:plan_id>/close", methods=["GET", "POST"])
@roles_required(Role.PROVINCE)
def close(plan_id: int):
    """GET: the confirmation (how many cards, why, on which day). POST: close the plan."""
    plan = _plan(plan_id)
    form = RenewalPlanCloseForm()
    if request.method == "GET" or not form.validate_on_submit():
        return _close_page(plan, form, 422 if form.errors else 200)
    plan = _locked(plan_id)
    try:
        revoked = operations.close_plan(plan, actor_id=current_user.id, today=local_today(),
                                        expected=form.expected.data)
        db.session.commit()
    except PlanError as exc:
        db.session.rollback()
        form.confirm.errors = [*form.confirm.errors, str(exc)]
        return _close_page(_plan(plan_id), form, 409)
    flash(f"“{plan.title}”已结束：注销未按规定参加复核换证人员的证卡 {len(revoked)} 张。",
          "success")
    return redirect(url_for("renewal_plans.show", plan_id=plan_id))
