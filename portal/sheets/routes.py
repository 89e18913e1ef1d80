"""The evaluation sheet page and its htmx endpoints: one click = one stored level."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.batches.models import EvaluationBatch
from portal.dbutil import begin_write, kept_loaded
from portal.extensions import db
from portal.pdf import pdf_response, render_pdf
from portal.people.models import Person
from portal.scope import can_see, get_visible_or_404
from portal.sheets import operations, view
from portal.sheets.forms import ReopenForm, ScanForm, SubmitForm, level_form_class
from portal.sheets.models import RATER_ROLES, EvaluationSheet, SheetRevision
from portal.sheets.rules import SaveOutcome
from portal.timeutil import cn_date
from portal.uploads.service import UploadRejected, store, viewer_rule
from portal.xlsx import build_xlsx, xlsx_response

bp = Blueprint("sheets", __name__, url_prefix="/sheets")

SAVE_MESSAGES = {
    SaveOutcome.STALE: "此列已在其他页面或设备上更新，下面显示的是最新内容。请核对后重新选择。",
    SaveOutcome.LOCKED: "此列已提交，不能再修改。如需更正，请联系市（州）或省职鉴中心重新打开。",
}


def _load(sheet_id: int) -> EvaluationSheet:
    return get_visible_or_404(EvaluationSheet, sheet_id, current_user)


def _page(sheet: EvaluationSheet, status: int = 200, **forms):
    revisions = db.session.scalars(
        select(SheetRevision).where(SheetRevision.sheet_id == sheet.id)
        .order_by(SheetRevision.revision)
    ).all()
    return render_template(
        "sheets/show.html", v=view.build(sheet, current_user), revisions=revisions,
        submit_form=SubmitForm(), reopen_form=forms.get("reopen_form") or ReopenForm(),
        scan_form=forms.get("scan_form") or ScanForm(),
        can_reopen=view.can_reopen(current_user),
        can_attach_scan=view.can_attach_scan(current_user, sheet),
    ), status


@bp.get("/<int:sheet_id>")
@login_required
def show(sheet_id: int):
    return _page(_load(sheet_id))


@bp.post("/<int:sheet_id>/columns/<role>/items/<int:item>")
@login_required
def save_level(sheet_id: int, role: str, item: int):
    sheet = _load(sheet_id)
    if role not in RATER_ROLES or view.rater_role_of(sheet, current_user) != role:
        abort(403)
    form = level_form_class(item)() if 1 <= item <= 15 else abort(404)
    if not form.validate_on_submit():
        abort(400)
    level, version = form[f"item-{item}"].data, int(form.version.data)
    # The sheet as read above is kept through the write: the version-guarded UPDATE in
    # save_level proves nobody changed the column since, so the SQLite write lock is held
    # for three statements, and the response is drawn from what was just written.
    with kept_loaded():
        begin_write()
        result = operations.save_level(sheet, role, item, level, based_on_version=version,
                                       actor_id=current_user.id)
        db.session.commit()
    v = view.build(sheet, current_user)
    message = SAVE_MESSAGES.get(result.outcome)
    response = render_template("sheets/_save_response.html", v=v, item=item, message=message,
                               all_rows=result.outcome is SaveOutcome.STALE)
    return response, 409 if message else 200


@bp.post("/<int:sheet_id>/columns/<role>/submit")
@login_required
def submit(sheet_id: int, role: str):
    sheet = _load(sheet_id)
    if role not in RATER_ROLES or view.rater_role_of(sheet, current_user) != role:
        abort(403)
    if SubmitForm().validate_on_submit():
        begin_write()
        sheet = db.session.get(EvaluationSheet, sheet_id)
        try:
            operations.submit_column(sheet, role, actor_id=current_user.id)
        except operations.SheetError as exc:
            db.session.rollback()
            flash(f"未能提交：{exc}", "error")
        else:
            db.session.commit()
            flash("已提交本列评分" + ("；两列均已提交，评价表已完成并封存" if sheet.is_final else ""),
                  "success")
    return redirect(url_for("sheets.show", sheet_id=sheet_id))


@bp.post("/<int:sheet_id>/reopen")
@login_required
def reopen(sheet_id: int):
    sheet = _load(sheet_id)
    if not view.can_reopen(current_user):
        abort(403)
    form = ReopenForm()
    if not form.validate_on_submit():
        return _page(sheet, 422, reopen_form=form)
    try:
        operations.reopen_column(sheet, form.role.data, reason=form.reason.data,
                                 actor_id=current_user.id)
    except operations.SheetError as exc:
        form.role.errors = [*form.role.errors, str(exc)]
        db.session.rollback()
        return _page(_load(sheet_id), 422, reopen_form=form)
    db.session.commit()
    flash("已重新打开该列，原评价表已作为历史版本保存", "success")
    return redirect(url_for("sheets.show", sheet_id=sheet_id))


@bp.post("/<int:sheet_id>/scan")
@login_required
def attach_scan(sheet_id: int):
    sheet = _load(sheet_id)
    if not view.can_attach_scan(current_user, sheet):
        abort(403)
    form = ScanForm()
    if form.validate_on_submit():
        try:
            upload = store(form.scan.data, actor_id=current_user.id)
            operations.attach_scan(sheet, upload.id, actor_id=current_user.id)
        except (UploadRejected, operations.SheetError) as exc:
            db.session.rollback()
            form.scan.errors = [*form.scan.errors, str(exc)]
        else:
            db.session.commit()
            flash("签字扫描件已上传，评价表封存值已更新", "success")
            return redirect(url_for("sheets.show", sheet_id=sheet_id))
    return _page(_load(sheet_id), 422, scan_form=form)


@bp.get("/<int:sheet_id>/pdf")
@login_required
def pdf(sheet_id: int):
    """The sheet as the official form (blind rules apply to what is printed)."""
    sheet = _load(sheet_id)
    data = render_pdf("pdf/sheet.html", views=[view.build(sheet, current_user)])
    return pdf_response(data, f"评价记录表-{sheet.batch.number}-{sheet.person.name}.pdf")


@bp.get("/batch/<int:batch_id>/pdf")
@login_required
def batch_pdf(batch_id: int):
    """Every sheet of a batch in one file, one page each, rendered in one pass."""
    batch = get_visible_or_404(EvaluationBatch, batch_id, current_user)
    sheets = db.session.scalars(
        select(EvaluationSheet).join(EvaluationSheet.person)
        .where(EvaluationSheet.batch_id == batch.id).order_by(Person.name, EvaluationSheet.id)
    ).all()
    if not sheets:
        abort(404)
    data = render_pdf("pdf/sheet.html", views=[view.build(s, current_user) for s in sheets])
    return pdf_response(data, f"评价记录表-{batch.number}.pdf")


@viewer_rule
def scan_viewers(user, upload) -> bool:
    """A sheet's signed scan may be seen by whoever may see the sheet."""
    ids = db.session.scalars(
        select(EvaluationSheet.id).where(EvaluationSheet.scan_upload_id == upload.id)
    ).all()
    return any(can_see(EvaluationSheet, i, user) for i in ids)


