"""Import of persons and cards from the old system (province only): template download,
upload with a preview of every row, confirmation, and the import report.

The upload is checked row by row (:mod:`portal.card_import.rules`) and previewed; a file
without errors waits on disk (:mod:`portal.card_import.staging`) and the confirm form names
it by a signed token. Confirming reads the same bytes again, judges every row again against
the database as it is then, and imports everything in one transaction, or nothing. The report
is the ``card.import`` audit event, shown after the import.

Both posts are htmx requests from the page (with a plain-form fallback): while one runs, the
page shows a spinner with the row count and the seconds elapsed. Measured (bench/README.md),
10,000 rows take 2.5 s to preview and 15 s (SQLite) to 23 s (PostgreSQL) to import, well
inside one request; a bar of real progress would need a background job and a progress store
every worker sees — not worth it for an import run a few times, at migration.
"""

import os

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.auth.access import roles_required
from portal.auth.roles import Role
from portal.card_import import operations, rules, staging
from portal.card_import.forms import ConfirmForm, UploadForm
from portal.cards.operations import CardError
from portal.catalogue.models import Occupation, Region
from portal.dbutil import begin_write
from portal.extensions import db
from portal.htmx import is_htmx, render_page_or_partial
from portal.timeutil import local_today
from portal.xlsx import build_xlsx, xlsx_response
from portal.xlsx_read import ImportFileError, read_first_sheet, read_upload

bp = Blueprint("card_import", __name__, url_prefix="/cards/import")

SIGNING_SALT = "card-import"
#: A preview may be confirmed within this many seconds (the CSRF token's lifetime).
TOKEN_MAX_AGE = 12 * 3600


def _read(data: bytes) -> list[rules.CardRow]:
    rows = read_first_sheet(data, rules.rows_from_table, max_columns=rules.MAX_COLUMNS)
    if not any(r.number != rules.EXAMPLE_NUMBER for r in rows):
        raise ImportFileError("文件中没有证卡数据行。请在模板表头下方逐行填写后再上传")
    return rows


def _check(rows: list[rules.CardRow]) -> rules.ImportPlan:
    return rules.validate(rows, operations.known_for(rows), today=local_today(),
                          deadline_for=operations.deadline_function())


def _render(status: int = 200, **context):
    context.setdefault("form", UploadForm())
    if not is_htmx():
        context["reports"] = operations.recent_reports()
    html = render_page_or_partial("card_import/page.html", "card_import/_panel.html",
                                  max_mb=current_app.config["UPLOAD_MAX_MB"], **context)
    return html, status


def _redirect(url: str):
    """Go to ``url``: a redirect, or for htmx an ``HX-Redirect`` (a whole-page visit)."""
    if is_htmx():
        return Response(status=200, headers={"HX-Redirect": url})
    return redirect(url)


@bp.get("/")
@roles_required(Role.PROVINCE)
def page():
    return _render()


@bp.get("/template")
@roles_required(Role.PROVINCE)
def template():
    """The template: instructions (with this installation's regions and occupations), the
    header row and one filled example row, which the import ignores."""
    regions = db.session.scalars(select(Region.name).order_by(Region.sort_order, Region.id))
    occupations = db.session.execute(
        select(Occupation.code, Occupation.name).where(Occupation.active)
        .order_by(Occupation.code)).tuples()
    data = build_xlsx(rules.TEMPLATE_TITLE, list(rules.HEADERS), [rules.EXAMPLE_ROW],
                      header_lines=rules.template_instructions(list(regions), list(occupations)),
                      column_widths=rules.TEMPLATE_WIDTHS)
    return xlsx_response(data, "考评员证卡导入模板.xlsx")


@bp.post("/")
@roles_required(Role.PROVINCE)
def preview():
    """Read the upload, judge every row, show the preview (422 when any row has an error)."""
    form = UploadForm()
    if not form.validate_on_submit():
        return _render(422, form=form)
    file = form.workbook.data
    try:
        data = read_upload(file, current_app.config["UPLOAD_MAX_MB"])
        rows = _read(data)
    except ImportFileError as exc:
        form.workbook.errors = [*form.workbook.errors, str(exc)]
        return _render(422, form=form)
    plan = _check(rows)
    name = os.path.basename((file.filename or "").replace("\\", "/"))[:200] or "导入.xlsx"
    if not plan.ok:
        return _render(422, plan=plan, file_name=name)
    confirm_form = None
    if plan.import_rows:
        sha256 = staging.stage(data)
        confirm_form = ConfirmForm(token=_serializer().dumps(
            {"sha256": sha256, "name": name, "user": current_user.id}))
    return _render(plan=plan, file_name=name, confirm_form=confirm_form)


@bp.post("/confirm")
@roles_required(Role.PROVINCE)
def confirm():
    """Judge the previewed file again against the database now; import all of it or none."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    payload = _unsign(form.token.data)
    data = staging.load(payload["sha256"]) if payload else None
    if data is None:
        flash("预览已过期，或预览过的文件已不在服务器上（可能已经导入），请重新上传。", "error")
        return _redirect(url_for(".page"))
    rows = _read(data)
    source = operations.ImportSource(payload["name"], payload["sha256"])
    begin_write()
    operations.lock_for_import()
    plan = _check(rows)
    if not plan.ok:
        db.session.rollback()
        return _render(422, plan=plan, file_name=source.name, rechecked=True)
    if not plan.import_rows:
        db.session.rollback()
        staging.discard(source.sha256)
        flash(f"没有需要导入的证卡：{plan.skip_rows} 行已存在，跳过。", "info")
        return _redirect(url_for(".page"))
    try:
        event = operations.apply_plan(plan, source, actor_id=current_user.id)
    except (operations.ImportConflict, CardError, IntegrityError) as exc:
        db.session.rollback()
        reason = str(exc) if not isinstance(exc, IntegrityError) else "数据在导入期间被修改"
        flash(f"未能导入：{reason}。没有任何数据被写入，请重新上传文件。", "error")
        return _redirect(url_for(".page"))
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    staging.discard(source.sha256)
    flash(f"已导入 {len(plan.cards)} 张证卡，新建人员 {len(plan.new_persons)} 人，"
          f"{plan.skip_rows} 行已存在，跳过。", "success")
    return _redirect(url_for(".report", event_id=event.id))


@bp.get("/reports/<int:event_id>")
@roles_required(Role.PROVINCE)
def report(event_id: int):
    event = operations.report(event_id)
    if event is None:
        abort(404)
    return render_template("card_import/report.html", event=event)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SIGNING_SALT)


def _unsign(token: str) -> dict | None:
    """The payload signed at preview for this user; None when it expired (the file must be
    uploaded again); 400 for anything else."""
    try:
        payload = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    except SignatureExpired:
        return None
    except BadSignature:
        abort(400)
    if (not isinstance(payload, dict) or payload.get("user") != current_user.id
            or not isinstance(payload.get("sha256"), str)
            or not isinstance(payload.get("name"), str)):
        abort(400)
    return payload
