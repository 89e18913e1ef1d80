"""The violations register pages: the scoped list with its filters, recording a violation or
incident (with the examiner search and the examiner's batches as htmx partials), a record's
page with its history, and the decision (确认 / 不予认定) by the city centre of the examiner's
city or the province.

Reads are scoped (:mod:`portal.scope`: out of scope → 404); a visible record that the user
may not decide answers 403; every change is one transaction through
:mod:`portal.violations.operations`.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.auth.access import roles_required
from portal.auth.roles import Role
from portal.batches.models import EvaluationBatch
from portal.dbutil import begin_write
from portal.extensions import db
from portal.htmx import render_page_or_partial
from portal.pagination import paginate
from portal.people.models import Person
from portal.renewals.models import VIOLATION_STATUSES, Violation
from portal.scope import can_see, get_visible_or_404
from portal.timeutil import local_today
from portal.uploads.models import Upload
from portal.uploads.service import viewer_rule
from portal.violations import operations, queries, rules
from portal.violations.forms import DecideForm, RecordForm
from portal.violations.operations import ViolationError

bp = Blueprint("violations", __name__, url_prefix="/violations")

LIST_ROLES = (Role.UNIT, Role.CITY, Role.PROVINCE, Role.SITE_LEAD, Role.SUPERVISOR, Role.ADMIN)


@viewer_rule
def evidence_viewers(user, upload: Upload) -> bool:
    """A record's evidence may be seen by whoever may see the record."""
    ids = db.session.scalars(select(Violation.id).where(Violation.evidence_id == upload.id))
    return any(can_see(Violation, i, user) for i in ids)


@bp.app_template_global()
def violation_report_url(batch: EvaluationBatch) -> str | None:
    """The prefilled "登记违规/事件" form for ``batch``, when the current user may record for
    it (its institution's clerk, its raters, the city centre of its city, the province)."""
    if not current_user.is_authenticated or rules.batch_capacity(current_user, batch) is None:
        return None
    return url_for("violations.new", batch_id=batch.id)


@bp.app_template_global()
def violation_kind(kind: str) -> rules.KindInfo:
    return rules.kind_info(kind)


# --- the list ----------------------------------------------------------------------------------

@bp.get("/")
@roles_required(*LIST_ROLES)
def index():
    f = queries.Filters.from_args(request.args)
    page = paginate(queries.list_select(current_user, f))
    return render_page_or_partial(
        "violations/index.html", "violations/_table.html", page=page, f=f,
        statuses=VIOLATION_STATUSES, kinds=[rules.kind_info(k) for k in rules.KINDS],
        counts=queries.counts_by_status(current_user),
        cities=queries.city_choices() if queries.sees_every_city(current_user) else [],
        can_record=rules.recorder_capacity(current_user) is rules.RecorderCapacity.FULL)


# --- recording ---------------------------------------------------------------------------------

def _fixed_batch() -> EvaluationBatch | None:
    """The batch the form was opened for (the batch page's link), if any: visible (else 404)
    and one the user may record for (else 403)."""
    batch_id = request.args.get("batch_id", type=int)
    if batch_id is None:
        return None
    batch = get_visible_or_404(EvaluationBatch, batch_id, current_user)
    if rules.batch_capacity(current_user, batch) is None:
        abort(403)
    return batch


def _form_page(form: RecordForm, *, batch: EvaluationBatch | None, q: str, status: int = 200):
    chosen = form.person_id.data
    people = queries.find_examiners(current_user, q, batch)
    if chosen and chosen not in {p.id for p in people}:
        person = db.session.get(Person, chosen)
        if person is not None and queries.may_record_against(current_user, person.id):
            people = [person, *people]
    return render_template(
        "violations/new.html", form=form, fixed_batch=batch, q=q, people=people,
        chosen=chosen, batches=[] if batch else queries.batch_options(current_user, chosen),
        chosen_batch=form.batch_id.data, today=local_today(),
        rater_only=rules.recorder_capacity(current_user) is rules.RecorderCapacity.RATER,
    ), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    capacity = rules.recorder_capacity(current_user)
    if capacity is None:
        abort(403)
    batch = _fixed_batch()
    kinds = (rules.batch_capacity(current_user, batch) if batch else capacity).kinds()
    form = RecordForm(kinds=kinds)
    q = request.values.get("q", "").strip()
    if request.method == "GET":
        form.person_id.data = request.args.get("person_id", type=int)  # from the registry
        form.occurred_on.data = local_today()
        if batch is not None:
            form.batch_id.data = batch.id
            form.occurred_on.data = min(batch.last_date, local_today())
        return _form_page(form, batch=batch, q=q)
    if batch is not None:
        form.batch_id.data = batch.id  # the form was opened for this batch
    if not form.validate_on_submit():
        return _form_page(form, batch=batch, q=q, status=422)
    person = db.session.get(Person, form.person_id.data)
    chosen_batch = (db.session.get(EvaluationBatch, form.batch_id.data)
                    if form.batch_id.data else None)
    if form.batch_id.data and chosen_batch is None:
        form.batch_id.errors = [*form.batch_id.errors, "请从列表中选择考评批次"]
        return _form_page(form, batch=batch, q=q, status=422)
    begin_write()
    try:
        violation = operations.record_violation(
            current_user, person=person, kind=form.kind.data,
            occurred_on=form.occurred_on.data, batch=chosen_batch,
            description=form.description.data, evidence=form.evidence.data,
            today=local_today())
    except ViolationError as exc:
        db.session.rollback()
        _apply_errors(form, exc.errors)
        return _form_page(form, batch=batch, q=q, status=422)
    db.session.commit()
    flash(f"已登记：{person.name} · {rules.kind_info(violation.kind).label}。"
          "待考评员所在市（州）职鉴中心或省职鉴中心认定。", "success")
    return redirect(url_for("violations.show", violation_id=violation.id))


