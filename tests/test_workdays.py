"""The working-day calendar: package data, admin overrides (pure stand-in), coverage errors and
provisional estimates.  The CalendarDay database path needs an app and is tested with it."""

import copy
from datetime import date, datetime, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from portal.workdays import (
    CalendarNotMaintained,
    Deadline,
    WorkdayCalendar,
    add_workdays,
    add_years,
    deadline_after_workdays,
    is_workday,
    is_year_maintained,
    provisional_add_workdays,
)

NO_DB = settings(database=None)
PACKAGE_FIRST, PACKAGE_LAST = 2004, 2026  # chinesecalendar 1.11.0


# --- check values of DESIGN.md and the brief ------------------------------------------------


@pytest.mark.parametrize(
    "start, n, expected",
    [
        (date(2026, 3, 28), 20, date(2026, 4, 27)),  # renewal registration 2026
        (date(2025, 3, 28), 20, date(2025, 4, 27)),  # ends on a Sunday 调休 working day
        (date(2026, 2, 13), 1, date(2026, 2, 14)),  # Saturday 调休 working day
        (date(2026, 4, 10), 60, date(2026, 7, 8)),  # card collection deadline
        (date(2026, 9, 30), 1, date(2026, 10, 8)),  # National Day holidays 1–7 Oct skipped
        (date(2026, 10, 9), 1, date(2026, 10, 10)),  # Saturday 调休 after National Day
        (date(2026, 4, 24), 1, date(2026, 4, 27)),  # ordinary weekend skipped
        (date(2026, 4, 26), 1, date(2026, 4, 27)),  # start on a rest day
    ],
)
def test_add_workdays_check_values(start, n, expected):
    assert add_workdays(start, n) == expected


@pytest.mark.parametrize(
    "day, expected",
    [
        (date(2026, 2, 14), True),  # Saturday, adjusted working day
        (date(2025, 4, 27), True),  # Sunday, adjusted working day
        (date(2026, 1, 1), False),  # 元旦
        (date(2026, 10, 1), False),  # 国庆节 on a Thursday
        (date(2026, 5, 5), False),  # 劳动节 on a Tuesday
        (date(2026, 4, 27), True),  # ordinary Monday
        (date(2026, 4, 25), False),  # ordinary Saturday
        (datetime(2026, 2, 14, 9, 30), True),  # a datetime counts by its date
    ],
)
def test_is_workday(day, expected):
    assert is_workday(day) is expected


# --- coverage -------------------------------------------------------------------------------


@pytest.mark.parametrize("day", [date(2030, 6, 3), date(2027, 1, 4), date(2003, 12, 31)])
def test_uncovered_year_raises_outside_an_app_context(day):
    with pytest.raises(CalendarNotMaintained) as caught:
        is_workday(day)
    assert caught.value.year == day.year
    assert isinstance(caught.value, LookupError)


def test_calendar_not_maintained_message_is_chinese_and_actionable():
    with pytest.raises(CalendarNotMaintained) as caught:
        is_workday(date(2030, 1, 2))
    message = str(caught.value)
    assert message.startswith("2030年的工作日历尚未维护")
    assert "系统管理员" in message and "工作日历" in message
    assert "法定节假日" in message and "调休" in message


def test_calendar_not_maintained_survives_copying():
    error = copy.deepcopy(CalendarNotMaintained(2031))  # goes through __reduce__
    assert error.year == 2031 and str(error).startswith("2031年")


def test_add_workdays_raises_when_the_count_runs_into_an_unpublished_year():
    with pytest.raises(CalendarNotMaintained) as caught:
        add_workdays(date(2026, 12, 1), 60)
    assert caught.value.year == 2027


def test_add_workdays_never_guesses_for_an_uncovered_start():
    with pytest.raises(CalendarNotMaintained):
        add_workdays(date(2030, 3, 28), 20)


@pytest.mark.parametrize(
    "year, expected",
    [(2004, True), (2025, True), (2026, True), (2027, False), (2030, False), (2003, False)],
)
def test_is_year_maintained_outside_an_app_context(year, expected):
    assert is_year_maintained(year) is expected


@pytest.mark.parametrize("n", [0, -1, -20])
def test_add_workdays_needs_at_least_one_day(n):
    with pytest.raises(ValueError):
        add_workdays(date(2026, 3, 28), n)


@pytest.mark.parametrize("n", [1.0, "20", True, None])
def test_add_workdays_needs_an_int(n):
    with pytest.raises(TypeError):
        add_workdays(date(2026, 3, 28), n)


def test_add_workdays_rejects_non_dates():
    with pytest.raises(TypeError):
        add_workdays("2026-03-28", 20)


def test_add_workdays_returns_a_date_for_a_datetime_start():
    result = add_workdays(datetime(2026, 3, 28, 18, 0), 20)
    assert result == date(2026, 4, 27) and type(result) is date


# --- overrides (pure stand-in for CalendarDay rows) ------------------------------------------


def test_override_rows_win_over_the_package():
    calendar = WorkdayCalendar.from_overrides({date(2026, 4, 27): False, date(2026, 4, 25): True})
    assert calendar.is_workday(date(2026, 4, 27)) is False
    assert calendar.is_workday(date(2026, 4, 25)) is True
    assert calendar.add_workdays(date(2026, 4, 24), 1) == date(2026, 4, 25)
    assert calendar.add_workdays(date(2026, 4, 25), 1) == date(2026, 4, 28)


