"""The one working-day calendar of the portal, and the small date helpers the rules share.

Every deadline the notice counts in working days goes through here: card collection (notice
§五(一): "证卡发放60个工作日内不主动领取者……证卡作废") and the renewal registration window
(notice §三(二): "每年3月28日……发布换证计划，20个工作日后结束报名").

Data sources, in order of precedence (DESIGN.md "Working days"):

1. admin-maintained :class:`portal.calendar.models.CalendarDay` rows (a holiday or an adjusted
   working day, 调休) — read only when a Flask application context is active;
2. the ``chinesecalendar`` package (official State Council schedules, 2004–2026 in 1.11.0);
3. for a year the package does not know but the admin has confirmed as complete (a
   :class:`portal.calendar.models.CalendarYear` row): Monday–Friday work, Saturday/Sunday rest
   for the days without a CalendarDay row.

A date in a year covered by none of these raises :class:`CalendarNotMaintained`; we never guess
with plain weekdays.  :func:`provisional_add_workdays` is the separate, explicitly named estimate
for deadlines that fall in a not-yet-published year (DESIGN.md "Provisional deadlines"); such an
estimate must never void a card, close a window or mark anything overdue.

Nothing is cached between calls: an override the admin saves is seen by the very next call
(the calendar page recomputes provisional deadlines right after saving).  For bulk work inside
one request, build one :class:`WorkdayCalendar` and reuse it — it loads each year's overrides
once.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

import chinese_calendar

__all__ = [
    "CalendarNotMaintained",
    "Deadline",
    "PROVISIONAL_FIXED_HOLIDAYS",
    "WorkdayCalendar",
    "add_workdays",
    "add_years",
    "deadline_after_workdays",
    "is_workday",
    "is_year_maintained",
    "package_covers",
    "provisional_add_workdays",
]

#: Fixed-date statutory holidays used only by :func:`provisional_add_workdays`
#: (元旦 1 Jan, 劳动节 1 May, 国庆节 1–3 Oct) as (month, day).
PROVISIONAL_FIXED_HOLIDAYS: frozenset[tuple[int, int]] = frozenset(
    {(1, 1), (5, 1), (10, 1), (10, 2), (10, 3)}
)


class CalendarNotMaintained(LookupError):
    """A date falls in a year for which no working-day calendar is known.

    Neither the ``chinesecalendar`` package nor the admin's CalendarDay rows cover ``year``.
    The message is shown to users as is and tells the admin what to do.
    """

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"{year}年的工作日历尚未维护，请系统管理员在“工作日历”中录入该年的法定节假日和调休安排"
        )

    def __str__(self) -> str:
        return str(self.args[0])

    def __reduce__(self):  # keep ``year`` through pickling (args holds the message)
        return (type(self), (self.year,))


class Deadline(NamedTuple):
    """A deadline counted in working days, and whether it is only an estimate (预计)."""

    day: date
    provisional: bool


def _as_date(value: date) -> date:
    """Accept a ``date`` (a ``datetime`` is reduced to its date); reject anything else."""
    if isinstance(value, datetime):
        return value.date()
    if not isinstance(value, date):
        raise TypeError(f"expected a datetime.date, got {type(value).__name__}")
    return value


def _check_count(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"the number of working days must be an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"the number of working days must be at least 1, got {n}")
    return n


@lru_cache(maxsize=65_536)
def _package_is_workday(day: date) -> bool | None:
    """The ``chinesecalendar`` answer for ``day``, or None when the package has no data for
    its year (the package signals that with NotImplementedError).

    Memoised: the answer is a constant of the installed package, and the package's own check
    costs ~16 µs a call (it takes ``min``/``max`` over all its holidays each time), which made
    one 60-working-day deadline cost ~3 ms — 30 s for an import of 10,000 cards
    (bench/README.md, issue 5). Admin overrides are applied above this, never cached.
    """
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def package_covers(year: int) -> bool:
    """True when the ``chinesecalendar`` package has the official schedule of ``year``."""
    return _package_is_workday(date(year, 1, 1)) is not None


def _db_confirmed(year: int) -> bool:
    """Whether the admin confirmed ``year``'s schedule as complete (False outside an app)."""
    from flask import has_app_context

    if not has_app_context():
        return False

    from sqlalchemy import select

    from portal.calendar.models import CalendarYear
    from portal.extensions import db

    return db.session.scalar(select(CalendarYear.id).where(CalendarYear.year == year)) is not None


def _db_overrides(year: int) -> dict[date, bool]:
    """The admin's CalendarDay rows for ``year`` ({} outside a Flask application context).

    Imported lazily so this module stays importable (and its rules testable) without Flask
    app code.  Database errors are deliberately not swallowed: silently falling back to the
    package would hide a broken calendar.
    """
    from flask import has_app_context

    if not has_app_context():
        return {}

    from sqlalchemy import select

    from portal.calendar.models import CalendarDay
    from portal.extensions import db

    rows = db.session.execute(
        select(CalendarDay.day, CalendarDay.is_workday).where(
            CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)
        )
    ).all()
    return {row.day: bool(row.is_workday) for row in rows}


