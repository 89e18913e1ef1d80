"""The admin's working-day calendar: a year's holidays and adjusted working days in force,
overrides added one by one or pasted as a whole year, and the banner that asks for next year's
schedule from 1 December."""

from datetime import date

from flask import (
    Blueprint,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from portal import timeutil
from portal.audit.models import AuditEvent
from portal.auth.access import roles_required
from portal.auth.roles import Role
from portal.calendar import operations
from portal.calendar.forms import ConfirmForm, DayForm, ScheduleForm
from portal.calendar.models import CalendarDay, CalendarYear
from portal.calendar.rules import (
    KINDS,
    CalendarRow,
    ScheduleEntry,
    merge_rows,
    package_special_days,
    parse_schedule,
)
from portal.extensions import db
from portal.workdays import is_year_maintained, package_covers

bp = Blueprint("calendar", __name__, url_prefix="/admin/calendar")

BANNER_FROM = (12, 1)  # month, day: the State Council publishes next year's schedule by then


def default_year(today: date) -> int:
    """From 1 December the admin is most likely working on next year's calendar."""
    return today.year + 1 if (today.month, today.day) >= BANNER_FROM else today.year


@bp.app_context_processor
def calendar_banner():
    """For admins, from 1 December: a warning while next year's calendar is not maintained."""
    if not (
        has_request_context()
        and current_user.is_authenticated
        and current_user.has_role(Role.ADMIN)
    ):
        return {}
    today = timeutil.local_today()
    if (today.month, today.day) < BANNER_FROM or is_year_maintained(today.year + 1):
        return {}
    return {"calendar_banner_year": today.year + 1}


def _page(year: int, day_form=None, schedule_form=None, errors=(), status=200):
    admin_rows = [
        CalendarRow(r.day, r.is_workday, r.note, "admin")
        for r in db.session.scalars(
            select(CalendarDay)
            .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
            .order_by(CalendarDay.day)
        )
    ]
    confirmed = db.session.scalars(select(CalendarYear).where(CalendarYear.year == year)).first()
    recent = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "card.deadline_recompute")
        .order_by(AuditEvent.id.desc()).limit(30)
    ).all()
    today = timeutil.local_today()
    return render_template(
        "calendar/index.html", year=year, rows=merge_rows(package_special_days(year), admin_rows),
        package_covers=package_covers(year), confirmed=confirmed,
        maintained=is_year_maintained(year),
        years=range(today.year - 1, today.year + 3), day_form=day_form or DayForm(year=year),
        schedule_form=schedule_form or ScheduleForm(), confirm_form=ConfirmForm(),
        errors=errors, recent=recent,
    ), status


def _flash_recomputed(changed) -> None:
    if changed:
        settled = sum(1 for c in changed if not c.still_provisional)
        flash(f"已重新计算 {len(changed)} 张证卡的领取截止日期，其中 {settled} 张已由“预计”变为正式日期",
              "info")


@bp.get("/")
@roles_required(Role.ADMIN)
def index():
    year = request.args.get("year", type=int) or default_year(timeutil.local_today())
    return _page(year)


@bp.post("/<int:year>/day")
@roles_required(Role.ADMIN)
def add_day(year: int):
    form = DayForm(year=year)
    if not form.validate_on_submit():
        return _page(year, day_form=form, status=422)
    changed = operations.set_days(
        [ScheduleEntry(form.day.data, KINDS[form.kind.data], form.note.data.strip())]
    )
    db.session.commit()
    flash(f"已保存 {timeutil.cn_date(form.day.data)}（{form.kind.data}）", "success")
    _flash_recomputed(changed)
    return redirect(url_for("calendar.index", year=year))


@bp.post("/<int:year>/paste")
@roles_required(Role.ADMIN)
def paste(year: int):
    form = ScheduleForm()
    if not form.validate_on_submit():
        return _page(year, schedule_form=form, status=422)
    entries, errors = parse_schedule(form.text.data, year)
    if errors:
        return _page(year, schedule_form=form, errors=errors, status=422)
    changed = operations.set_days(entries)
    if form.complete.data:
        changed = operations.confirm_year(year, actor_id=current_user.id)
    db.session.commit()
    flash(f"已保存 {len(entries)} 天的放假/调休安排" +
          (f"，{year} 年日历已确认完整" if form.complete.data else ""), "success")
    _flash_recomputed(changed)
    return redirect(url_for("calendar.index", year=year))


@bp.post("/<int:year>/confirm")
@roles_required(Role.ADMIN)
def confirm(year: int):
    if ConfirmForm().validate_on_submit():
        changed = operations.confirm_year(year, actor_id=current_user.id)
        db.session.commit()
        flash(f"{year} 年日历已确认完整", "success")
        _flash_recomputed(changed)
    return redirect(url_for("calendar.index", year=year))


@bp.post("/<int:year>/day/<day>/delete")
@roles_required(Role.ADMIN)
def remove_day(year: int, day: str):
    try:
        when = date.fromisoformat(day)
    except ValueError:
        return redirect(url_for("calendar.index", year=year))
    if ConfirmForm().validate_on_submit():
        changed = operations.remove_day(when)
        db.session.commit()
        flash(f"已删除 {timeutil.cn_date(when)} 的设置", "success")
        _flash_recomputed(changed)
    return redirect(url_for("calendar.index", year=year))
