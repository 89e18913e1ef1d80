"""The renewal summary tables' pages (复核换证汇总表, Attachment 2, notice §三(四)3): the
initial reviewer lists, makes, prints, stamps, sends or deletes its tables; the province
lists the sent tables per plan and approves a whole table at once (each approval issues the
new card).

Every read is scoped (:mod:`portal.scope`, another office's table → 404; the province sees a
table once it is sent); every change goes through :mod:`portal.renewals.summary`, one
transaction per request, audited there. The forms are the qualification tables' forms
(:mod:`portal.applications.review_forms`).
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.applications.review_forms import ConfirmForm, ScanForm, TableForm
from portal.auth.access import roles_required
from portal.auth.roles import Role
from portal.dbutil import begin_write
from portal.extensions import db
from portal.fields import choices
from portal.pagination import paginate
from portal.pdf import PdfRenderError, pdf_response
from portal.renewals import summary
from portal.renewals.models import RenewalPlan, RenewalSummaryTable
from portal.renewals.rules import IllegalRenewalMove, RenewalStage
from portal.scope import can_see, get_visible_or_404
from portal.summary_tables import shared
from portal.uploads.models import Upload
from portal.uploads.service import viewer_rule
from portal.xlsx import xlsx_response

bp = Blueprint("renewal_tables", __name__, url_prefix="/renewals/tables")

LIST_ROLES = (Role.CITY, Role.UNIT, Role.PROVINCE, Role.ADMIN)
#: Short words for a row's stage on the table page (the full label shows on hover).
SHORT_STAGE = {
    RenewalStage.INITIAL_APPROVED: "初审通过",
    RenewalStage.PROVINCE_REVIEW: "待省复审",
    RenewalStage.RENEWED: "已换发新证",
    RenewalStage.REVOKED: "复审不通过",
}
#: The renewal application's page (the review pages), linked from a table's rows when present.
APPLICATION_PAGE = "renewals.show"


@viewer_rule
def renewal_table_scan_viewers(user, upload: Upload) -> bool:
    """A renewal table's stamped scan may be seen by whoever may see the table."""
    tables = db.session.scalars(
        select(RenewalSummaryTable).where(RenewalSummaryTable.scan_id == upload.id))
    return any(can_see(RenewalSummaryTable, t.id, user) and summary.may_view(user, t)
               for t in tables)


def _table(table_id: int) -> RenewalSummaryTable:
    """A table the user may see (else 404): the office's own; the province's once sent."""
    table = get_visible_or_404(RenewalSummaryTable, table_id, current_user)
    if not summary.may_view(current_user, table):
        abort(404)
    return table


def _own_table(table_id: int) -> RenewalSummaryTable:
    table = _table(table_id)
    if not summary.is_reviewer(current_user, table):
        abort(403)
    return table


# --- the list ----------------------------------------------------------------------------------


@bp.get("/")
@roles_required(*LIST_ROLES)
def index():
    offices = summary.offices_of(current_user)
    plan_id = request.args.get("plan", type=int)
    page = paginate(summary.tables_select(current_user, plan_id))
    return render_template(
        "renewals/tables/index.html", page=page, offices=offices, plan_id=plan_id,
        plan_rows=summary.sent_plans(current_user),
        sizes=summary.table_sizes([t.id for t in page.items]),
        waiting=[(o, summary.candidate_plans(current_user, o)) for o in offices],
        province=current_user.has_role(Role.PROVINCE))


# --- a new table -------------------------------------------------------------------------------


def _office(key: str | None) -> summary.Office:
    offices = summary.offices_of(current_user)
    if not offices:
        abort(403)
    return next((o for o in offices if o.key == key), offices[0])


def _table_form(office: summary.Office, plan_id: int | None, rows, formdata=None) -> TableForm:
    offices = summary.offices_of(current_user)
    plans = summary.candidate_plans(current_user, office)
    form = TableForm(formdata=formdata)
    form.plan_id.label.text = "复核换证计划"
    form.application_ids.label.text = "列入汇总表的复核换证申请"
    form.office.choices = choices((o.key, o.name) for o in offices)
    form.plan_id.choices = choices(
        [(p.id, f"{p.title}（待汇总 {n} 份）") for p, n in plans] or [("", "（没有待汇总的申请）")])
    form.application_ids.choices = choices((a.id, a.name) for a in rows)
    if formdata is None:
        form.office.data = office.key
        form.plan_id.data = plan_id
        form.filled_by.data = office.name
        form.contact_name.data = current_user.display_name
        org = current_user.organisation
        form.contact_phone.data = current_user.phone or (org.contact_phone if org else "")
        form.application_ids.data = [a.id for a in rows]
    return form


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.CITY, Role.UNIT)
def new():
    source = request.form if request.method == "POST" else request.args
    office = _office(source.get("office"))
    plans = summary.candidate_plans(current_user, office)
    plan_id = source.get("plan_id", type=int) or (plans[0][0].id if plans else None)
    plan = db.session.get(RenewalPlan, plan_id) if plan_id else None
    rows = summary.candidates(current_user, office, plan.id) if plan else []
    if request.method == "GET":
        form = _table_form(office, plan_id, rows)
        return render_template("renewals/tables/new.html", form=form, office=office, rows=rows,
                               plan=plan, many_offices=len(form.office.choices) > 1)
    form = _table_form(office, plan_id, rows, formdata=request.form)
    error = None
    if form.validate_on_submit() and plan is not None:
        begin_write()
        try:
            table = summary.create_table(
                user=current_user, office=office, plan=db.session.get(RenewalPlan, plan.id),
                application_ids=form.application_ids.data or [],
                filled_by=form.filled_by.data, contact_name=form.contact_name.data,
                contact_phone=form.contact_phone.data)
            count = len(table.applications)
            db.session.commit()
        except summary.SummaryError as exc:
            db.session.rollback()
            error = str(exc)
        except IntegrityError:
            db.session.rollback()
            error = "汇总表编号与同时创建的另一张汇总表冲突，请重新提交。"
        else:
            flash(f"已生成复核换证汇总表 {table.number}（{count} 人）。请下载打印、"
                  "加盖公章后上传扫描件，再报送省职鉴中心。", "success")
            return redirect(url_for("renewal_tables.show", table_id=table.id))
    rows = summary.candidates(current_user, office, plan.id) if plan else []
    return render_template("renewals/tables/new.html", form=form, office=office, rows=rows,
                           plan=plan, error=error,
                           many_offices=len(form.office.choices) > 1), 422


