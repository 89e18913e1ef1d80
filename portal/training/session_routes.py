"""Training sessions under a plan (notice §二(五)): the province schedules sessions and puts
approved applicants into them, a unit requests a 专场 session with its training plan, the
province schedules or declines it; attendance and assessment results are recorded row by row
on the session page (htmx), a pass issuing the card.

Each view loads the session in the user's scope (404 otherwise), checks the role (403),
validates its form, calls :mod:`portal.training.session_operations` and renders. Row posts
from htmx answer the participant's row (and the counts, out of band); without htmx they
redirect back to the page with a flash message.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.applications.models import Application, TrainingPlan, TrainingSession
from portal.applications.rules import IllegalTransition
from portal.auth.access import roles_required
from portal.auth.roles import Role
from portal.cards.operations import CardError
from portal.dbutil import begin_write
from portal.extensions import db
from portal.htmx import is_htmx
from portal.timeutil import local_today
from portal.training import session_operations as operations
from portal.training import session_queries as queries
from portal.training.session_forms import (
    AssessmentDateForm,
    AssignForm,
    AttendanceForm,
    DeclineForm,
    RemoveForm,
    RequestForm,
    ResultForm,
    ScheduleForm,
    SessionForm,
)
from portal.training.session_rules import PASS_MARK, SessionStatus, absence_consequence
from portal.uploads.models import Upload
from portal.uploads.service import UploadRejected, store, viewer_rule

bp = Blueprint("training_sessions", __name__, url_prefix="/training")

bp.add_app_template_global(absence_consequence, "absence_consequence")
bp.add_app_template_global(lambda status: SessionStatus(status).label, "session_status_label")

#: What a refused move raises; its message is shown to the user.
REFUSED = (operations.SessionError, IllegalTransition, CardError)


@viewer_rule
def request_plan_viewers(user, upload: Upload) -> bool:
    """A 专场 request's training plan may be seen by whoever may see the session."""
    return db.session.scalar(
        select(TrainingSession.id).where(TrainingSession.request_plan_id == upload.id,
                                         queries.session_condition(user)).limit(1)) is not None


def _is_province() -> bool:
    return current_user.has_role(Role.PROVINCE)


def _plan(plan_id: int) -> TrainingPlan:
    plan = db.session.get(TrainingPlan, plan_id)
    if plan is None or (plan.published_at is None and not _is_province()):
        abort(404)
    return plan


def _managed(session_id: int) -> TrainingSession:
    """A session the province manages (404 out of scope, 403 for anyone else)."""
    session = queries.get_session_or_404(session_id, current_user)
    if not _is_province():
        abort(403)
    return session


def _errors(form) -> str:
    return "；".join(e for errors in form.errors.values() for e in errors)


def _page(session: TrainingSession, status: int = 200, **forms):
    can_manage = _is_province()
    participants = queries.participants(session, current_user)
    scheduled = session.status == SessionStatus.SCHEDULED.value
    if can_manage:
        forms.setdefault("date_form", AssessmentDateForm(
            assessed_on=session.assessed_on or local_today()))
        forms.setdefault("assign_form", AssignForm())
        if session.status == SessionStatus.REQUESTED.value:
            forms.setdefault("schedule_form", ScheduleForm(obj=session))
            forms.setdefault("decline_form", DeclineForm())
    return render_template(
        "training/session.html", session=session, plan=session.plan, can_manage=can_manage,
        scheduled=scheduled, participants=participants, counts=queries.counts(participants),
        cards=queries.cards_of(participants),
        assignable=queries.assignable(session, current_user) if can_manage and scheduled else [],
        pass_mark=PASS_MARK, today=local_today(), **forms), status


def _row(session: TrainingSession, application: Application, status: int = 200, **context):
    """The participant's row and the session counts (out of band) for an htmx swap."""
    participants = queries.participants(session, current_user)
    return render_template(
        "training/_participant_response.html", session=session, a=application,
        can_manage=_is_province(), counts=queries.counts(participants),
        participants=participants,
        cards=queries.cards_of([application]), today=local_today(), **context), status


# --- sessions ----------------------------------------------------------------------------