def _apply_errors(form, errors: dict[str, str]) -> None:
    for name, message in errors.items():
        field = getattr(form, name, None) if name else None
        if field is None:
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]


@bp.get("/new/people")
@login_required
def people():
    """The examiner search of the form (htmx as you type)."""
    if rules.recorder_capacity(current_user) is None:
        abort(403)
    batch = _fixed_batch()
    q = request.args.get("q", "").strip()
    return render_template("violations/_people.html", q=q, chosen=None, fixed_batch=batch,
                           people=queries.find_examiners(current_user, q, batch))


@bp.get("/new/batches")
@login_required
def batches():
    """The batch drop-down for the chosen examiner (htmx when an examiner is picked)."""
    if rules.recorder_capacity(current_user) is None:
        abort(403)
    person_id = request.args.get("person_id", type=int)
    return render_template(
        "violations/_batch_field.html", chosen=person_id, chosen_batch=None, errors=[],
        batches=queries.batch_options(current_user, person_id),
        rater_only=rules.recorder_capacity(current_user) is rules.RecorderCapacity.RATER)


# --- one record ------------------------------------------------------------------------------

def _seen(violation: Violation) -> str:
    return f"{violation.status}:{violation.decided_at.isoformat() if violation.decided_at else ''}"


def _show(violation: Violation, *, form: DecideForm | None = None, error: str | None = None,
          status: int = 200):
    capacity = rules.decider(current_user, violation.person.region_id)
    can_decide = rules.may_decide(capacity, violation.status)
    if can_decide and form is None:
        form = DecideForm(formdata=None)
    if form is not None:
        form.seen.data = _seen(violation)
    batch = violation.batch
    return render_template(
        "violations/show.html", v=violation, kind=rules.kind_info(violation.kind),
        form=form if can_decide else None, capacity=capacity,
        error=error or ("；".join(form.form_errors) if form is not None else None),
        history=queries.history(violation),
        batch_visible=batch is not None and can_see(EvaluationBatch, batch.id, current_user),
        person_link=(url_for("registry.show", person_id=violation.person_id)
                     if current_user.has_role(Role.UNIT, Role.CITY, Role.PROVINCE)
                     and can_see(Person, violation.person_id, current_user) else None),
    ), status


@bp.get("/<int:violation_id>")
@login_required
def show(violation_id: int):
    return _show(get_visible_or_404(Violation, violation_id, current_user))


@bp.post("/<int:violation_id>/decide")
@login_required
def decide(violation_id: int):
    violation = get_visible_or_404(Violation, violation_id, current_user)
    if not rules.may_decide(rules.decider(current_user, violation.person.region_id),
                            violation.status):
        abort(403)
    form = DecideForm()
    if not form.validate_on_submit():
        return _show(violation, form=form, status=422)
    begin_write()
    violation = db.session.get(Violation, violation_id, with_for_update=True)
    if form.seen.data != _seen(violation):
        db.session.rollback()
        return _show(db.session.get(Violation, violation_id), form=form, status=409,
                     error="此记录刚刚已由他人认定，请查看最新状态后再操作。")
    decision = rules.Decision(form.decision.data)
    try:
        operations.decide(violation, decision, form.reason.data, user=current_user)
    except ViolationError as exc:
        db.session.rollback()
        _apply_errors(form, exc.errors)
        return _show(db.session.get(Violation, violation_id), form=form, status=422)
    db.session.commit()
    flash(f"已{decision.label}：{violation.person.name}的“{rules.kind_info(violation.kind).label}”"
          "记录。", "success")
    return redirect(url_for("violations.show", violation_id=violation_id))
