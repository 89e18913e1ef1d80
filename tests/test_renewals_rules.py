"""Renewal rules: registration window, work summary, the disqualification findings of
notice §三(五)."""

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.renewals.rules import (
    MIN_WORK_SUMMARY,
    RULE_TITLES,
    Finding,
    RefusalRecord,
    SheetRecord,
    ViolationKind,
    ViolationRecord,
    disqualification_findings,
    poor_share_disqualifies,
    registration_closes,
    registration_opens,
    term_window,
    work_summary_length,
    work_summary_ok,
)
from portal.workdays import CalendarNotMaintained

pytestmark = pytest.mark.pure  # no app, no database: skips the per-test cleanup

NO_DB = settings(database=None)


# --- registration window --------------------------------------------------------------------


@pytest.mark.parametrize(
    "year, closes",
    [
        (2026, date(2026, 4, 27)),
        (2025, date(2025, 4, 27)),  # a Sunday 调休 working day
        (2021, date(2021, 4, 25)),  # also a Sunday 调休 working day (劳动节 2021)
    ],
)
def test_registration_closes_20_working_days_after_28_march(year, closes):
    assert registration_opens(year) == date(year, 3, 28)
    assert registration_closes(year) == closes


def test_registration_close_in_an_unpublished_year_is_an_error():
    with pytest.raises(CalendarNotMaintained):
        registration_closes(2027)


# --- rule 1 share ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "poor, total, expected",
    [
        (3, 10, True),
        (2, 7, False),
        (0, 0, False),
        (0, 1, False),
        (1, 1, True),
        (1, 3, True),
        (1, 4, False),
        (3, 9, True),
        (29, 100, False),
        (30, 100, True),
        (299, 1000, False),
        (300, 1000, True),
    ],
)
def test_poor_share_disqualifies(poor, total, expected):
    assert poor_share_disqualifies(poor, total) is expected


@pytest.mark.parametrize("poor, total", [(4, 3), (-1, 3), (0, -1)])
def test_poor_share_needs_sensible_counts(poor, total):
    with pytest.raises(ValueError):
        poor_share_disqualifies(poor, total)


@NO_DB
@given(st.integers(1, 500).flatmap(lambda t: st.tuples(st.integers(0, t), st.just(t))))
def test_poor_share_is_an_exact_30_percent_compare(counts):
    poor, total = counts
    assert poor_share_disqualifies(poor, total) is (Fraction(poor, total) >= Fraction(3, 10))


# --- work summary ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, length",
    [
        ("", 0),
        ("考评工作总结", 6),
        ("考评 工作\u3000总结\n", 6),
        ("  \t\r\n\u3000\u00a0", 0),
        ("一、总结。2025年", 10),
        ("考评\u200b工作\ufeff", 4),  # zero-width space and BOM are not characters
        ("ABC abc 123", 9),
    ],
)
def test_work_summary_length_counts_non_whitespace(text, length):
    assert work_summary_length(text) == length


@pytest.mark.parametrize(
    "text, ok",
    [
        ("字" * 1000, True),
        ("字" * 999, False),
        ("字" * 999 + "\u3000" * 50, False),
        ("字\n" * 1000, True),
    ],
)
def test_work_summary_minimum_1000(text, ok):
    assert MIN_WORK_SUMMARY == 1000
    assert work_summary_ok(text) is ok


# --- the 12-month window --------------------------------------------------------------------


@pytest.mark.parametrize(
    "applied_on, start",
    [
        (date(2026, 4, 10), date(2025, 4, 10)),
        (date(2028, 2, 29), date(2027, 2, 28)),
        (date(2027, 2, 28), date(2026, 2, 28)),
        (date(2025, 3, 1), date(2024, 3, 1)),
    ],
)
def test_term_window(applied_on, start):
    assert term_window(applied_on) == (start, applied_on)


# --- findings -------------------------------------------------------------------------------

APPLIED = date(2026, 4, 10)
WINDOW_START = date(2025, 4, 10)


def sheets(poor, good, on=date(2025, 10, 1), prefix="s"):
    return [SheetRecord(f"{prefix}p{i}", on, "差") for i in range(poor)] + [
        SheetRecord(f"{prefix}g{i}", on, "良") for i in range(good)
    ]


def findings(sheets=(), refusals=(), violations=(), term_start=None, applied_on=APPLIED):
    return disqualification_findings(
        sheets=sheets,
        refusals=refusals,
        violations=violations,
        applied_on=applied_on,
        term_start=term_start,
    )


def test_clean_record_has_no_findings():
    assert findings(sheets(0, 10), [RefusalRecord(1, date(2025, 6, 1), False)]) == []


def test_no_sheets_no_rule_1():
    assert findings() == []


def test_rule_1_at_30_percent_lists_the_poor_sheets():
    [finding] = findings(sheets(3, 7))
    assert finding.rule == 1
    assert finding.title == RULE_TITLES[1]
    assert "30％" in finding.title and "差" in finding.title
    assert finding.record_ids == ("sp0", "sp1", "sp2")
    assert "10份" in finding.detail and "3份" in finding.detail and "30.0%" in finding.detail


def test_rule_1_below_30_percent():
    assert findings(sheets(2, 5)) == []


