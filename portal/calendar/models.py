"""The admin-maintained working-day calendar: day overrides and confirmed years."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.timeutil import utcnow


class CalendarDay(db.Model):
    """One day whose working status the admin has set explicitly.

    ``is_workday`` False marks a statutory holiday (休), True an adjusted working day (班).
    Rows override the ``chinesecalendar`` package data for that date. A year the package does
    not cover counts as maintained only when a :class:`CalendarYear` row confirms it.
    """

    __tablename__ = "calendar_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    is_workday: Mapped[bool]
    note: Mapped[str] = mapped_column(String(100), default="")


class CalendarYear(db.Model):
    """A year whose complete official schedule the admin has entered and confirmed.

    A year the ``chinesecalendar`` package does not cover counts as maintained only once this
    row exists: a few override rows alone must not make a half-entered year look complete
    (deadlines would silently miss the Spring Festival).
    """

    __tablename__ = "calendar_year"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(String(200), default="")