@bp.get("/batch/<int:batch_id>/xlsx")
@login_required
def batch_xlsx(batch_id: int):
    """One row per sheet: examiner, card, both raters' 15 levels and totals, final score and
    grade — what the viewer may see under the blind rules, nothing more."""
    batch = get_visible_or_404(EvaluationBatch, batch_id, current_user)
    sheets = db.session.scalars(
        select(EvaluationSheet).join(EvaluationSheet.person)
        .where(EvaluationSheet.batch_id == batch.id).order_by(Person.name, EvaluationSheet.id)
    ).all()
    headers = ["考评员姓名", "考评员证卡编号"]
    for role in RATER_ROLES:
        label = "督导" if role == "supervisor" else "考场"
        headers += [f"{label}第{n}项" for n in range(1, 16)] + [f"{label}合计", f"{label}状态"]
    headers += ["得分", "等次", "版本"]
    rows = []
    for sheet in sheets:
        v = view.build(sheet, current_user)
        row = [sheet.person.name, sheet.assignment.card.number]
        for col in v.ordered:
            row += [col.levels.get(n, "") for n in range(1, 16)]
            row += [col.total if col.visible else "", "已提交" if col.submitted
                    else f"已评 {col.progress}"]
        row += [sheet.final_score if sheet.is_final else "", sheet.grade or "", sheet.revision]
        rows.append(row)
    data = build_xlsx(
        f"考评员考评工作评价记录 — {batch.number}", headers, rows,
        header_lines=[f"评价机构：{batch.organisation.name}",
                      f"职业（工种）：{batch.occupation.name}　级别：{batch.level_label}",
                      "考评日期：" + "、".join(cn_date(d) for d in batch.exam_days)],
        footer_lines=["等次：85分及以上为优；71分—84分为良；57分—70分为中；56分及以下为差"
                      "（按平均分下限判定，不四舍五入）"],
    )
    return xlsx_response(data, f"评价记录-{batch.number}.xlsx")