@bp.route("/plans/<int:plan_id>/sessions/new", methods=["GET", "POST"])
@roles_required(Role.PROVINCE)
def new(plan_id: int):
    plan = _plan(plan_id)
    form = SessionForm()
    if form.validate_on_submit():
        session = operations.create_session(
            plan, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
            place=form.place.data, mode=form.mode.data, notes=form.notes.data,
            actor_id=current_user.id)
        db.session.commit()
        flash(f"已安排培训场次：{operations.describe(session)}", "success")
        return redirect(url_for(".show", session_id=session.id))
    if not form.is_submitted():
        form.mode.data = plan.mode
    return render_template("training/session_form.html", form=form, plan=plan,
                           session=None), 422 if form.errors else 200


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@roles_required(Role.PROVINCE)
def edit(session_id: int):
    session = _managed(session_id)
    form = SessionForm(obj=session)
    error = None
    if form.validate_on_submit():
        try:
            operations.update_session(
                session, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                place=form.place.data, mode=form.mode.data, notes=form.notes.data,
                actor_id=current_user.id)
        except operations.SessionError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash("已保存培训场次", "success")
            return redirect(url_for(".show", session_id=session.id))
    return render_template("training/session_form.html", form=form, plan=session.plan,
                           session=session, error=error), 422 if form.errors or error else 200


@bp.post("/sessions/<int:session_id>/delete")
@roles_required(Role.PROVINCE)
def delete(session_id: int):
    session = _managed(session_id)
    if not RemoveForm().validate_on_submit():
        abort(400)
    plan_id = session.plan_id
    try:
        operations.delete_session(session, actor_id=current_user.id)
    except operations.SessionError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".show", session_id=session_id))
    db.session.commit()
    flash("已删除培训场次", "success")
    return redirect(url_for("training.plan", plan_id=plan_id) + "#sessions")


@bp.route("/plans/<int:plan_id>/sessions/request", methods=["GET", "POST"])
@roles_required(Role.UNIT)
def request_special(plan_id: int):
    plan = _plan(plan_id)
    unit = current_user.organisation
    if unit is None:
        abort(403)
    form = RequestForm()
    if form.validate_on_submit():
        try:
            upload = store(form.request_plan.data, actor_id=current_user.id)
            session = operations.request_special_session(
                plan, unit, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                place=form.place.data, notes=form.notes.data, request_plan=upload,
                actor_id=current_user.id)
        except (UploadRejected, operations.SessionError) as exc:
            db.session.rollback()
            form.request_plan.errors = [*form.request_plan.errors, str(exc)]
        else:
            db.session.commit()
            flash("已提交专场培训申请，请等待省职鉴中心安排。", "success")
            return redirect(url_for(".show", session_id=session.id))
    return render_template(
        "training/request_form.html", form=form, plan=plan, unit=unit,
        waiting=queries.unit_training_applicants(plan, unit.id)), 422 if form.errors else 200


@bp.get("/sessions/<int:session_id>")
@login_required
def show(session_id: int):
    return _page(queries.get_session_or_404(session_id, current_user))


@bp.post("/sessions/<int:session_id>/schedule")
@roles_required(Role.PROVINCE)
def schedule(session_id: int):
    session = _managed(session_id)
    form = ScheduleForm()
    if not form.validate_on_submit():
        return _page(session, 422, schedule_form=form)
    try:
        operations.schedule_request(session, starts_on=form.starts_on.data,
                                    ends_on=form.ends_on.data, place=form.place.data,
                                    notes=form.notes.data, actor_id=current_user.id)
    except operations.SessionError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"已安排 {session.requested_by.name} 的专场培训", "success")
    return redirect(url_for(".show", session_id=session_id))


@bp.post("/sessions/<int:session_id>/decline")
@roles_required(Role.PROVINCE)
def decline(session_id: int):
    session = _managed(session_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        return _page(session, 422, decline_form=form)
    try:
        operations.decline_request(session, form.reason.data, actor_id=current_user.id)
    except operations.SessionError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"已拒绝 {session.requested_by.name} 的专场培训申请", "success")
    return redirect(url_for(".show", session_id=session_id))


# --- participants ------------------------------------------------------------------------


@bp.post("/sessions/<int:session_id>/participants")
@roles_required(Role.PROVINCE)
def assign(session_id: int):
    session = _managed(session_id)
    form = AssignForm()
    if not form.validate_on_submit():
        flash(_errors(form), "error")
        return redirect(url_for(".show", session_id=session_id) + "#assign")
    begin_write()
    session = db.session.get(TrainingSession, session_id)
    chosen = queries.assignable_by_ids(session, form.application_ids.data, current_user)
    try:
        added = operations.assign(session, chosen, actor_id=current_user.id)
    except operations.SessionError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        skipped = len(set(form.application_ids.data)) - added
        note = f"；另有 {skipped} 人已不能安排（可能已被安排到其他场次），未添加" if skipped else ""
        flash(f"已将 {added} 人安排到本场培训{note}", "success")
    return redirect(url_for(".show", session_id=session_id))


