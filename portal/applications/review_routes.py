"""The reviewers' pages of the qualification workflow: the work queue (申报审核), an
application's page with its timeline and the moves the user may make, and the initial
reviewers' summary tables (汇总表, Attachment 2) with the province's re-review over them.

Every read is scoped (:mod:`portal.scope`, out of scope → 404); every move goes through
:func:`portal.applications.operations.apply_action` (via :mod:`portal.applications.review`
and :mod:`portal.applications.summary`), one transaction per request.
"""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.applications import review, summary
from portal.applications.models import Application, SummaryTable, TrainingPlan
from portal.applications.operations import capacities
from portal.applications.review_forms import (
    ActForm,
    BulkReturnForm,
    ConfirmForm,
    ScanForm,
    TableForm,
)
from portal.applications.review_rules import (
    AWAITING_PROVINCE,
    compose_comment,
    panel_actions,
)
from portal.applications.rules import (
    CANNED_REASONS,
    COMMENT_REQUIRED,
    HOLDERS,
    Action,
    Capacity,
    IllegalTransition,
    QualificationLevel,
    Stage,
    TitleLevel,
)
from portal.auth.access import roles_required
from portal.auth.roles import Role
from portal.dbutil import begin_write
from portal.extensions import db
from portal.fields import choices
from portal.htmx import render_page_or_partial
from portal.pagination import paginate
from portal.pdf import PdfRenderError, pdf_response
from portal.scope import can_see, get_visible_or_404
from portal.summary_tables import shared
from portal.timeutil import local_today
from portal.uploads.models import Upload
from portal.uploads.service import viewer_rule
from portal.workdays import WorkdayCalendar
from portal.xlsx import xlsx_response

bp = Blueprint("applications", __name__, url_prefix="/applications")

QUEUE_ROLES = (Role.UNIT, Role.CITY, Role.PROVINCE)
#: The uploads of an application, as the page lists them.
UPLOADS = (("id_copy", "身份证复印件"), ("certificate_copy", "职业资格证书或职称证书复印件"),
           ("photo", "照片"), ("card_copy", "考评员证卡复印件"),
           ("signed_form", "签字盖章的申报表扫描件"))


@viewer_rule
def summary_scan_viewers(user, upload: Upload) -> bool:
    """A summary table's stamped scan may be seen by whoever may see the table."""
    ids = db.session.scalars(select(SummaryTable.id).where(SummaryTable.scan_id == upload.id))
    return any(can_see(SummaryTable, i, user) for i in ids)


# --- the work queue ------------------------------------------------------------------------


@bp.get("/")
@roles_required(*QUEUE_ROLES)
def queue():
    stages = review.queue_stages(current_user)
    plan_id = request.args.get("plan", type=int)
    stage = request.args.get("stage", "")
    stage = stage if stage in {s.value for s in stages} else ""
    page = paginate(review.queue_select(current_user, plan_id=plan_id, stage=stage or None))
    calendar, today, province = WorkdayCalendar(), local_today(), review.province_name()
    holdings = {a.id: review.holding(a, calendar=calendar, today=today, province=province)
                for a in page.items}
    return render_page_or_partial(
        "applications/queue.html", "applications/_queue_table.html", page=page,
        holdings=holdings, stages=stages, counts=review.queue_counts(current_user,
                                                                     plan_id=plan_id),
        plans=review.queue_plans(current_user), filters={"plan": plan_id or "", "stage": stage},
        offices=summary.offices_of(current_user))


# --- one application -----------------------------------------------------------------------


def _load(application_id: int) -> Application:
    return get_visible_or_404(Application, application_id, current_user)