class WorkdayCalendar:
    """Package data overridden by admin rows, with each year's rows loaded at most once.

    ``overrides`` is a function ``year -> {date: is_workday}`` and ``confirmed`` a function
    ``year -> bool`` (the admin declared the year's schedule complete); by default both read
    the database when an app context is active.  Tests and callers that already hold the rows
    may pass their own.  An instance is a snapshot: create a new one after the admin changes
    the calendar, and do not keep one beyond the request that made it.
    """

    def __init__(
        self,
        overrides: Callable[[int], Mapping[date, bool]] | None = None,
        confirmed: Callable[[int], bool] | None = None,
    ) -> None:
        self._load = overrides or _db_overrides
        self._confirm = confirmed or _db_confirmed
        self._years: dict[int, Mapping[date, bool]] = {}
        self._confirmed: dict[int, bool] = {}

    @classmethod
    def from_overrides(
        cls, rows: Mapping[date, bool], confirmed_years: frozenset[int] | set[int] = frozenset()
    ) -> WorkdayCalendar:
        """A calendar with the given ``{date: is_workday}`` rows and confirmed years (no
        database)."""
        frozen = dict(rows)
        years = frozenset(confirmed_years)
        return cls(lambda year: {d: w for d, w in frozen.items() if d.year == year},
                   lambda year: year in years)

    def _is_confirmed(self, year: int) -> bool:
        if year not in self._confirmed:
            self._confirmed[year] = self._confirm(year)
        return self._confirmed[year]

    def _overrides(self, year: int) -> Mapping[date, bool]:
        if year not in self._years:
            self._years[year] = self._load(year)
        return self._years[year]

    def is_year_maintained(self, year: int) -> bool:
        """True when the package supports ``year`` or the admin confirmed it as complete."""
        return package_covers(year) or self._is_confirmed(year)

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` is a working day; :class:`CalendarNotMaintained` if its year is
        not covered."""
        day = _as_date(day)
        if not self.is_year_maintained(day.year):
            raise CalendarNotMaintained(day.year)
        overrides = self._overrides(day.year)
        if day in overrides:
            return overrides[day]
        from_package = _package_is_workday(day)
        if from_package is not None:
            return from_package
        # A year the admin confirmed as complete: unlisted days are ordinary days.
        return day.weekday() < 5

    def add_workdays(self, start: date, n: int) -> date:
        """The ``n``-th working day strictly after ``start`` (see :func:`add_workdays`)."""
        day = _as_date(start)
        remaining = _check_count(n)
        while remaining:
            day += timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        return day

    def _provisional_is_workday(self, day: date) -> bool:
        if self.is_year_maintained(day.year):
            return self.is_workday(day)
        return day.weekday() < 5 and (day.month, day.day) not in PROVISIONAL_FIXED_HOLIDAYS

    def provisional_add_workdays(self, start: date, n: int) -> date:
        """Estimate of the ``n``-th working day after ``start`` (see
        :func:`provisional_add_workdays`)."""
        day = _as_date(start)
        remaining = _check_count(n)
        while remaining:
            day += timedelta(days=1)
            if self._provisional_is_workday(day):
                remaining -= 1
        return day

    def deadline_after_workdays(self, start: date, n: int) -> Deadline:
        """The real deadline when every day up to it is covered, else the provisional one."""
        try:
            return Deadline(self.add_workdays(start, n), provisional=False)
        except CalendarNotMaintained:
            return Deadline(self.provisional_add_workdays(start, n), provisional=True)


def is_workday(day: date) -> bool:
    """Whether ``day`` is a working day in the official Chinese calendar.

    Statutory holidays are rest days and adjusted working days (调休, often a Saturday or
    Sunday) are working days.  Admin CalendarDay rows override the package (inside an app
    context).  Raises :class:`CalendarNotMaintained` for a year that no source covers.
    """
    return WorkdayCalendar().is_workday(day)


def add_workdays(start: date, n: int) -> date:
    """The ``n``-th working day strictly after ``start`` (``n`` ≥ 1).

    "N working days after D" never counts D itself (DESIGN.md "Working days"): 20 working
    days after 2026-03-28 is 2026-04-27 (notice §三(二)), and the card collection deadline is
    60 working days after issue (notice §五(一)).  Raises ValueError for ``n`` < 1 and
    :class:`CalendarNotMaintained` as soon as the count reaches a year no source covers — the
    result is never a weekday guess.
    """
    return WorkdayCalendar().add_workdays(start, n)


def is_year_maintained(year: int) -> bool:
    """True when working days in ``year`` are known: the ``chinesecalendar`` package has the
    year, or the admin confirmed its complete schedule (a CalendarYear row, app context)."""
    return WorkdayCalendar().is_year_maintained(year)


def provisional_add_workdays(start: date, n: int) -> date:
    """An *estimate* (预计) of the ``n``-th working day strictly after ``start``.

    Covered years use the real calendar; in a year no source covers, Monday–Friday count as
    working days except the fixed-date holidays 1 Jan, 1 May and 1–3 Oct
    (:data:`PROVISIONAL_FIXED_HOLIDAYS`).  The State Council publishes a year's schedule only
    in November or December before it, so e.g. a card issued in autumn has its 60-working-day
    collection deadline (notice §五(一)) in an unpublished year.  Such a deadline is shown as
    provisional and must never void a card, close a window or mark anything overdue; recompute
    it with :func:`add_workdays` once the year is maintained (DESIGN.md "Provisional
    deadlines").
    """
    return WorkdayCalendar().provisional_add_workdays(start, n)


def deadline_after_workdays(start: date, n: int) -> Deadline:
    """``Deadline(add_workdays(start, n), False)``, or the provisional estimate flagged
    ``provisional=True`` when the count runs into a year that is not maintained."""
    return WorkdayCalendar().deadline_after_workdays(start, n)


def add_years(day: date, years: int) -> date:
    """The same calendar date ``years`` years later (earlier when negative).

    Where that date does not exist (29 February in a common year) the result is the last day
    of that month, 28 February — the rule for periods counted in years of the Civil Code
    (§§201–203) and how Chinese certificates print validity.
    """
    day = _as_date(day)
    year = day.year + years
    last = _calendar.monthrange(year, day.month)[1]
    return date(year, day.month, min(day.day, last))
