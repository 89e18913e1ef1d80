"""Assessment results of a session by XLSX: template download, upload with preview, confirm.

The province downloads the session's template (one row per participant who attended, results
already recorded filled in), types the scores and uploads it. The upload is read in memory
(never stored), every row is judged (:mod:`portal.training.result_imports`) and shown; the
checked rows travel to the confirm step in a signed hidden field, and the confirm step judges
them again against the database as it is then. Confirming records every result in one
transaction — each pass through ``apply_action`` and ``issue_card`` — or none.
"""

from __future__ import annotations

import hashlib
import os

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from portal import signed_rows
from portal.applications.models import Application, TrainingSession
from portal.applications.rules import Stage
from portal.audit.operations import record
from portal.auth.access import roles_required
from portal.auth.roles import Role
from portal.cards.queries import banned_among
from portal.dbutil import begin_write
from portal.extensions import db
from portal.people.models import Person
from portal.scope import visible
from portal.timeutil import cn_date, local_today
from portal.training import result_imports as imports
from portal.training import session_operations as operations
from portal.training import session_queries as queries
from portal.training.session_forms import ConfirmForm, ImportForm
from portal.training.session_routes import REFUSED
from portal.training.session_rules import PASS_MARK, SessionStatus
from portal.xlsx import build_xlsx, xlsx_response
from portal.xlsx_read import read_upload

bp = Blueprint("training_results", __name__, url_prefix="/training/sessions")

PAYLOAD_SALT = "training-results-import"
#: Stages of participants the template lists: those who attended.
ATTENDED = (Stage.ASSESSMENT.value, Stage.CERTIFIED.value, Stage.FAILED.value)


def _load(session_id: int) -> TrainingSession:
    session = queries.get_session_or_404(session_id, current_user)
    if session.status != SessionStatus.SCHEDULED.value:
        abort(404)
    return session


def _participants(session: TrainingSession, rows: list[imports.ParsedRow]):
    """What :func:`imports.validate` needs: the applications of the session's plan that the
    rows name, by 申报编号 or 身份证号码, read now."""
    ids = [int(r.application) for r in rows if r.application.isdigit()]
    numbers = [r.id_number for r in rows if r.id_number]
    if not ids and not numbers:
        return []
    applications = db.session.scalars(
        select(Application).join(Application.person)
        .where(Application.plan_id == session.plan_id, visible(Application, current_user),
               or_(Application.id.in_(ids), Person.id_number.in_(numbers)))).all()
    banned = banned_among([a.person_id for a in applications])
    # An ID number may have several applications in a plan (one withdrawn, one live): the
    # one in this session wins, else the newest.
    applications = sorted(applications, key=lambda a: (a.session_id == session.id, a.id))
    return [imports.Participant(
        application_id=a.id, name=imports.text_of(a.person.name),
        id_number=a.person.id_number.upper(), session_id=a.session_id, stage=a.stage,
        score=a.score, banned=a.person_id in banned) for a in applications]


def _page(session: TrainingSession, status: int = 200, **context):
    context.setdefault("form", ImportForm())
    attended = [a for a in queries.participants(session, current_user) if a.stage in ATTENDED]
    return render_template(
        "training/results_import.html", session=session, plan=session.plan,
        attended=len(attended), awaiting=sum(a.stage == Stage.ASSESSMENT.value for a in attended),
        assessed_on=session.assessed_on or local_today(), pass_mark=PASS_MARK,
        max_mb=current_app.config["UPLOAD_MAX_MB"], **context), status


