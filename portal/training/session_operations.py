"""State changes of training sessions, attendance and assessment results (set, flush, audit).
The caller commits, or rolls back on an error.

A stage only moves through :func:`portal.applications.operations.apply_action` (attendance:
ATTEND / ABSENT; results: PASS / FAIL), and a card only comes to exist through
:func:`portal.cards.operations.issue_card`. What these functions add is the session around
them: the session an application is in, whether an absence had a special reason, the score,
the card. Every change writes an audit event. A move the rules forbid raises
:class:`SessionError` (or the workflow's :class:`IllegalTransition`, or the cards'
:class:`CardError`), with a Chinese message, before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from portal.applications.models import Application, TrainingPlan, TrainingSession
from portal.applications.operations import apply_action, capacities
from portal.applications.rules import Action, IllegalTransition, Stage, next_stage
from portal.audit.operations import record
from portal.cards import rules as card_rules
from portal.cards.models import Card
from portal.cards.operations import issue_card
from portal.cards.queries import active_ban
from portal.cards.rules import COLLECTION_WORKDAYS
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.timeutil import cn_date
from portal.training import session_rules as rules
from portal.training.session_rules import Result, SessionStatus
from portal.uploads.models import Upload
from portal.workdays import WorkdayCalendar

__all__ = [
    "IllegalTransition",
    "Recorded",
    "SessionError",
    "assign",
    "create_session",
    "decline_request",
    "delete_session",
    "describe",
    "record_attendance",
    "record_result",
    "request_special_session",
    "schedule_request",
    "set_assessment_date",
    "unassign",
    "update_session",
]

_FIELDS = ("starts_on", "ends_on", "place", "mode", "notes", "status", "assessed_on")


class SessionError(ValueError):
    """A change of a session or a participant that is not allowed; the message is Chinese."""


def describe(session: TrainingSession) -> str:
    """A session in words, for step comments and audit: "2026年6月1日至6月3日 集中培训（成都市…）"."""
    days = cn_date(session.starts_on)
    if session.ends_on != session.starts_on:
        days += f"至{cn_date(session.ends_on)}"
    return f"{days} {session.mode_label}（{session.place}）"


def _snapshot(session: TrainingSession) -> dict:
    return {f: getattr(session, f) for f in _FIELDS}


def _check_dates(starts_on: date, ends_on: date) -> None:
    if problem := rules.dates_problem(starts_on, ends_on):
        raise SessionError(problem)


def create_session(plan: TrainingPlan, *, starts_on: date, ends_on: date, place: str, mode: str,
                   notes: str, actor_id: int) -> TrainingSession:
    """A session the province schedules under ``plan`` (集中 / 分片区 / 专场 / 线上)."""
    _check_dates(starts_on, ends_on)
    session = TrainingSession(plan=plan, starts_on=starts_on, ends_on=ends_on,
                              place=place.strip(), mode=mode, notes=(notes or "").strip(),
                              status=SessionStatus.SCHEDULED.value, decline_reason="")
    db.session.add(session)
    record("training_session.create", session, actor_id=actor_id,
           after={"plan": plan.id, **_snapshot(session)})
    return session


def update_session(session: TrainingSession, *, starts_on: date, ends_on: date, place: str,
                   mode: str, notes: str, actor_id: int) -> None:
    """Change a scheduled session's dates, place, mode or arrangements (audited, before and
    after). Once attendance is recorded the dates stay as they are: they are what the
    attendance (and the assessment date after them) was recorded against."""
    if session.status != SessionStatus.SCHEDULED.value:
        raise SessionError("只能修改已安排的培训场次；专场申请请先安排或拒绝")
    _check_dates(starts_on, ends_on)
    if (starts_on, ends_on) != (session.starts_on, session.ends_on) and _has_attendance(session):
        raise SessionError("本场已记录考勤，培训日期不能再修改（地点、方式和说明仍可修改）")
    if session.requested_by_id is not None and mode != rules.SPECIAL:
        raise SessionError("单位申请的专场培训不能改为其他培训方式")
    before = _snapshot(session)
    session.starts_on, session.ends_on = starts_on, ends_on
    session.place, session.mode, session.notes = place.strip(), mode, (notes or "").strip()
    record("training_session.update", session, actor_id=actor_id, before=before,
           after=_snapshot(session))


def delete_session(session: TrainingSession, *, actor_id: int) -> None:
    """Remove a session the province created by mistake: only while nobody is in it, and not
    a unit's 专场 request (that is declined, with a reason the unit reads)."""
    if session.requested_by_id is not None:
        raise SessionError("单位申请的专场培训不能删除；如不安排，请拒绝并说明理由")
    if db.session.scalar(select(Application.id).where(
            Application.session_id == session.id).limit(1)) is not None:
        raise SessionError("本场已有学员，不能删除；请先将学员移出")
    record("training_session.delete", session, actor_id=actor_id,
           before={"plan": session.plan_id, **_snapshot(session)})
    db.session.delete(session)
    db.session.flush()