def _show(application: Application, *, form: ActForm | None = None, error: str | None = None,
          status: int = 200):
    held = capacities(current_user, application)
    actions = panel_actions(application.stage, held)
    if form is None:
        form = ActForm(formdata=None, stage=application.stage)
        if Action.RECOMMEND in actions:
            form.comment.data = application.unit_opinion or "同意推荐。"
    form.stage.data = application.stage
    table = application.summary_table
    return render_template(
        "applications/show.html", application=application, person=application.person,
        holding=review.holding(application), steps=review.steps_of(application),
        full_id=review.full_id_visible(current_user, application),
        uploads=[(label, getattr(application, name)) for name, label in UPLOADS],
        actions=actions, form=form, error=error, comment_required=COMMENT_REQUIRED,
        applicant_holds=(Capacity.APPLICANT in held
                         and HOLDERS.get(application.stage_enum) is Capacity.APPLICANT),
        canned=CANNED_REASONS, capacities=held,
        quota=(review.quota_of(application) if Action.RECOMMEND in actions else None),
        window_open=application.plan.window_open(local_today()),
        qualification_label=(QualificationLevel(application.qualification_level).label
                             if application.qualification_level else ""),
        title_label=(TitleLevel(application.title_level).label
                     if application.title_level else ""),
        table=table if table is not None and can_see(SummaryTable, table.id, current_user)
        and summary.may_view(current_user, table) else None,
    ), status


@bp.get("/<int:application_id>")
@login_required
def show(application_id: int):
    return _show(_load(application_id))


@bp.post("/<int:application_id>/act")
@login_required
def act(application_id: int):
    application = _load(application_id)
    if not capacities(current_user, application):
        abort(403)
    form = ActForm()
    if not form.validate_on_submit():
        problems = [f"{field.label.text}：{e}" for field in form for e in field.errors]
        return _show(application, form=form, status=422,
                     error="未办理：" + "；".join(problems) + "。")
    action = Action(form.action.data)
    begin_write()
    application = db.session.get(Application, application_id, with_for_update=True)
    try:
        review.act(application, action, user=current_user, expected_stage=form.stage.data,
                   comment=compose_comment(form.reasons.data or [], form.comment.data))
    except IllegalTransition as exc:
        db.session.rollback()
        return _show(db.session.get(Application, application_id), form=form, error=str(exc),
                     status=422)
    db.session.commit()
    application = db.session.get(Application, application_id)
    holding = review.holding(application)
    where = (f"现由{holding.office}办理。" if holding.office
             else f"申报现为“{application.stage_enum.label}”。")
    flash(f"已{action.label}：{application.person.name}的申报。{where}", "success")
    return redirect(url_for("applications.show", application_id=application_id))


# --- summary tables --------------------------------------------------------------------------


def _table(table_id: int) -> SummaryTable:
    """A table the user may see (else 404): the office's own; the province's once sent."""
    table = get_visible_or_404(SummaryTable, table_id, current_user)
    if not summary.may_view(current_user, table):
        abort(404)
    return table


def _own_table(table_id: int) -> SummaryTable:
    table = _table(table_id)
    if not summary.is_reviewer(current_user, table):
        abort(403)
    return table


@bp.get("/tables")
@roles_required(*QUEUE_ROLES, Role.ADMIN)
def tables():
    offices = summary.offices_of(current_user)
    page = paginate(summary.tables_select(current_user))
    return render_template(
        "applications/tables.html", page=page, offices=offices,
        sizes=summary.table_sizes([t.id for t in page.items]),
        waiting=[(o, summary.candidate_plans(current_user, o)) for o in offices])


def _office(key: str | None) -> summary.Office:
    offices = summary.offices_of(current_user)
    if not offices:
        abort(403)
    return next((o for o in offices if o.key == key), offices[0])


def _table_form(office: summary.Office, plan_id: int | None, formdata=None) -> TableForm:
    offices = summary.offices_of(current_user)
    plans = summary.candidate_plans(current_user, office)
    form = TableForm(formdata=formdata)
    form.office.choices = choices((o.key, o.name) for o in offices)
    form.plan_id.choices = choices(
        [(p.id, f"{p.title}（待汇总 {n} 份）") for p, n in plans] or [("", "（没有待汇总的申报）")])
    if formdata is None:
        form.office.data = office.key
        form.plan_id.data = plan_id
        form.filled_by.data = office.name
        form.contact_name.data = current_user.display_name
        org = current_user.organisation
        form.contact_phone.data = current_user.phone or (org.contact_phone if org else "")
    return form


