"""Changes to the working-day calendar (audited), each followed by recounting the provisional
card deadlines the change may settle. The caller commits."""

from datetime import date

from sqlalchemy import select

from portal.audit.operations import record
from portal.calendar.models import CalendarDay, CalendarYear
from portal.calendar.rules import ScheduleEntry
from portal.cards.operations import Recomputed, recompute_provisional_deadlines
from portal.extensions import db


def _upsert(entry: ScheduleEntry) -> None:
    row = db.session.scalars(select(CalendarDay).where(CalendarDay.day == entry.day)).first()
    before = None if row is None else {"is_workday": row.is_workday, "note": row.note}
    if row is None:
        row = CalendarDay(day=entry.day)
        db.session.add(row)
    row.is_workday, row.note = entry.is_workday, entry.note
    db.session.flush()
    record("calendar.set", row, entity_id=entry.day.isoformat(), before=before,
           after={"is_workday": entry.is_workday, "note": entry.note})


def set_days(entries: list[ScheduleEntry]) -> list[Recomputed]:
    """Save override rows (insert or replace by date), then recount provisional deadlines."""
    for entry in entries:
        _upsert(entry)
    return recompute_provisional_deadlines()


def remove_day(day: date) -> list[Recomputed]:
    row = db.session.scalars(select(CalendarDay).where(CalendarDay.day == day)).first()
    if row is None:
        return []
    record("calendar.remove", row, entity_id=day.isoformat(),
           before={"is_workday": row.is_workday, "note": row.note})
    db.session.delete(row)
    db.session.flush()
    return recompute_provisional_deadlines()


def confirm_year(year: int, *, actor_id: int, note: str = "") -> list[Recomputed]:
    """Declare ``year``'s schedule complete, so deadlines may be counted in it."""
    if db.session.scalar(select(CalendarYear.id).where(CalendarYear.year == year)) is None:
        row = CalendarYear(year=year, confirmed_by_id=actor_id, note=note[:200])
        db.session.add(row)
        db.session.flush()
        record("calendar.confirm_year", row, entity_id=str(year), after={"year": year})
    return recompute_provisional_deadlines()
