"""Bulk upload of sheet records for offline sites: template download, preview, import.

An institution whose site had no network downloads the batch's template (one row per open
rater column), fills it from the signed paper forms and uploads it. The upload is read in
memory (never stored), every row is judged (:mod:`portal.sheets.imports`) and shown; the
checked rows travel to the confirm step in a signed hidden field, and the confirm step judges
them again against the database as it is then. Confirming imports every column in one
transaction, or nothing.
"""

import hashlib
import os

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from wtforms import HiddenField
from wtforms.validators import InputRequired

from portal import signed_rows
from portal.audit.operations import record
from portal.batches.models import Assignment, EvaluationBatch
from portal.batches.rules import can_import_records
from portal.dbutil import begin_write
from portal.extensions import db
from portal.people.models import Person
from portal.scope import get_visible_or_404
from portal.sheets import imports, operations
from portal.sheets.models import RATER_LABELS, RATER_ROLES, EvaluationSheet
from portal.sheets.rules import SaveOutcome
from portal.timeutil import cn_date
from portal.xlsx import build_xlsx, xlsx_response
from portal.xlsx_read import read_upload

bp = Blueprint("sheet_imports", __name__, url_prefix="/sheets/batch")

PAYLOAD_SALT = "sheet-import"


class ImportForm(FlaskForm):
    workbook = FileField("填好的评分表（XLSX 文件）",
                         validators=[FileRequired(message="请选择要上传的 XLSX 文件")])


class ConfirmForm(FlaskForm):
    """The checked rows, signed by the server: the client cannot change what is imported."""

    payload = HiddenField(validators=[InputRequired(message="缺少导入内容，请重新上传文件")])


def _load(batch_id: int) -> EvaluationBatch:
    batch = get_visible_or_404(EvaluationBatch, batch_id, current_user)
    if not can_import_records(current_user, batch):
        abort(403)
    return batch


def _sheets(batch: EvaluationBatch) -> list[EvaluationSheet]:
    """The batch's sheets of accepted assignments, by examiner name."""
    return list(db.session.scalars(
        select(EvaluationSheet).join(EvaluationSheet.assignment).join(EvaluationSheet.person)
        .where(EvaluationSheet.batch_id == batch.id, Assignment.answer == "accepted")
        .order_by(Person.name, EvaluationSheet.id)
    ))


def _lookup(batch: EvaluationBatch) -> dict:
    """What :func:`imports.validate` needs to know of the batch's sheets, read now."""
    lookup: dict[str, dict] = {}
    for sheet in _sheets(batch):
        lookup[imports.text_of(sheet.assignment.card.number)] = {
            column.role: {
                "sheet_id": sheet.id, "submitted": column.is_submitted,
                "rater_id": column.rater_id,
                "rater_name": imports.text_of(column.rater_name) if column.rater_name else None,
                "levels": column.levels, "examiner_name": imports.text_of(sheet.person.name),
            }
            for column in sheet.columns
        }
    return lookup


def _page(batch: EvaluationBatch, status: int = 200, **context):
    sheets = _sheets(batch)
    open_columns = sum(not c.is_submitted for s in sheets for c in s.columns)
    context.setdefault("form", ImportForm())
    return render_template(
        "sheets/import.html", batch=batch, sheet_count=len(sheets), open_columns=open_columns,
        max_mb=current_app.config["UPLOAD_MAX_MB"], **context,
    ), status


@bp.get("/<int:batch_id>/import/template")
@login_required
def template(batch_id: int):
    """The template: one row per open column (not yet submitted) of every accepted sheet.
    Level cells start empty: pre-filling levels saved online would show a rater's unsubmitted
    choices to the clerk (blind double scoring)."""
    batch = _load(batch_id)
    rows = []
    for sheet in _sheets(batch):
        for role in RATER_ROLES:
            column = sheet.column(role)
            if column.is_submitted:
                continue
            rows.append([batch.number, sheet.assignment.card.number, sheet.person.name,
                         RATER_LABELS[role], column.rater_name or "",
                         *([""] * imports.ITEM_COUNT)])
    data = build_xlsx(
        f"考评员考评工作评价记录表（批量录入）— {batch.number}", list(imports.HEADERS), rows,
        header_lines=[
            f"考评批次：{batch.number}",
            f"评价机构：{batch.organisation.name}",
            f"职业（工种）：{batch.occupation.name}　级别：{batch.level_label}",
            "考评日期：" + "、".join(cn_date(d) for d in batch.exam_days),
        ],
        footer_lines=[
            "填写说明：",
            "1. 每位考评员、每位评分人一行；第1项至第15项须全部填写，等级只能是 A、B、C、D。",
            "2. 评分人角色只能是“质量督导员”或“评价机构考场负责人”；请勿改动考评批次、证卡编号、"
            "考评员姓名和评分人。",
            "3. 已提交的评分列不在本表中；如需更正已提交的评分，请联系市（州）或省职鉴中心重新打开。",
            "4. 上传后系统先显示预览，确认后才导入；导入的评分列视为由所列评分人提交。",
        ],
        column_widths=[18, 22, 12, 20, 12, *([7] * imports.ITEM_COUNT)],
    )
    return xlsx_response(data, f"批量录入模板-{batch.number}.xlsx")