@bp.route("/tables/new", methods=["GET", "POST"])
@roles_required(Role.CITY, Role.UNIT)
def new_table():
    source = request.form if request.method == "POST" else request.args
    office = _office(source.get("office"))
    plans = summary.candidate_plans(current_user, office)
    plan_id = source.get("plan_id", type=int) or (plans[0][0].id if plans else None)
    plan = db.session.get(TrainingPlan, plan_id) if plan_id else None
    rows = summary.candidates(current_user, office, plan.id) if plan else []
    if request.method == "GET":
        form = _table_form(office, plan_id)
        form.application_ids.choices = choices((a.id, a.person.name) for a in rows)
        form.application_ids.data = [a.id for a in rows]
        return render_template("applications/table_form.html", form=form, office=office,
                               rows=rows, plan=plan, many_offices=len(form.office.choices) > 1)
    form = _table_form(office, plan_id, formdata=request.form)
    form.application_ids.choices = choices((a.id, a.person.name) for a in rows)
    error = None
    if form.validate_on_submit() and plan is not None:
        begin_write()
        try:
            table = summary.create_table(
                user=current_user, office=office, plan=db.session.get(TrainingPlan, plan.id),
                application_ids=form.application_ids.data or [],
                filled_by=form.filled_by.data, contact_name=form.contact_name.data,
                contact_phone=form.contact_phone.data)
            db.session.commit()
        except summary.SummaryError as exc:
            db.session.rollback()
            error = str(exc)
        except IntegrityError:
            db.session.rollback()
            error = "汇总表编号与同时创建的另一张汇总表冲突，请重新提交。"
        else:
            flash(f"已生成汇总表 {table.number}（{len(table.applications)} 人）。请下载打印、"
                  "加盖公章后上传扫描件，再报送省职鉴中心。", "success")
            return redirect(url_for("applications.table", table_id=table.id))
    rows = summary.candidates(current_user, office, plan.id) if plan else []
    return render_template("applications/table_form.html", form=form, office=office, rows=rows,
                           plan=plan, error=error,
                           many_offices=len(form.office.choices) > 1), 422


def _table_page(table: SummaryTable, *, error: str | None = None, status: int = 200,
                scan_form: ScanForm | None = None, return_form: BulkReturnForm | None = None):
    applications = summary.table_applications(table)
    returnable = [a for a in applications if a.stage_enum in AWAITING_PROVINCE]
    province = current_user.has_role(Role.PROVINCE) and table.sent_at is not None
    if return_form is None:
        return_form = BulkReturnForm(formdata=None)
    return render_template(
        "applications/table.html", table=table, applications=applications, error=error,
        own=summary.is_reviewer(current_user, table), province=province,
        returnable={a.id for a in returnable}, scan_form=scan_form or ScanForm(),
        confirm_form=ConfirmForm(), return_form=return_form, canned=CANNED_REASONS,
        problems=summary.send_problems(has_scan=table.scan_id is not None,
                                       sent=table.sent_at is not None,
                                       stages=[a.stage for a in applications]),
        counts=summary.stage_counts(table), Stage=Stage,
    ), status


@bp.get("/tables/<int:table_id>")
@login_required
def table(table_id: int):
    return _table_page(_table(table_id))


@bp.get("/tables/<int:table_id>/pdf")
@login_required
def table_pdf(table_id: int):
    table = _table(table_id)
    try:
        data = summary.pdf_bytes(table)
    except PdfRenderError as exc:
        return _table_page(table, error=str(exc), status=500)
    return pdf_response(data, f"汇总表-{table.number}.pdf")


@bp.get("/tables/<int:table_id>/xlsx")
@login_required
def table_xlsx(table_id: int):
    table = _table(table_id)
    return xlsx_response(summary.xlsx_bytes(table), f"汇总表-{table.number}.xlsx")