def request_special_session(plan: TrainingPlan, unit: Organisation, *, starts_on: date,
                            ends_on: date, place: str, notes: str, request_plan: Upload,
                            actor_id: int) -> TrainingSession:
    """A unit asks the province for a 专场 session for its own applicants, with its training
    plan attached (notice §二(五) "可向省职鉴中心书面提出申请（附培训方案）")."""
    if plan.published_at is None:
        raise SessionError("培训计划尚未发布")
    if request_plan.mime != "application/pdf":
        raise SessionError("培训方案须为 PDF 文件")
    _check_dates(starts_on, ends_on)
    session = TrainingSession(plan=plan, starts_on=starts_on, ends_on=ends_on,
                              place=place.strip(), mode=rules.SPECIAL, notes=notes.strip(),
                              requested_by=unit, request_plan_id=request_plan.id,
                              status=SessionStatus.REQUESTED.value, decline_reason="")
    db.session.add(session)
    record("training_session.request", session, actor_id=actor_id,
           after={"plan": plan.id, "unit": unit.name, "request_plan": request_plan.id,
                  **_snapshot(session)})
    return session


def _requested(session: TrainingSession) -> None:
    if session.status != SessionStatus.REQUESTED.value:
        raise SessionError("该专场申请已处理")


def schedule_request(session: TrainingSession, *, starts_on: date, ends_on: date, place: str,
                     notes: str, actor_id: int) -> None:
    """The province schedules a unit's 专场 request, with the dates and place it settles on."""
    _requested(session)
    _check_dates(starts_on, ends_on)
    before = _snapshot(session)
    session.starts_on, session.ends_on = starts_on, ends_on
    session.place, session.notes = place.strip(), (notes or "").strip()
    session.status = SessionStatus.SCHEDULED.value
    record("training_session.schedule", session, actor_id=actor_id, before=before,
           after={**_snapshot(session), "unit": session.requested_by.name})


def decline_request(session: TrainingSession, reason: str, *, actor_id: int) -> None:
    """The province declines a unit's 专场 request, with the reason the unit reads."""
    _requested(session)
    reason = (reason or "").strip()
    if not reason:
        raise SessionError("请填写不予安排的理由")
    session.status = SessionStatus.DECLINED.value
    session.decline_reason = reason
    record("training_session.decline", session, actor_id=actor_id,
           before={"status": SessionStatus.REQUESTED.value},
           after={"status": session.status, "reason": reason, "unit": session.requested_by.name})


# --- participants -------------------------------------------------------------------------


def assign(session: TrainingSession, applications: list[Application], *, actor_id: int) -> int:
    """Put approved applications of the session's plan into it; returns how many.

    Each must be in stage TRAINING (复审通过，待参加培训), of the same plan, in no session yet,
    and for a unit's 专场 session of that unit. The session must be scheduled.
    """
    if session.status != SessionStatus.SCHEDULED.value:
        raise SessionError("只能向已安排的培训场次添加学员")
    if not applications:
        raise SessionError("请至少选择一名学员")
    for application in applications:
        name = application.person.name
        if application.plan_id != session.plan_id:
            raise SessionError(f"{name} 的申报不属于本培训计划")
        if application.stage != Stage.TRAINING.value:
            raise SessionError(f"{name} 的申报处于“{Stage(application.stage).label}”，"
                               "只有复审通过、待参加培训的申报可以安排培训")
        if application.session_id is not None:
            raise SessionError(f"{name} 已安排在其他培训场次")
        if session.requested_by_id is not None and application.unit_id != session.requested_by_id:
            raise SessionError(f"{name} 不是 {session.requested_by.name} 推荐的申报人，"
                               "不能参加该单位的专场培训")
    for application in applications:
        application.session_id = session.id
        record("application.session_assign", application, actor_id=actor_id,
               before={"session": None},
               after={"session": session.id, "session_text": describe(session)})
    return len(applications)


def unassign(session: TrainingSession, application: Application, *, actor_id: int) -> None:
    """Take a participant out of the session, while attendance is not yet recorded."""
    if application.session_id != session.id:
        raise SessionError("该申报人不在本场培训中")
    if application.stage != Stage.TRAINING.value:
        raise SessionError("已记录考勤的学员不能移出培训场次")
    application.session_id = None
    record("application.session_remove", application, actor_id=actor_id,
           before={"session": session.id, "session_text": describe(session)},
           after={"session": None})


def _in_session(session: TrainingSession, application: Application) -> None:
    if application.session_id != session.id:
        raise SessionError("该申报人不在本场培训中")


