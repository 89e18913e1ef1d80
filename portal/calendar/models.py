"""CalendarDay: an admin-maintained override of the official working-day calendar."""

from datetime import date

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db


class CalendarDay(db.Model):
    """One day whose working status the admin has set explicitly.

    ``is_workday`` False marks a statutory holiday (休), True an adjusted working day (班).
    Rows override the ``chinesecalendar`` package data for that date; a year counts as
    maintained once it has at least one row (see :mod:`portal.workdays`).
    """

    __tablename__ = "calendar_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    is_workday: Mapped[bool]
    note: Mapped[str] = mapped_column(String(100), default="")
