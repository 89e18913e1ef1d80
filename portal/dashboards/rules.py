"""Dashboard rules (DESIGN.md workflow 5 and "Who holds it, for how long"): the filters as
they appear in the URL, the overdue thresholds per stage, the working-day boundaries that let
SQL count overdue items and cards by working days left, and the geometry of the charts.

Pure: no Flask, no database. The charts are data computed here (rectangles, lines, labels
and the numbers as text) and drawn by the Jinja macros of ``templates/dashboards/_charts.html``
as server-rendered ``<svg>``: no JavaScript chart library, every figure is a ``<text>``
element (readable by screen readers and in print), and series are told apart by patterns
and greys as well as by position, so a black-and-white print reads the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from portal.applications.rules import HOLDERS, Stage
from portal.renewals.rules import RENEWAL_HOLDERS, RenewalStage

__all__ = [
    "APPLICATION_OVERDUE",
    "CARD_LEVELS",
    "COLLECTION_BUCKETS",
    "EXPIRY_WINDOWS",
    "GRADES",
    "RENEWAL_OVERDUE",
    "Bar",
    "BarChart",
    "DashboardFilters",
    "LineChart",
    "Segment",
    "StackedBarChart",
    "bar_chart",
    "collection_bucket_bounds",
    "line_chart",
    "nice_max",
    "overdue_cutoff",
    "stacked_bar_chart",
    "waiting_stages",
]

#: Grades of notice Attachment 4, best first.
GRADES: tuple[str, ...] = ("优", "良", "中", "差")
CARD_LEVELS: tuple[str, ...] = ("考评员", "高级考评员")
#: "Cards expiring within" windows shown (days; 90 is the 即将到期 status of the registry).
EXPIRY_WINDOWS: tuple[int, ...] = (30, 90)
#: Uncollected cards are grouped by working days left to collect them: (label, low, high),
#: both ends inclusive; high None = no upper end.
COLLECTION_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("不足 5 个工作日", 0, 4), ("5–19 个工作日", 5, 19), ("20 个工作日以上", 20, None))

#: Review stages and how many working days an office may hold an application before the
#: dashboards call it overdue (DESIGN.md "Who holds it, for how long": "every application
#: shows which office holds it and for how many working days; overdue steps are highlighted
#: on the dashboards"). The notice sets no review period; 10 working days (two weeks) is our
#: reading for every review step, data here so the centre can change it. Stages held by the
#: applicant (a draft, a correction after a return) or waiting for training or assessment have
#: no threshold: they are not an office's delay.
APPLICATION_OVERDUE: dict[Stage, int | None] = {
    Stage.UNIT_REVIEW: 10,
    Stage.RETURNED_BY_UNIT: None,
    Stage.INITIAL_REVIEW: 10,
    Stage.RETURNED_BY_REVIEWER: None,
    Stage.INITIAL_APPROVED: 10,
    Stage.PROVINCE_REVIEW: 10,
    Stage.TRAINING: None,
    Stage.ASSESSMENT: None,
}
#: The same for renewal applications (notice §三(四): unit opinion, city initial review with
#: the term report, provincial re-review).
RENEWAL_OVERDUE: dict[RenewalStage, int | None] = {
    RenewalStage.UNIT_REVIEW: 10,
    RenewalStage.RETURNED_BY_UNIT: None,
    RenewalStage.INITIAL_REVIEW: 10,
    RenewalStage.RETURNED_BY_REVIEWER: None,
    RenewalStage.INITIAL_APPROVED: 10,
    RenewalStage.PROVINCE_REVIEW: 10,
}


def waiting_stages(kind: str) -> list:
    """The stages an office (or the applicant) holds, in workflow order, drafts excluded
    (a draft is nobody's work yet and no office may see it)."""
    holders = HOLDERS if kind == "applications" else RENEWAL_HOLDERS
    draft = Stage.DRAFT if kind == "applications" else RenewalStage.DRAFT
    return [s for s in holders if s is not draft]


# --------------------------------------------------------------------------- the filters


@dataclass(frozen=True)
class DashboardFilters:
    """The dashboard filters as they appear in the URL (``?year=2026&city=3&occupation=5&
    level=考评员``). ``year`` applies to evaluation sheets, batches and the plan year of
    applications and renewals; ``city`` (a region id, the province's only: a city centre and
    an institution are fixed to their own), ``occupation`` (an id) and ``level`` (a card
    level) to whatever has them. Unknown values are dropped, never an error."""

    year: int
    city: int | None = None
    occupation: int | None = None
    level: str = ""

    FIELDS = ("year", "city", "occupation", "level")

    @classmethod
    def from_args(cls, args: Mapping[str, str], *, today: date,
                  years: Sequence[int] = ()) -> DashboardFilters:
        def number(key: str) -> int | None:
            value = (args.get(key) or "").strip()
            return int(value) if value.isdigit() and len(value) < 10 else None

        year = number("year")
        if year is None or not 2000 <= year <= today.year + 1 or (years and year not in years):
            year = today.year
        level = (args.get("level") or "").strip()
        return cls(year=year, city=number("city"), occupation=number("occupation"),
                   level=level if level in CARD_LEVELS else "")

    def args(self, **override) -> dict[str, str]:
        """The non-empty arguments (``override`` replaces some; None removes one)."""
        values = {"year": self.year, "city": self.city, "occupation": self.occupation,
                  "level": self.level}
        values.update(override)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


# --------------------------------------------------------------------------- working days


def overdue_cutoff(today: date, threshold: int, is_workday: Callable[[date], bool],
                   maintained: Callable[[int], bool]) -> date | None:
    """The last arrival day that makes an item overdue on ``today``: an item that arrived
    on this day or earlier has waited more than ``threshold`` working days (the arrival day
    not counted, as :func:`portal.applications.review_rules.workdays_held` counts).

    Walks back from ``today`` to the ``threshold + 1``-th working day (today included); the
    day before it is the cutoff. None when a day of the walk lies in a year whose calendar
    is not maintained: a provisional count never marks anything overdue (DESIGN.md
    "Provisional deadlines").
    """
    if threshold < 0:
        raise ValueError("threshold must be ≥ 0")
    count, day = 0, today
    while True:
        if not maintained(day.year):
            return None
        if is_workday(day):
            count += 1
            if count == threshold + 1:
                return day - timedelta(days=1)
        day -= timedelta(days=1)


def collection_bucket_bounds(today: date, next_workday: Callable[[date], date],
                             buckets=COLLECTION_BUCKETS) -> list[tuple[str, date, date | None]]:
    """Each bucket of :data:`COLLECTION_BUCKETS` as collection-deadline dates ``(label, from,
    before)``: a card whose deadline ``d`` satisfies ``from <= d < before`` (``before`` None:
    no end) has that many working days left (:func:`portal.cards.rules.workdays_left`: the
    working days after ``today`` up to and including the deadline).

    ``left(d) >= n`` exactly when ``d`` is on or after the n-th working day after ``today``,
    so the bounds are working days counted with ``next_workday`` (the real calendar, or the
    provisional estimate beyond it — an estimate only groups, it never voids). The lowest
    bucket starts at ``date.min`` (0 working days left, deadline today or past).
    """
    def nth(n: int) -> date:
        day = today
        for _ in range(n):
            day = next_workday(day)
        return day

    out = []
    for label, low, high in buckets:
        start = date.min if low == 0 else nth(low)
        end = None if high is None else nth(high + 1)
        out.append((label, start, end))
    return out


# --------------------------------------------------------------------------- charts

#: Fills of series, told apart without colour: solid greys and pattern ids defined in
#: ``_charts.html`` (``url(#pat-…)``). Four series at most carry a distinct look.
SERIES_FILLS: tuple[str, ...] = ("#3a3a3a", "url(#pat-diag)", "#a8a8a8", "url(#pat-dots)",
                                 "#6d6d6d", "url(#pat-cross)", "#ffffff", "url(#pat-horiz)",
                                 "#d4d4d4", "url(#pat-back)")


def nice_max(value: float) -> int:
    """A round axis maximum ≥ ``value``: 1, 2 or 5 times a power of ten (0 → 1)."""
    if value <= 0:
        return 1
    power = 1
    while power * 10 <= value:
        power *= 10
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


@dataclass(frozen=True)
class Bar:
    """One bar of a horizontal bar chart: its label, value, link and geometry (px)."""

    label: str
    value: int
    href: str | None
    y: float
    width: float


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: list[Bar]
    width: int
    height: int
    label_width: int
    bar_height: int
    maximum: int


def bar_chart(title: str, items: Sequence[tuple[str, int, str | None]], *, width: int = 520,
              label_width: int = 130, bar_height: int = 22, gap: int = 8) -> BarChart:
    """A horizontal bar chart of ``(label, value, href)``: one row per item, bar length
    proportional to the value over a round maximum (:func:`nice_max`), the value written at
    the end of the bar. Room is kept on the right for the number."""
    maximum = nice_max(max((v for _, v, _ in items), default=0))
    plot = width - label_width - 60
    bars = [Bar(label, value, href, gap + i * (bar_height + gap),
                round(plot * value / maximum, 1)) for i, (label, value, href) in enumerate(items)]
    height = gap + len(items) * (bar_height + gap)
    return BarChart(title, bars, width, max(height, bar_height + 2 * gap), label_width,
                    bar_height, maximum)


@dataclass(frozen=True)
class Segment:
    """One part of a stacked bar: its series, value, link, geometry and fill."""

    series: str
    value: int
    href: str | None
    x: float
    width: float
    fill: str


@dataclass(frozen=True)
class StackedRow:
    label: str
    total: int
    href: str | None
    y: float
    segments: list[Segment]


@dataclass(frozen=True)
class StackedBarChart:
    title: str
    series: list[tuple[str, str]]  # (name, fill) for the legend
    rows: list[StackedRow]
    width: int
    height: int
    label_width: int
    bar_height: int
    legend: list[tuple[str, str, float, float]]  # (name, fill, x, y)


LEGEND_STEP = 104  # px per legend entry


def stacked_bar_chart(title: str, series: Sequence[str],
                      rows: Sequence[tuple[str, Mapping[str, int], str | None]],
                      href: Callable[[str, str], str | None] | None = None, *,
                      width: int = 640, label_width: int = 130, bar_height: int = 22,
                      gap: int = 8) -> StackedBarChart:
    """Horizontal stacked bars: for each ``(label, {series: value}, row href)`` one bar whose
    segments are the series in order, each segment ``href(label, series)``. Bars share one
    scale (the largest total over a round maximum). Segments narrower than 26 px carry no
    number inside (it would not fit; the ``<title>`` of the segment and the table beside the
    chart have it); the row total is always written at the bar's end. Every series has its
    own fill (:data:`SERIES_FILLS`, up to ten); the legend wraps onto as many lines as the
    width needs."""
    fills = {name: SERIES_FILLS[i % len(SERIES_FILLS)] for i, name in enumerate(series)}
    totals = [sum(values.get(s, 0) for s in series) for _, values, _ in rows]
    maximum = nice_max(max(totals, default=0))
    plot = width - label_width - 60
    out = []
    for i, (label, values, row_href) in enumerate(rows):
        x, segments = float(label_width), []
        for name in series:
            value = values.get(name, 0)
            w = round(plot * value / maximum, 1)
            if value:
                segments.append(Segment(name, value, href(label, name) if href else None,
                                        round(x, 1), w, fills[name]))
            x += w
        out.append(StackedRow(label, totals[i], row_href, gap + i * (bar_height + gap),
                              segments))
    bars_end = max(gap + len(rows) * (bar_height + gap), bar_height + 2 * gap) + 6
    per_line = max(1, (width - label_width) // LEGEND_STEP)
    legend = [(name, fills[name], label_width + (k % per_line) * LEGEND_STEP,
               bars_end + (k // per_line) * 22) for k, name in enumerate(series)]
    lines = -(-len(series) // per_line) if series else 0
    return StackedBarChart(title, [(s, fills[s]) for s in series], out, width,
                           bars_end + lines * 22 + 4, label_width, bar_height, legend)


@dataclass(frozen=True)
class Point:
    label: str
    value: int
    href: str | None
    x: float
    y: float


@dataclass(frozen=True)
class LineChart:
    title: str
    points: list[Point]
    width: int
    height: int
    baseline: float
    maximum: int
    path: str = field(default="")


def line_chart(title: str, items: Sequence[tuple[str, int, str | None]], *, width: int = 520,
               height: int = 150, left: int = 16, top: int = 22, bottom: int = 26) -> LineChart:
    """A small line of counts (e.g. sheets finalised per month): a point per item, joined
    by a polyline, each point's value written above it and its label below the axis."""
    maximum = nice_max(max((v for _, v, _ in items), default=0))
    n = len(items)
    step = (width - 2 * left) / max(n - 1, 1)
    baseline = height - bottom
    points = [Point(label, value, href, round(left + i * step, 1),
                    round(baseline - (baseline - top) * value / maximum, 1))
              for i, (label, value, href) in enumerate(items)]
    path = " ".join(f"{p.x},{p.y}" for p in points)
    return LineChart(title, points, width, height, baseline, maximum, path)