@bp.post("/sessions/<int:session_id>/participants/<int:application_id>/remove")
@roles_required(Role.PROVINCE)
def remove(session_id: int, application_id: int):
    session = _managed(session_id)
    application = queries.participant(session, application_id, current_user)
    if not RemoveForm().validate_on_submit():
        abort(400)
    try:
        operations.unassign(session, application, actor_id=current_user.id)
    except operations.SessionError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"已将 {application.person.name} 移出本场培训", "success")
    return redirect(url_for(".show", session_id=session_id))


def _row_or_redirect(session, application, *, error: str | None, status: int, **context):
    if is_htmx():
        return _row(session, application, status, error=error, **context)
    flash(error or context.pop("message", "已保存"), "error" if error else "success")
    return redirect(url_for(".show", session_id=session.id) + f"#participant-{application.id}")


@bp.post("/sessions/<int:session_id>/participants/<int:application_id>/attendance")
@roles_required(Role.PROVINCE)
def attendance(session_id: int, application_id: int):
    session = _managed(session_id)
    application = queries.participant(session, application_id, current_user)
    form = AttendanceForm()
    if not form.validate_on_submit():
        return _row_or_redirect(session, application, error=_errors(form), status=422,
                                attendance_form=form)
    begin_write()
    session = db.session.get(TrainingSession, session_id)
    application = db.session.get(Application, application_id, with_for_update=True)
    try:
        operations.record_attendance(
            session, application, attended=form.outcome.data == "attend",
            excused=bool(form.excused.data), reason=form.reason.data or "",
            user=current_user, today=local_today())
    except REFUSED as exc:
        db.session.rollback()
        return _row_or_redirect(session, db.session.get(Application, application_id),
                                error=str(exc), status=422, attendance_form=form)
    db.session.commit()
    return _row_or_redirect(session, application, error=None, status=200,
                            message=f"已记录 {application.person.name} 的考勤")


@bp.post("/sessions/<int:session_id>/attendance")
@roles_required(Role.PROVINCE)
def attend_all(session_id: int):
    """Record 已参加 for every ticked participant still awaiting attendance, in one go."""
    session = _managed(session_id)
    form = AssignForm()
    if not form.validate_on_submit():
        flash(_errors(form), "error")
        return redirect(url_for(".show", session_id=session_id))
    begin_write()
    session = db.session.get(TrainingSession, session_id)
    chosen = [queries.participant(session, i, current_user)
              for i in sorted(set(form.application_ids.data))]
    try:
        for application in chosen:
            operations.record_attendance(session, application, attended=True,
                                         user=current_user, today=local_today())
    except REFUSED as exc:
        db.session.rollback()
        flash(f"未记录任何考勤：{exc}", "error")
    else:
        db.session.commit()
        flash(f"已记录 {len(chosen)} 人参加培训", "success")
    return redirect(url_for(".show", session_id=session_id))


# --- assessment --------------------------------------------------------------------------


@bp.post("/sessions/<int:session_id>/assessment-date")
@roles_required(Role.PROVINCE)
def assessment_date(session_id: int):
    session = _managed(session_id)
    form = AssessmentDateForm()
    if not form.validate_on_submit():
        return _page(session, 422, date_form=form)
    try:
        operations.set_assessment_date(session, form.assessed_on.data,
                                       actor_id=current_user.id, today=local_today())
    except operations.SessionError as exc:
        db.session.rollback()
        form.assessed_on.errors = [*form.assessed_on.errors, str(exc)]
        return _page(session, 422, date_form=form)
    db.session.commit()
    flash("已保存考核日期", "success")
    return redirect(url_for(".show", session_id=session_id))


@bp.post("/sessions/<int:session_id>/participants/<int:application_id>/result")
@roles_required(Role.PROVINCE)
def result(session_id: int, application_id: int):
    session = _managed(session_id)
    application = queries.participant(session, application_id, current_user)
    form = ResultForm()
    if not form.validate_on_submit():
        return _row_or_redirect(session, application, error=_errors(form), status=422,
                                result_form=form)
    begin_write()
    session = db.session.get(TrainingSession, session_id)
    application = db.session.get(Application, application_id, with_for_update=True)
    try:
        recorded = operations.record_result(session, application, form.score_value,
                                            user=current_user, today=local_today())
        db.session.commit()
    except REFUSED as exc:
        db.session.rollback()
        return _row_or_redirect(session, db.session.get(Application, application_id),
                                error=str(exc), status=422, result_form=form)
    except IntegrityError:  # another issuer took the same card number at the same moment
        db.session.rollback()
        return _row_or_redirect(session, db.session.get(Application, application_id),
                                error="证卡编号被同时发放的证卡占用，请再保存一次",
                                status=409, result_form=form)
    message = (f"{application.person.name} 考核合格，已发放证卡 {recorded.card.number}"
               if recorded.card else f"{application.person.name} 考核不合格")
    return _row_or_redirect(session, application, error=None, status=200, message=message)