# --- one table ---------------------------------------------------------------------------------


def _page(table: RenewalSummaryTable, *, error: str | None = None, status: int = 200,
          scan_form: ScanForm | None = None):
    applications = summary.table_applications(table)
    waiting = [a for a in applications if a.stage_enum in summary.AWAITING_PROVINCE]
    return render_template(
        "renewals/tables/show.html", table=table, applications=applications, error=error,
        own=summary.is_reviewer(current_user, table),
        province=current_user.has_role(Role.PROVINCE) and table.sent_at is not None,
        waiting=waiting, scan_form=scan_form or ScanForm(), confirm_form=ConfirmForm(),
        problems=summary.send_problems(table, applications),
        counts=summary.stage_counts(applications), application_page=APPLICATION_PAGE,
        short_stage=SHORT_STAGE,
    ), status


@bp.get("/<int:table_id>")
@login_required
def show(table_id: int):
    return _page(_table(table_id))


@bp.get("/<int:table_id>/pdf")
@login_required
def pdf(table_id: int):
    table = _table(table_id)
    try:
        data = summary.pdf_bytes(table)
    except PdfRenderError as exc:
        return _page(table, error=str(exc), status=500)
    return pdf_response(data, f"复核换证汇总表-{table.number}.pdf")


@bp.get("/<int:table_id>/xlsx")
@login_required
def xlsx(table_id: int):
    table = _table(table_id)
    return xlsx_response(summary.xlsx_bytes(table), f"复核换证汇总表-{table.number}.xlsx")


def _write(table_id: int, operation, success: str, *, own: bool = True, redirect_to=None):
    """Run ``operation(table)`` in one write transaction: commit and flash ``success``
    (formatted with the operation's result) or roll back and show the refusal."""
    table = _own_table(table_id) if own else _table(table_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    begin_write()
    table = db.session.get(RenewalSummaryTable, table.id, with_for_update=True)
    try:
        result = operation(table)
    except IllegalRenewalMove as exc:  # SummaryError too
        db.session.rollback()
        message = str(exc) if isinstance(exc, summary.SummaryError) else f"操作未执行：{exc}"
        return _page(db.session.get(RenewalSummaryTable, table_id), error=message, status=422)
    db.session.commit()
    flash(success.format(result=result), "success")
    return redirect(redirect_to or url_for("renewal_tables.show", table_id=table_id))


@bp.post("/<int:table_id>/scan")
@login_required
def scan(table_id: int):
    table = _own_table(table_id)
    form = ScanForm()
    if not form.validate_on_submit():
        return _page(table, scan_form=form, status=422)
    refused = shared.store_scan(
        RenewalSummaryTable, table_id, form.scan.data, user=current_user, refused=summary.SummaryError,
        attach=lambda t, upload_id: summary.attach_scan(t, upload_id, user=current_user))
    if refused:
        field_errors, message = refused
        form.scan.errors = [*form.scan.errors, *field_errors]
        return _page(db.session.get(RenewalSummaryTable, table_id), scan_form=form, error=message,
                      status=422)
    db.session.commit()
    flash("已上传盖章扫描件，可以报送省职鉴中心。", "success")
    return redirect(url_for("renewal_tables.show", table_id=table_id))


@bp.post("/<int:table_id>/send")
@login_required
def send(table_id: int):
    return _write(table_id, lambda t: summary.send(t, user=current_user),
                  "已报送省职鉴中心：{result} 份复核换证申请转入省职鉴中心复审。")


@bp.post("/<int:table_id>/delete")
@login_required
def delete(table_id: int):
    return _write(table_id, lambda t: summary.delete_table(t, user=current_user),
                  "已删除汇总表，其中 {result} 份申请可重新编入汇总表。",
                  redirect_to=url_for("renewal_tables.index"))


@bp.post("/<int:table_id>/approve")
@login_required
def approve(table_id: int):
    _table(table_id)  # 404 before 403
    if not current_user.has_role(Role.PROVINCE):
        abort(403)
    return _write(table_id, lambda t: summary.approve_all(t, user=current_user),
                  "复审通过 {result} 份复核换证申请，已逐一换发新证卡，原证卡已由新证卡替代。",
                  own=False)