@bp.get("/<int:batch_id>/import")
@login_required
def page(batch_id: int):
    return _page(_load(batch_id))


@bp.post("/<int:batch_id>/import")
@login_required
def preview(batch_id: int):
    """Read the upload, judge every row, show the preview (422 when any row has an error)."""
    batch = _load(batch_id)
    form = ImportForm()
    if not form.validate_on_submit():
        return _page(batch, 422, form=form)
    file: FileStorage = form.workbook.data
    try:
        data = read_upload(file, current_app.config["UPLOAD_MAX_MB"])
        rows = imports.read_workbook(data)
        if not rows:
            raise imports.ImportFileError("文件中没有评分记录行。请在模板表头下方逐行填写后再上传")
    except imports.ImportFileError as exc:
        form.workbook.errors = [*form.workbook.errors, str(exc)]
        return _page(batch, 422, form=form)
    plan = imports.validate(rows, _lookup(batch), batch.number)
    name = os.path.basename((file.filename or "").replace("\\", "/"))[:200]
    if not plan.ok:
        return _page(batch, 422, plan=plan, file_name=name)
    payload = signed_rows.sign(PAYLOAD_SALT, {"batch": batch.id}, rows,
                               sha256=hashlib.sha256(data).hexdigest(), name=name)
    return _page(batch, plan=plan, file_name=name, confirm_form=ConfirmForm(payload=payload))


@bp.post("/<int:batch_id>/import/confirm")
@login_required
def confirm(batch_id: int):
    """Judge the signed rows again against the database now; import all of them or none."""
    _load(batch_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    payload, rows = signed_rows.unsign(PAYLOAD_SALT, form.payload.data, {"batch": batch_id},
                                       imports.ParsedRow.from_json)
    begin_write()
    batch = db.session.get(EvaluationBatch, batch_id)
    plan = imports.validate(rows, _lookup(batch), batch.number)
    if not plan.ok:
        db.session.rollback()
        return _page(batch, 422, plan=plan, file_name=payload["name"], rechecked=True)
    try:
        for change in plan.changes:
            _import_column(change, payload)
    except operations.SheetError as exc:  # the judged plan and the operations disagree
        db.session.rollback()
        flash(f"未能导入：{exc}。没有任何评分被写入，请重新上传文件。", "error")
        return redirect(url_for(".page", batch_id=batch_id))
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    flash(f"已导入 {len(plan.changes)} 列评分，{plan.unchanged_rows} 行无变化", "success")
    return redirect(url_for(".page", batch_id=batch_id))


def _import_column(change: imports.PlannedChange, payload: dict) -> None:
    """Store a column's levels and submit it as its rater's (flagged imported); the import
    itself is audited as the uploader's. The caller commits."""
    sheet = db.session.get(EvaluationSheet, change.sheet_id)
    column = sheet.column(change.role)
    for item, level in sorted(change.levels.items()):
        result = operations.save_level(sheet, change.role, item, level,
                                       based_on_version=column.version, actor_id=current_user.id)
        if result.outcome not in (SaveOutcome.APPLY, SaveOutcome.IDEMPOTENT):
            raise operations.SheetError(f"第 {change.row} 行的评分列已被修改或提交")
    operations.submit_column(sheet, change.role, actor_id=column.rater_id, imported=True)
    record("sheet.import", sheet, actor_id=current_user.id, after={
        "role": change.role, "rater_id": column.rater_id,
        "rater": column.rater_name,
        "total": column.total, "row": change.row, "overwrote_items": list(change.overwrites),
        "file_name": payload["name"], "file_sha256": payload["sha256"],
    })