@pytest.mark.parametrize(
    "on, counts",
    [
        (WINDOW_START, True),  # first day of the window
        (APPLIED, True),  # the application day
        (WINDOW_START - timedelta(days=1), False),
        (APPLIED + timedelta(days=1), False),
    ],
)
def test_rule_1_window_boundaries(on, counts):
    # 2 poor of 7 inside; one more poor sheet at ``on`` makes 3 of 8 (37.5 %) if it counts.
    result = findings(sheets(2, 5) + [SheetRecord("edge", on, "差")])
    assert bool(result) is counts
    if counts:
        assert "edge" in result[0].record_ids


def test_rule_1_old_good_sheets_do_not_dilute_the_share():
    old = sheets(0, 20, on=date(2024, 6, 1), prefix="old")
    assert [f.rule for f in findings(old + sheets(1, 2))] == [1]


def test_rule_1_rejects_unknown_grades():
    with pytest.raises(ValueError):
        findings([SheetRecord(1, date(2025, 6, 1), "C")])


def refusal(rid, on, justified=False):
    return RefusalRecord(rid, on, justified)


def test_rule_2_three_unjustified_refusals():
    refusals = [
        refusal("r3", date(2026, 1, 5)),
        refusal("r1", WINDOW_START),
        refusal("r2", date(2025, 8, 1)),
        refusal("ok", date(2025, 9, 1), justified=True),
    ]
    [finding] = findings(refusals=refusals)
    assert finding.rule == 2 and finding.title == RULE_TITLES[2]
    assert finding.record_ids == ("r1", "r2", "r3")
    assert "3次" in finding.detail and "2025年4月10日" in finding.detail


@pytest.mark.parametrize(
    "refusals",
    [
        [refusal(i, date(2025, 6, i)) for i in (1, 2)],
        [refusal(i, date(2025, 6, i), justified=True) for i in range(1, 10)],
        [
            refusal(1, date(2025, 6, 1)),
            refusal(2, date(2025, 6, 2)),
            refusal(3, WINDOW_START - timedelta(days=1)),
        ],
        [
            refusal(1, date(2025, 6, 1)),
            refusal(2, date(2025, 6, 2)),
            refusal(3, APPLIED + timedelta(days=1)),
        ],
    ],
)
def test_rule_2_not_met(refusals):
    assert findings(refusals=refusals) == []


@pytest.mark.parametrize(
    "kind, rule, label",
    [
        (ViolationKind.REFUSED_RECUSAL, 3, "不接受回避"),
        (ViolationKind.CONCEALED_INCIDENT, 4, "隐瞒重大突发事件"),
        (ViolationKind.ERRONEOUS_JUDGMENT, 5, "评判错误造成不良影响"),
        (ViolationKind.FRAUD_BRIBERY, 6, "弄虚作假、徇私舞弊、收受财物"),
        (ViolationKind.CRIMINAL, 7, "受到刑事追究"),
    ],
)
def test_rules_3_to_7_any_confirmed_violation(kind, rule, label):
    assert (kind.rule, kind.label, kind.title) == (rule, label, RULE_TITLES[rule])
    [finding] = findings(violations=[ViolationRecord(7, date(2024, 5, 1), kind.value)])
    assert finding == Finding(rule, RULE_TITLES[rule], (7,), finding.detail)
    assert label in finding.detail and "2024年5月1日" in finding.detail


def test_rule_titles_are_the_notice_text():
    assert RULE_TITLES[3] == "不接受“回避制度”开展考评工作的"
    assert RULE_TITLES[7] == "违反国家法律法规并受到司法机关追究刑事责任的"
    assert sorted(RULE_TITLES) == [1, 2, 3, 4, 5, 6, 7]


@pytest.mark.parametrize(
    "on, term_start, counts",
    [
        (date(2023, 4, 10), date(2023, 4, 10), True),  # first day of the term
        (date(2023, 4, 9), date(2023, 4, 10), False),  # before this card's term
        (date(2020, 1, 1), None, True),  # no term start given: all of them
        (APPLIED, date(2023, 4, 10), True),
        (APPLIED + timedelta(days=1), date(2023, 4, 10), False),
        (APPLIED + timedelta(days=1), None, False),
    ],
)
def test_violations_count_during_the_term(on, term_start, counts):
    violation = ViolationRecord("v", on, ViolationKind.CRIMINAL)
    assert bool(findings(violations=[violation], term_start=term_start)) is counts


def test_findings_are_in_rule_order_with_their_records():
    result = findings(
        sheets=sheets(1, 1),
        refusals=[refusal(i, date(2025, 7, i)) for i in range(1, 4)],
        violations=[
            ViolationRecord("v2", date(2025, 3, 1), "fraud_bribery"),
            ViolationRecord("v1", date(2024, 3, 1), "refused_recusal"),
            ViolationRecord("v3", date(2023, 3, 1), "fraud_bribery"),
        ],
        term_start=date(2023, 4, 10),
    )
    assert [(f.rule, f.record_ids) for f in result] == [
        (1, ("sp0",)),
        (2, (1, 2, 3)),
        (3, ("v1",)),
        (6, ("v2",)),
    ]


def test_unknown_violation_kind_is_an_error():
    with pytest.raises(ValueError):
        findings(violations=[ViolationRecord(1, date(2025, 1, 1), "bribery")])
