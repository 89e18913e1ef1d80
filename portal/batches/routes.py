"""Evaluation batches: list, create, the batch page with the examiner search, assignment with
confirmed warnings, answers and their judgement, raters; and the examiner's own tasks."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.auth.access import roles_required
from portal.auth.roles import Role
from portal.batches import operations, queries, rules
from portal.batches.forms import (
    AnswerForm,
    AssignForm,
    BatchForm,
    JudgeForm,
    RatersForm,
    RecusalForm,
)
from portal.batches.models import Assignment, EvaluationBatch
from portal.cards.models import Card
from portal.dbutil import begin_write
from portal.extensions import db
from portal.htmx import is_htmx, render_page_or_partial
from portal.pagination import paginate
from portal.scope import get_visible_or_404
from portal.sheets.models import EvaluationSheet

bp = Blueprint("batches", __name__, url_prefix="/batches")

VIEWERS = (Role.UNIT, Role.SITE_LEAD, Role.SUPERVISOR, Role.CITY, Role.PROVINCE, Role.ADMIN)
STATUS_FILTERS = [("", "全部")] + [(s.value, s.label) for s in rules.BatchStatus]


@bp.app_template_global()
def sheet_url(sheet: EvaluationSheet | None) -> str | None:
    """The sheet page's address, or None while that page does not exist (so batch templates
    never depend on the sheets blueprint being registered)."""
    if sheet is None or "sheets.show" not in current_app.view_functions:
        return None
    return url_for("sheets.show", sheet_id=sheet.id)


# --- list and create ---------------------------------------------------------------------------

@bp.get("/")
@roles_required(*VIEWERS)
def index():
    filters = {k: request.args.get(k, "") for k in ("status", "year", "occupation")}
    page = paginate(queries.search_batches(current_user, **filters))
    progress = queries.progress_for([b.id for b in page.items])
    return render_page_or_partial(
        "batches/index.html", "batches/_table.html", page=page, filters=filters,
        progress=progress, statuses=STATUS_FILTERS, years=queries.batch_years(current_user),
        occupations=queries.occupations(),
        can_create=current_user.has_role(Role.UNIT) and current_user.organisation_id,
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.UNIT)
def create():
    org = current_user.organisation
    if org is None:
        abort(403)
    form = BatchForm(organisation_id=org.id)
    if form.validate_on_submit():
        try:
            batch = operations.create_batch(
                organisation=org, occupation_id=form.occupation_id.data, level=form.level.data,
                start=form.start.data, end=form.end.data, site=form.site.data,
                candidates=form.candidates.data, site_lead_id=form.site_lead_id.data,
                supervisor_id=form.supervisor_id.data, actor_id=current_user.id,
            )
        except operations.BatchError as exc:
            db.session.rollback()
            form.site.errors = [*form.site.errors, str(exc)]
        else:
            db.session.commit()
            flash(f"已创建考评批次 {batch.number}", "success")
            return redirect(url_for("batches.show", batch_id=batch.id))
    return render_template("batches/form.html", form=form, org=org), 422 if form.errors else 200


# --- the batch page ----------------------------------------------------------------------------

def _load(batch_id: int) -> EvaluationBatch:
    return get_visible_or_404(EvaluationBatch, batch_id, current_user)


def _managed(batch_id: int) -> EvaluationBatch:
    """A visible batch (else 404) that the current user runs (else 403)."""
    batch = _load(batch_id)
    if not rules.can_manage(current_user, batch):
        abort(403)
    return batch


def _raters_form(batch: EvaluationBatch, formdata=None) -> RatersForm | None:
    if not rules.can_set_supervisor(current_user, batch):
        return None
    form = RatersForm(formdata=formdata, obj=batch if formdata is None else None,
                      organisation_id=batch.organisation_id,
                      with_site_lead=rules.can_manage(current_user, batch))
    return form


def _context(batch: EvaluationBatch, **extra) -> dict:
    """Everything the batch page and its partials show."""
    manage = rules.can_manage(current_user, batch)
    q = request.args.get("q", "")
    context = {
        "batch": batch, "can_manage": manage, "q": q,
        "assignments": queries.assignments_of(batch),
        "sheets": queries.sheets_by_assignment(batch),
        "candidates": queries.search_candidates(batch, q) if manage else [],
        "raters_form": _raters_form(batch),
        "can_import": rules.can_import_records(current_user, batch),
        "row_forms": {}, "panel": None, "warning_labels": rules.WARNING_LABELS,
    }
    context.update(extra)
    return context


@bp.get("/<int:batch_id>")
@login_required
def show(batch_id: int):
    return render_template("batches/show.html", **_context(_load(batch_id)))


@bp.get("/<int:batch_id>/candidates")
@login_required
def candidates(batch_id: int):
    batch = _managed(batch_id)
    return render_page_or_partial("batches/show.html", "batches/_candidates.html",
                                  **_context(batch))


@bp.post("/<int:batch_id>/assignments")
@login_required
def assign(batch_id: int):
    batch = _managed(batch_id)
    form = AssignForm()
    card = None
    if form.validate_on_submit():
        card = db.session.get(Card, form.card_id.data)
    if card is None:
        return _panel(batch, error="请从搜索结果中选择考评员", status=422)
    begin_write()
    batch, card = db.session.get(EvaluationBatch, batch_id), db.session.get(Card, card.id)
    try:
        operations.assign(batch, card, confirmed=set(form.confirm.data or []),
                          actor_id=current_user.id)
    except operations.UnconfirmedWarnings as exc:
        db.session.rollback()
        asked = form.step.data == "confirm"  # the warnings were shown and not all ticked
        return _panel(batch, card=card, warnings=exc.warnings,
                      confirmed=set(form.confirm.data or []),
                      error=str(exc) if asked else None, status=422 if asked else 200)
    except operations.BatchError as exc:
        db.session.rollback()
        return _panel(batch, card=card, error=str(exc), status=422)
    db.session.commit()
    message = f"已指派 {card.person.name}（证卡 {card.number}），待其答复"
    if not is_htmx():
        flash(message, "success")
        return redirect(url_for("batches.show", batch_id=batch.id))
    html = render_template("batches/_assigned.html", message=message,
                           **_context(db.session.get(EvaluationBatch, batch_id)))
    return html, 200, {"HX-Trigger": "batch-assigned"}


def _panel(batch, *, card=None, warnings=(), confirmed=frozenset(), error=None, status=200):
    """The assignment panel: the warnings to confirm, or why the assignment failed."""
    panel = {"card": card, "warnings": list(warnings), "confirmed": confirmed, "error": error}
    if is_htmx():
        return render_template("batches/_assign_panel.html", batch=batch, panel=panel), status
    return render_template("batches/show.html", **_context(batch, panel=panel)), status


def _assignment(batch: EvaluationBatch, assignment_id: int, *, lock=False) -> Assignment:
    """An assignment of ``batch`` (else 404); ``lock`` holds its row until the commit."""
    assignment = db.session.get(Assignment, assignment_id, with_for_update=lock or None)
    if assignment is None or assignment.batch_id != batch.id:
        abort(404)
    return assignment


def _after_row_change(batch_id: int, message: str):
    """Respond to an answer or a judgement: the table alone for htmx, else PRG."""
    if not is_htmx():
        flash(message, "success")
        return redirect(url_for("batches.show", batch_id=batch_id) + "#assignments")
    batch = db.session.get(EvaluationBatch, batch_id)
    return render_template("batches/_assignments.html", table_message=message,
                           **_context(batch))


def _row_error(batch: EvaluationBatch, assignment_id: int, form):
    context = _context(batch, row_forms={assignment_id: form})
    if is_htmx():
        return render_template("batches/_assignments.html", **context), 422
    return render_template("batches/show.html", **context), 422


@bp.post("/<int:batch_id>/assignments/<int:assignment_id>/answer")
@login_required
def answer(batch_id: int, assignment_id: int):
    batch = _managed(batch_id)
    _assignment(batch, assignment_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _row_error(batch, assignment_id, form)
    begin_write()
    assignment = _assignment(db.session.get(EvaluationBatch, batch_id), assignment_id, lock=True)
    try:
        operations.record_answer(assignment, form.answer.data, reason=form.reason.data,
                                 actor_id=current_user.id)
    except operations.BatchError as exc:
        db.session.rollback()
        form.answer.errors = [*form.answer.errors, str(exc)]
        return _row_error(_load(batch_id), assignment_id, form)
    db.session.commit()
    name = assignment.person.name
    message = (f"已记录：{name} 接受指派，评价表已生成" if form.answer.data == "accepted"
               else f"已记录：{name} 拒绝指派")
    return _after_row_change(batch_id, message)


@bp.post("/<int:batch_id>/assignments/<int:assignment_id>/judge")
@login_required
def judge(batch_id: int, assignment_id: int):
    batch = _managed(batch_id)
    assignment = _assignment(batch, assignment_id)
    form = JudgeForm()
    if not form.validate_on_submit():
        return _row_error(batch, assignment_id, form)
    try:
        operations.judge_refusal(assignment, form.justified.data == "yes",
                                 actor_id=current_user.id)
    except operations.BatchError as exc:
        db.session.rollback()
        form.justified.errors = [*form.justified.errors, str(exc)]
        return _row_error(_load(batch_id), assignment_id, form)
    db.session.commit()
    verdict = "理由正当" if assignment.reason_justified else "理由不正当"
    return _after_row_change(batch_id, f"已认定 {assignment.person.name} 的拒绝{verdict}")


@bp.post("/<int:batch_id>/raters")
@login_required
def raters(batch_id: int):
    batch = _load(batch_id)
    form = _raters_form(batch, formdata=request.form)
    if form is None:
        abort(403)
    if form.validate_on_submit():
        lead = form.site_lead_id.data if "site_lead_id" in form else batch.site_lead_id
        try:
            changed = operations.set_raters(batch, site_lead_id=lead,
                                            supervisor_id=form.supervisor_id.data)
        except operations.BatchError as exc:
            db.session.rollback()
            form.supervisor_id.errors = [*form.supervisor_id.errors, str(exc)]
        else:
            db.session.commit()
            extra = f"；{len(changed)} 份评价表中未提交的评分列已转给新的评分人" if changed else ""
            flash("评价人员已保存" + extra, "success")
            return redirect(url_for("batches.show", batch_id=batch_id))
    return render_template("batches/show.html", **_context(_load(batch_id), raters_form=form)), 422


# --- the examiner's own tasks ------------------------------------------------------------------

def _own_assignment(assignment_id: int) -> Assignment:
    assignment = db.session.get(Assignment, assignment_id)
    if (assignment is None or current_user.person_id is None
            or assignment.person_id != current_user.person_id):
        abort(404)
    return assignment


def _my_page(forms: dict | None = None, status: int = 200):
    person_id = current_user.person_id
    assignments = queries.my_assignments(person_id) if person_id else []
    sheets = {s.assignment_id: s for s in db.session.scalars(
        select(EvaluationSheet).where(EvaluationSheet.assignment_id.in_([a.id for a in assignments]))
    )}
    return render_template("batches/my.html", assignments=assignments, sheets=sheets,
                           forms=forms or {}), status


@bp.get("/my")
@roles_required(Role.APPLICANT)
def my_assignments():
    return _my_page()


@bp.post("/my/<int:assignment_id>/recuse")
@roles_required(Role.APPLICANT)
def recuse(assignment_id: int):
    assignment = _own_assignment(assignment_id)
    form = RecusalForm()
    if form.validate_on_submit():
        try:
            operations.declare_recusal(assignment, form.reason.data, actor_id=current_user.id)
        except operations.BatchError as exc:  # the assignment was answered meanwhile
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"已提交回避申请：{assignment.batch.number}", "success")
        return redirect(url_for("batches.my_assignments"))
    return _my_page({assignment_id: form}, 422)