def _write(table_id: int, operation, success: str, *, own: bool = True, redirect_to=None):
    """Run ``operation(table)`` in one write transaction: commit and flash ``success``
    (formatted with the operation's result) or roll back and show the refusal."""
    table = _own_table(table_id) if own else _table(table_id)
    begin_write()
    table = db.session.get(SummaryTable, table.id, with_for_update=True)
    try:
        result = operation(table)
    except summary.SummaryError as exc:
        db.session.rollback()
        return _table_page(db.session.get(SummaryTable, table_id), error=str(exc), status=422)
    except IllegalTransition as exc:
        db.session.rollback()
        return _table_page(db.session.get(SummaryTable, table_id),
                           error=f"操作未执行：{exc}", status=422)
    db.session.commit()
    flash(success.format(result=result), "success")
    return redirect(redirect_to or url_for("applications.table", table_id=table_id))


@bp.post("/tables/<int:table_id>/scan")
@login_required
def table_scan(table_id: int):
    table = _own_table(table_id)
    form = ScanForm()
    if not form.validate_on_submit():
        return _table_page(table, scan_form=form, status=422)
    refused = shared.store_scan(
        SummaryTable, table_id, form.scan.data, user=current_user, refused=summary.SummaryError,
        attach=lambda t, upload_id: summary.attach_scan(t, upload_id, user=current_user))
    if refused:
        field_errors, message = refused
        form.scan.errors = [*form.scan.errors, *field_errors]
        return _table_page(db.session.get(SummaryTable, table_id), scan_form=form, error=message,
                      status=422)
    db.session.commit()
    flash("已上传盖章扫描件，可以报送省职鉴中心。", "success")
    return redirect(url_for("applications.table", table_id=table_id))


@bp.post("/tables/<int:table_id>/send")
@login_required
def table_send(table_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _write(table_id, lambda t: summary.send(t, user=current_user),
                  "已报送省职鉴中心：{result} 份申报转入省职鉴中心复审。")


@bp.post("/tables/<int:table_id>/delete")
@login_required
def table_delete(table_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _write(table_id, lambda t: summary.delete_table(t, user=current_user),
                  "已删除汇总表，其中 {result} 份申报可重新编入汇总表。",
                  redirect_to=url_for("applications.tables"))


def _province_table(table_id: int) -> SummaryTable:
    table = _table(table_id)
    if not current_user.has_role(Role.PROVINCE):
        abort(403)
    return table


@bp.post("/tables/<int:table_id>/approve")
@login_required
def table_approve(table_id: int):
    _province_table(table_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _write(table_id, lambda t: summary.approve_all(t, user=current_user),
                  "复审通过 {result} 份申报，已转入培训。", own=False)


@bp.post("/tables/<int:table_id>/return")
@login_required
def table_return(table_id: int):
    table = _province_table(table_id)
    form = BulkReturnForm()
    form.application_ids.choices = choices(
        (a.id, a.person.name) for a in summary.table_applications(table)
        if a.stage_enum in AWAITING_PROVINCE)
    valid = form.validate_on_submit()
    comment = compose_comment(form.reasons.data or [], form.comment.data)
    ids = form.application_ids.data or []
    if valid and not ids:
        form.application_ids.errors = ["请勾选要退回的申报"]
    if valid and not comment:
        form.comment.errors = ["退回须选择或填写理由"]
    problems = [e for field in form for e in field.errors]
    if problems:
        return _table_page(table, return_form=form, status=422,
                           error="未退回：" + "；".join(problems) + "。")
    return _write(table_id, lambda t: summary.return_selected(t, ids, user=current_user,
                                                              comment=comment),
                  "已退回 {result} 份申报至初审单位，这些申报已移出本汇总表。", own=False)


@bp.app_template_global()
def url_if_present(endpoint: str, **values) -> str | None:
    """``url_for(endpoint)``, or None while that page is not part of the app (the applicant's
    pages live in another blueprint)."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


@bp.app_template_global()
def capacity_label(code: str | None) -> str:
    """The Chinese name of a capacity code (申报人, 申报单位, 初审单位, 省职鉴中心)."""
    return Capacity(code).label if code in set(Capacity) else (code or "")


@bp.app_template_global()
def stage_name(code: str) -> str:
    """The Chinese name of a stage code."""
    return Stage(code).label if code in set(Stage) else code


@bp.app_template_global()
def action_name(code: str) -> str:
    """The Chinese name of an action code."""
    return Action(code).label if code in set(Action) else code
