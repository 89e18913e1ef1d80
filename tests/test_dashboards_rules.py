"""Dashboard rules: the filters, overdue cut-offs and collection buckets in working days, and
the chart geometry — pure, no app."""

from datetime import date, timedelta

import pytest

from portal.applications.review_rules import workdays_held
from portal.applications.rules import HOLDERS, Stage
from portal.cards.rules import workdays_left
from portal.dashboards import rules
from portal.dashboards.rules import DashboardFilters
from portal.workdays import WorkdayCalendar

pytestmark = pytest.mark.pure

CAL = WorkdayCalendar.from_overrides({})
TODAY = date(2026, 10, 9)  # the Friday after the National Day week (a 调休 Saturday follows)


def test_filters_from_the_url_keep_known_values_and_drop_the_rest():
    f = DashboardFilters.from_args({"year": "2025", "city": "3", "occupation": "x",
                                    "level": "高级考评员"}, today=TODAY)
    assert f == DashboardFilters(2025, 3, None, "高级考评员")
    assert f.args() == {"year": "2025", "city": "3", "level": "高级考评员"}
    assert f.args(city=None, grade="差") == {"year": "2025", "level": "高级考评员", "grade": "差"}
    bad = DashboardFilters.from_args({"year": "1999", "level": "专家"}, today=TODAY)
    assert bad == DashboardFilters(2026)


@pytest.mark.parametrize("threshold", [0, 1, 5, 10, 20])
@pytest.mark.parametrize("today", [TODAY, date(2026, 10, 1), date(2026, 2, 24), date(2025, 5, 6)])
def test_overdue_cutoff_agrees_with_workdays_held_on_every_arrival_day(threshold, today):
    cut = rules.overdue_cutoff(today, threshold, CAL.is_workday, CAL.is_year_maintained)
    for back in range(0, 60):
        since = today - timedelta(days=back)
        overdue = workdays_held(since, today, CAL).days > threshold
        assert overdue == (since <= cut), (since, cut)


def test_overdue_cutoff_is_none_when_the_calendar_is_not_maintained():
    assert rules.overdue_cutoff(date(2031, 3, 3), 10, CAL.is_workday,
                                CAL.is_year_maintained) is None


@pytest.mark.parametrize("today", [TODAY, date(2026, 9, 25), date(2026, 12, 20)])
def test_collection_buckets_match_workdays_left_for_every_deadline(today):
    def nxt(d):
        return CAL.provisional_add_workdays(d, 1)

    bounds = rules.collection_bucket_bounds(today, nxt)
    for offset in range(-3, 120):
        deadline = today + timedelta(days=offset)
        left = workdays_left(today, deadline, nxt)
        inside = [label for label, start, end in bounds
                  if start <= deadline and (end is None or deadline < end)]
        expected = [label for label, low, high in rules.COLLECTION_BUCKETS
                    if low <= left and (high is None or left <= high)]
        assert inside == expected, (deadline, left)


def test_every_review_stage_has_ten_working_days_and_applicant_stages_none():
    assert rules.APPLICATION_OVERDUE[Stage.INITIAL_REVIEW] == 10
    assert rules.APPLICATION_OVERDUE[Stage.RETURNED_BY_UNIT] is None
    assert set(rules.waiting_stages("applications")) == set(HOLDERS) - {Stage.DRAFT}
    assert set(rules.APPLICATION_OVERDUE) == set(rules.waiting_stages("applications"))
    assert set(rules.RENEWAL_OVERDUE) == set(rules.waiting_stages("renewals"))


@pytest.mark.parametrize("value, expected", [(0, 1), (1, 1), (3, 5), (7, 10), (10, 10),
                                             (11, 20), (180, 200), (201, 500), (49_000, 50_000)])
def test_nice_max(value, expected):
    assert rules.nice_max(value) == expected


def test_bar_chart_scales_to_a_round_maximum_and_keeps_every_value():
    chart = rules.bar_chart("状态", [("有效", 40, "/a"), ("已过期", 20, None), ("待领取", 0, "/c")],
                            width=500, label_width=100)
    assert chart.maximum == 50
    plot = 500 - 100 - 60
    assert [b.width for b in chart.bars] == [plot * 40 / 50, plot * 20 / 50, 0]
    assert [b.value for b in chart.bars] == [40, 20, 0]
    assert chart.bars[1].y > chart.bars[0].y and chart.height >= chart.bars[-1].y


def test_stacked_bar_segments_are_contiguous_and_sum_to_the_total():
    chart = rules.stacked_bar_chart(
        "等次", ["优", "良", "中", "差"],
        [("成都市", {"优": 5, "良": 3, "差": 2}, "/cd"), ("绵阳市", {}, None)],
        lambda label, s: f"/{label}/{s}")
    row = chart.rows[0]
    assert row.total == 10 and [s.series for s in row.segments] == ["优", "良", "差"]
    for a, b in zip(row.segments, row.segments[1:], strict=False):
        assert b.x == pytest.approx(a.x + a.width, abs=0.2)
    assert row.segments[0].href == "/成都市/优"
    assert len({fill for _, fill in chart.series}) == 4  # told apart without colour
    assert [x for _n, _f, x, _y in chart.legend] == [130, 234, 338, 442]
    assert chart.rows[1].segments == [] and chart.rows[1].total == 0


def test_line_chart_points_rise_with_the_values():
    chart = rules.line_chart("每月", [(f"{m}月", v, None) for m, v in
                                     enumerate([0, 10, 5, 20], start=1)])
    ys = [p.y for p in chart.points]
    assert ys[0] == chart.baseline and ys[3] < ys[1] < ys[2] < ys[0]
    assert chart.path.count(",") == 4