@bp.get("/<int:session_id>/results/template")
@roles_required(Role.PROVINCE)
def template(session_id: int):
    """The template: one row per participant who attended; recorded results filled in."""
    session = _load(session_id)
    rows = [[n, a.id, a.person.name, a.person.id_number, a.unit.name, a.occupation.name, a.level,
             a.score if a.stage != Stage.ASSESSMENT.value else None,
             {"certified": "合格", "failed": "不合格"}.get(a.stage, "")]
            for n, a in enumerate((a for a in queries.participants(session, current_user)
                                   if a.stage in ATTENDED), start=1)]
    data = build_xlsx(
        f"考评员资格培训考核成绩 — {session.plan.title}", list(imports.HEADERS), rows,
        header_lines=[
            f"培训场次：{operations.describe(session)}",
            "考核日期（即发证日期）：" + cn_date(session.assessed_on or local_today())
            + ("" if session.assessed_on else "（尚未设定，导入时以导入当天为准）"),
        ],
        footer_lines=[
            "填写说明：",
            f"1. 考核成绩填 0–100 的数字，最多一位小数；{PASS_MARK} 分及以上为合格。",
            "2. 考核结果可不填（按成绩判定）；如填写，只能填“合格”或“不合格”，且须与成绩一致。",
            "3. 请勿改动申报编号、姓名和身份证号码；未填写成绩的行不导入，可以之后再导入。",
            "4. 上传后先显示预览，确认后才导入；有任何一行出错则一行也不导入。合格即发放证卡。",
        ],
        column_widths=[6, 10, 12, 22, 28, 16, 12, 10, 10],
    )
    return xlsx_response(data, f"考核成绩模板-场次{session.id}.xlsx")


@bp.get("/<int:session_id>/results/import")
@roles_required(Role.PROVINCE)
def page(session_id: int):
    return _page(_load(session_id))


@bp.post("/<int:session_id>/results/import")
@roles_required(Role.PROVINCE)
def preview(session_id: int):
    """Read the upload, judge every row, show the preview (422 when any row has an error)."""
    session = _load(session_id)
    form = ImportForm()
    if not form.validate_on_submit():
        return _page(session, 422, form=form)
    file: FileStorage = form.workbook.data
    try:
        data = read_upload(file, current_app.config["UPLOAD_MAX_MB"])
        rows = imports.read_workbook(data)
        if not rows:
            raise imports.ImportFileError("文件中没有成绩行。请在模板表头下方逐行填写后再上传")
    except imports.ImportFileError as exc:
        form.workbook.errors = [*form.workbook.errors, str(exc)]
        return _page(session, 422, form=form)
    plan = imports.validate(rows, _participants(session, rows), session.id)
    name = os.path.basename((file.filename or "").replace("\\", "/"))[:200]
    if not plan.ok:
        return _page(session, 422, import_plan=plan, file_name=name)
    payload = signed_rows.sign(PAYLOAD_SALT, {"session": session.id}, rows,
                               sha256=hashlib.sha256(data).hexdigest(), name=name)
    return _page(session, import_plan=plan, file_name=name,
                 confirm_form=ConfirmForm(payload=payload))


@bp.post("/<int:session_id>/results/import/confirm")
@roles_required(Role.PROVINCE)
def confirm(session_id: int):
    """Judge the signed rows again against the database now; record all of them or none."""
    _load(session_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    payload, rows = signed_rows.unsign(PAYLOAD_SALT, form.payload.data, {"session": session_id},
                                       imports.ParsedRow.from_json)
    begin_write()
    session = db.session.get(TrainingSession, session_id)
    plan = imports.validate(rows, _participants(session, rows), session.id)
    if not plan.ok:
        db.session.rollback()
        return _page(session, 422, import_plan=plan, file_name=payload["name"],
                     rechecked=True)
    today = local_today()
    try:
        cards = []
        for change in plan.changes:
            application = db.session.get(Application, change.application_id,
                                         with_for_update=True)
            recorded = operations.record_result(session, application, change.score,
                                                user=current_user, today=today)
            if recorded.card is not None:
                cards.append(recorded.card.number)
        record("training_session.results_import", session, actor_id=current_user.id, after={
            "file_name": payload["name"], "file_sha256": payload["sha256"],
            "recorded": len(plan.changes), "passed": len(cards), "cards": cards,
            "unchanged": plan.count(imports.UNCHANGED), "blank": plan.count(imports.BLANK)})
        db.session.commit()
    except REFUSED as exc:  # the judged plan and the operations disagree
        db.session.rollback()
        flash(f"未能导入：{exc}。没有任何成绩被写入，请重新上传文件。", "error")
        return redirect(url_for(".page", session_id=session_id))
    except IntegrityError:
        db.session.rollback()
        flash("证卡编号被同时发放的证卡占用，没有任何成绩被写入，请再确认一次。", "error")
        return redirect(url_for(".page", session_id=session_id))
    flash(f"已导入 {len(plan.changes)} 人的考核成绩（合格 {len(cards)} 人，已发放证卡），"
          f"{plan.count(imports.UNCHANGED)} 行无变化", "success")
    return redirect(url_for("training_sessions.show", session_id=session_id))