def record_attendance(session: TrainingSession, application: Application, *, attended: bool,
                      excused: bool = False, reason: str = "", user, today: date) -> None:
    """已参加 (ATTEND → 待考核) or 未参加 (ABSENT), with or without a special reason.

    An absence without a special reason reduces the recommending unit's quota in the next
    plan by one (Attachment 1 note; counted by
    :func:`portal.training.queries.unexcused_absences` when that plan is created). An excused
    absence needs its reason, which becomes the step's comment.
    """
    _in_session(session, application)
    if problem := rules.attendance_problem(session.status, session.starts_on, today):
        raise SessionError(problem)
    if attended:
        apply_action(application, Action.ATTEND, user=user,
                     comment=f"参加培训：{describe(session)}", today=today)
        application.absence_excused = None
        return
    try:
        comment = rules.absence_comment(excused, reason)
    except ValueError as exc:
        raise SessionError(str(exc)) from exc
    apply_action(application, Action.ABSENT, user=user, comment=comment, today=today)
    application.absence_excused = excused
    record("application.absence", application, actor_id=user.id,
           after={"excused": excused, "reason": (reason or "").strip(),
                  "session": session.id, "unit": application.unit.name,
                  "next_quota_reduced": not excused})


# --- assessment ---------------------------------------------------------------------------


def _assessment_date_problem(assessed_on: date, session: TrainingSession, today: date) -> str | None:
    """The session rule, and that cards issued on this date could still be collected: a date
    whose 60-working-day collection deadline has already passed would void them at once
    (:func:`portal.cards.rules.issue_date_problem`)."""
    if problem := rules.assessment_date_problem(assessed_on, ends_on=session.ends_on,
                                                today=today):
        return problem
    deadline = WorkdayCalendar().deadline_after_workdays(assessed_on, COLLECTION_WORKDAYS)
    return card_rules.issue_date_problem(assessed_on, today=today, deadline=deadline.day,
                                         deadline_provisional=deadline.provisional)


def _has_attendance(session: TrainingSession) -> bool:
    return db.session.scalar(select(Application.id).where(
        Application.session_id == session.id,
        Application.stage != Stage.TRAINING.value).limit(1)) is not None


def _has_results(session: TrainingSession) -> bool:
    return db.session.scalar(select(Application.id).where(
        Application.session_id == session.id,
        Application.stage.in_([Stage.CERTIFIED.value, Stage.FAILED.value])).limit(1)) is not None


def set_assessment_date(session: TrainingSession, assessed_on: date, *, actor_id: int,
                        today: date) -> None:
    """Set the session's 考核日期, the issue date of its passes' cards. Fixed once a result is
    recorded: every card of one assessment carries the same issue date."""
    if problem := rules.results_problem(session.status):
        raise SessionError(problem)
    if session.assessed_on == assessed_on:
        return
    if _has_results(session):
        raise SessionError("本场已录入考核结果，考核日期（即发证日期）不能再修改")
    if problem := _assessment_date_problem(assessed_on, session, today):
        raise SessionError(problem)
    before = session.assessed_on
    session.assessed_on = assessed_on
    record("training_session.assessment_date", session, actor_id=actor_id,
           before={"assessed_on": before}, after={"assessed_on": assessed_on})


@dataclass(frozen=True)
class Recorded:
    """What recording a result did: the verdict, and the card a pass issued."""

    result: Result
    card: Card | None


def record_result(session: TrainingSession, application: Application, score: Decimal, *,
                  user, today: date) -> Recorded:
    """Record a participant's assessment score; the verdict follows it
    (:func:`portal.training.session_rules.result_for`).

    合格: PASS (→ 考核合格，已发证) and a card through :func:`issue_card` for the application's
    person, occupation and level, issued on the session's assessment date (today when the
    province has not set one, which then becomes the session's date), origin "training";
    ``application.card_id`` points at it. Refused when the person is banned from applying
    (notice §五(一)). 不合格: FAIL. Either way the score is stored and audited.
    """
    _in_session(session, application)
    if problem := rules.results_problem(session.status):
        raise SessionError(problem)
    result = rules.result_for(score)
    action = Action.PASS if result is Result.PASS else Action.FAIL
    # Ask the workflow first, so nothing (no card) is written for an illegal move.
    next_stage(application.stage, action, capacities(user, application))
    assessed_on = session.assessed_on or today
    if problem := _assessment_date_problem(assessed_on, session, today):
        raise SessionError(problem)
    if session.assessed_on is None:
        set_assessment_date(session, assessed_on, actor_id=user.id, today=today)
    card = None
    if result is Result.PASS:
        person = application.person
        if (ban := active_ban(person.id)) is not None:
            raise SessionError(
                f"{person.name} 因连续两次未领取证卡，已于{cn_date(ban.banned_on)}被永久取消申报"
                "资格，不能发放证卡；如确需发证，请先在证卡工作台解除禁止申报")
        card = issue_card(person, application.occupation, application.level, assessed_on,
                          origin="training", actor_id=user.id)
        comment = f"考核成绩 {score} 分，合格；发放证卡 {card.number}"
    else:
        comment = f"考核成绩 {score} 分，不合格（{rules.PASS_MARK} 分合格）"
    before = {"score": application.score, "card_id": application.card_id}
    apply_action(application, action, user=user, comment=comment, today=today)
    application.score = score
    if card is not None:
        application.card_id = card.id
    record("application.result", application, actor_id=user.id, before=before,
           after={"score": score, "result": result.value,
                  "card_id": card.id if card else None,
                  "card_number": card.number if card else None,
                  "assessed_on": assessed_on, "session": session.id})
    return Recorded(result, card)

