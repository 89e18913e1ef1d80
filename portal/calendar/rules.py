"""Pure rules of the working-day calendar page: reading a pasted schedule, listing a year.

The admin pastes the State Council's schedule for a year as lines such as::

    2027-01-01 休 元旦
    2027-02-06~2027-02-12 休 春节
    2027-02-14 班 春节调休

(``~`` or ``至`` for a range; 休 = statutory holiday, 班 = adjusted working day, 调休). Each
line is checked on its own; the caller saves nothing unless every line is valid
(all-or-nothing, issue 3).
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar

KINDS = {"休": False, "班": True}
MAX_RANGE_DAYS = 15  # the longest official holiday block (Spring Festival) is 8–9 days

HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}
WEEKDAYS = "一二三四五六日"

_LINE = re.compile(
    r"^(?P<start>\d{4}-\d{1,2}-\d{1,2})"
    r"(?:\s*(?:~|～|至|-{2})\s*(?P<end>\d{4}-\d{1,2}-\d{1,2}))?"
    r"\s+(?P<kind>\S)"
    r"(?:\s+(?P<note>.*))?$"
)


@dataclass(frozen=True)
class ScheduleEntry:
    day: date
    is_workday: bool
    note: str


@dataclass(frozen=True)
class LineError:
    line_no: int
    text: str
    message: str


def _parse_date(text: str) -> date | None:
    try:
        y, m, d = (int(p) for p in text.split("-"))
        return date(y, m, d)
    except ValueError:
        return None


def parse_schedule(text: str, year: int) -> tuple[list[ScheduleEntry], list[LineError]]:
    """Read pasted schedule lines for ``year``. Returns (entries, errors); blank lines and
    lines starting with ``#`` are skipped. A date outside ``year``, an unknown kind, a bad or
    reversed range, or the same date given twice is an error naming the line."""
    entries: dict[date, ScheduleEntry] = {}
    errors: list[LineError] = []
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().replace("\u3000", " ")
        if not line or line.startswith("#"):
            continue

        def fail(message: str, line=line, no=no) -> None:
            errors.append(LineError(no, line, message))

        m = _LINE.match(line)
        if not m:
            fail("格式应为“日期 休/班 说明”，如 2027-01-01 休 元旦")
            continue
        start = _parse_date(m["start"])
        end = _parse_date(m["end"]) if m["end"] else start
        if start is None or end is None:
            fail("日期无效")
            continue
        if m["kind"] not in KINDS:
            fail("第二项须为“休”（放假）或“班”（调休上班）")
            continue
        if start.year != year or end.year != year:
            fail(f"日期不在 {year} 年内")
            continue
        if end < start:
            fail("日期范围的结束早于开始")
            continue
        if (end - start).days >= MAX_RANGE_DAYS:
            fail(f"日期范围超过 {MAX_RANGE_DAYS} 天，请检查")
            continue
        note = (m["note"] or "").strip()[:100]
        day = start
        while day <= end:
            if day in entries:
                fail(f"{day.isoformat()} 重复出现")
                break
            entries[day] = ScheduleEntry(day, KINDS[m["kind"]], note)
            day += timedelta(days=1)
    return sorted(entries.values(), key=lambda e: e.day), errors


@dataclass(frozen=True)
class CalendarRow:
    day: date
    is_workday: bool
    note: str
    source: str  # "package" or "admin"
    overridden: bool = False  # an admin row that replaces the package's answer

    @property
    def weekday(self) -> str:
        return "周" + WEEKDAYS[self.day.weekday()]


def package_special_days(year: int) -> list[CalendarRow]:
    """Statutory holidays on weekdays and adjusted working days on weekends, from the
    ``chinesecalendar`` package ([] for a year it does not cover). Ordinary weekends are not
    listed: they are what everybody expects."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return []
    rows = []
    day = date(year, 1, 1)
    while day.year == year:
        workday = chinese_calendar.is_workday(day)
        weekend = day.weekday() >= 5
        if workday == weekend:  # a weekday off, or a weekend day on duty
            _, name = chinese_calendar.get_holiday_detail(day)
            label = HOLIDAY_NAMES.get(name, name or "")
            note = f"{label}调休上班" if workday and label else (label or "")
            rows.append(CalendarRow(day, workday, note, "package"))
        day += timedelta(days=1)
    return rows


def merge_rows(package: list[CalendarRow], admin: list[CalendarRow]) -> list[CalendarRow]:
    """The year's special days in force: admin rows replace the package's for the same date."""
    by_day = {r.day: r for r in package}
    for row in admin:
        replaced = row.day in by_day or _package_differs(row)
        by_day[row.day] = CalendarRow(row.day, row.is_workday, row.note, "admin", replaced)
    return sorted(by_day.values(), key=lambda r: r.day)


def _package_differs(row: CalendarRow) -> bool:
    try:
        return chinese_calendar.is_workday(row.day) != row.is_workday
    except NotImplementedError:
        return False