def test_rows_alone_do_not_make_an_unpublished_year_maintained():
    calendar = WorkdayCalendar.from_overrides({date(2027, 1, 1): False})
    assert not calendar.is_year_maintained(2027)
    with pytest.raises(CalendarNotMaintained):
        calendar.is_workday(date(2027, 1, 1))
    with pytest.raises(CalendarNotMaintained):
        calendar.add_workdays(date(2026, 12, 30), 5)


def test_a_confirmed_year_uses_its_rows_and_weekdays_for_unlisted_days():
    calendar = WorkdayCalendar.from_overrides(
        {date(2027, 1, 1): False, date(2027, 2, 20): True},  # 元旦 Friday, a 调休 Saturday
        confirmed_years={2027},
    )
    assert calendar.is_year_maintained(2027)
    assert not calendar.is_year_maintained(2028)
    assert calendar.is_workday(date(2027, 1, 1)) is False
    assert calendar.is_workday(date(2027, 1, 4)) is True  # Monday, no row
    assert calendar.is_workday(date(2027, 1, 2)) is False  # Saturday, no row
    assert calendar.is_workday(date(2027, 2, 20)) is True
    assert calendar.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)
    with pytest.raises(CalendarNotMaintained):
        calendar.is_workday(date(2028, 1, 3))


def test_override_years_are_loaded_once_per_calendar():
    loaded = []

    def loader(year):
        loaded.append(year)
        return {}

    calendar = WorkdayCalendar(loader)
    calendar.add_workdays(date(2025, 12, 1), 60)
    assert sorted(loaded) == [2025, 2026]


# --- provisional estimates ------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, n, expected",
    [
        (date(2026, 3, 28), 20, date(2026, 4, 27)),  # covered: the real calendar
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # 1 Jan 2027 (Friday) skipped
        (date(2029, 9, 28), 1, date(2029, 10, 4)),  # 1–3 Oct 2029 (Mon–Wed) skipped
        (date(2030, 4, 30), 1, date(2030, 5, 2)),  # 1 May 2030 (Wednesday) skipped
        (date(2030, 5, 3), 1, date(2030, 5, 6)),  # weekend skipped
    ],
)
def test_provisional_add_workdays(start, n, expected):
    assert provisional_add_workdays(start, n) == expected


def test_provisional_estimate_uses_real_data_in_covered_years():
    # 60 working days after 2026-11-10: the 2026 part uses the real calendar.
    assert provisional_add_workdays(date(2026, 11, 10), 60) == date(2027, 2, 3)


def test_provisional_estimate_is_a_separate_function():
    with pytest.raises(CalendarNotMaintained):
        add_workdays(date(2026, 11, 10), 60)


@pytest.mark.parametrize(
    "start, expected",
    [
        (date(2026, 4, 10), Deadline(date(2026, 7, 8), provisional=False)),
        (date(2026, 11, 10), Deadline(date(2027, 2, 3), provisional=True)),
    ],
)
def test_deadline_after_workdays_flags_estimates(start, expected):
    assert deadline_after_workdays(start, 60) == expected


@pytest.mark.parametrize("n", [0, -5])
def test_provisional_add_workdays_needs_at_least_one_day(n):
    with pytest.raises(ValueError):
        provisional_add_workdays(date(2030, 1, 1), n)


# --- shared date helpers --------------------------------------------------------------------


@pytest.mark.parametrize(
    "day, years, expected",
    [
        (date(2026, 4, 10), 3, date(2029, 4, 10)),
        (date(2024, 2, 29), 3, date(2027, 2, 28)),
        (date(2024, 2, 29), 4, date(2028, 2, 29)),
        (date(2028, 2, 29), -1, date(2027, 2, 28)),
        (date(2026, 3, 1), -1, date(2025, 3, 1)),
    ],
)
def test_add_years(day, years, expected):
    assert add_years(day, years) == expected


# --- properties -----------------------------------------------------------------------------

covered_dates = st.dates(date(2005, 1, 1), date(2026, 12, 31))


def add_or_reject(start, n):
    try:
        return add_workdays(start, n)
    except CalendarNotMaintained:
        assume(False)


@NO_DB
@given(covered_dates, st.integers(1, 80))
def test_add_workdays_lands_on_the_nth_working_day_strictly_after(start, n):
    result = add_or_reject(start, n)
    assert result > start
    assert is_workday(result)
    between = [start + timedelta(days=k) for k in range(1, (result - start).days + 1)]
    assert sum(is_workday(day) for day in between) == n


@NO_DB
@given(covered_dates, st.integers(1, 40), st.integers(1, 40))
def test_add_workdays_composes(start, a, b):
    whole = add_or_reject(start, a + b)
    assert whole == add_workdays(add_workdays(start, a), b)


@NO_DB
@given(covered_dates, st.integers(1, 60))
def test_provisional_equals_real_where_the_calendar_is_known(start, n):
    real = add_or_reject(start, n)
    assert provisional_add_workdays(start, n) == real


@NO_DB
@given(st.dates(date(2027, 1, 1), date(2040, 12, 31)), st.integers(1, 60))
def test_provisional_estimate_lands_on_an_estimated_working_day(start, n):
    result = provisional_add_workdays(start, n)
    assert result > start
    assert result.weekday() < 5
    assert (result.month, result.day) not in {(1, 1), (5, 1), (10, 1), (10, 2), (10, 3)}
