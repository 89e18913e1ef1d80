"""Attachment 4 rubric and scoring rules: totals, final score, grade (pure, no app)."""

import dataclasses
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.scoring.rubric import (
    GRADE_NOTE,
    LEVELS,
    RUBRIC_2021,
    Rubric,
    RubricItem,
    final_score,
    grade,
    grade_bands_differ,
    rater_total,
)

pytestmark = pytest.mark.pure  # no app, no database: skips the per-test cleanup

NO_DB = settings(database=None)


def all_at(level):
    return {item.number: level for item in RUBRIC_2021.items}


# --- the published form ---------------------------------------------------------------------

PUBLISHED_POINTS = {
    **{n: (7, 6, 5, 4) for n in range(1, 10)},
    4: (7, 6, 6, 4),
    **{n: (6, 5, 4, 3) for n in (10, 11, 12)},
    13: (7, 6, 5, 4),
    14: (7, 6, 5, 4),
    15: (5, 4, 3, 2),
}


def test_rubric_2021_has_the_15_published_items_in_order():
    assert RUBRIC_2021.version == "2021"
    assert RUBRIC_2021.numbers == tuple(range(1, 16))
    assert LEVELS == ("A", "B", "C", "D")


@pytest.mark.parametrize("number, points", sorted(PUBLISHED_POINTS.items()))
def test_rubric_2021_points_as_published(number, points):
    assert tuple(RUBRIC_2021.item(number).points.values()) == points
    assert tuple(RUBRIC_2021.item(number).points) == LEVELS


@pytest.mark.parametrize(
    "number, text",
    [
        (1, "熟悉考评职业的职业标准和考评的项目、内容、要求及评分标准。"),
        (2, "考前对考核现场、设备、材料、工具和检测仪器进行核查。"),
        (3, "佩带考评人员证卡，考场作风严谨。"),
        (4, "独立完成考评任务，履行考评职责。"),
        (8, "考评中发生人员伤害和设备损毁能采取紧急处置措施。"),
        (10, "自觉执行回避制度。"),
        (13, "政策水平和专业水平符合技能人才评价工作要求。"),
        (15, "自觉接受有关部门和人员的监督。"),
    ],
)
def test_rubric_2021_text_is_the_published_text_joined(number, text):
    assert RUBRIC_2021.item(number).text == text


def test_item_4_is_kept_as_published_and_marked():
    item4 = RUBRIC_2021.item(4)
    assert item4.points["B"] == item4.points["C"] == 6
    assert item4.published_anomaly and "原表" in item4.published_anomaly
    others = [item for item in RUBRIC_2021.items if item.number != 4]
    assert all(item.published_anomaly is None for item in others)


def test_rubric_2021_maximum_100_minimum_55():
    assert RUBRIC_2021.max_total == 100
    assert RUBRIC_2021.min_total == 55
    assert rater_total(all_at("A")) == 100
    assert rater_total(all_at("D")) == 55


def test_rubric_is_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        RUBRIC_2021.version = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        RUBRIC_2021.item(1).text = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        RUBRIC_2021.item(1).points["A"] = 99  # type: ignore[index]
    assert isinstance(RUBRIC_2021.items, tuple)
    assert hash(RUBRIC_2021) == hash(Rubric.from_snapshot(RUBRIC_2021.to_snapshot()))


def test_item_points_are_copied_not_shared():
    points = {"A": 3, "B": 2, "C": 1, "D": 0}
    item = RubricItem(1, "x", points)
    points["A"] = 99
    assert item.points["A"] == 3


def test_snapshot_round_trips_through_json():
    snapshot = RUBRIC_2021.to_snapshot()
    restored = Rubric.from_snapshot(json.loads(json.dumps(snapshot, ensure_ascii=False)))
    assert restored == RUBRIC_2021
    assert restored.item(4).published_anomaly == RUBRIC_2021.item(4).published_anomaly


def test_snapshot_is_a_copy():
    snapshot = RUBRIC_2021.to_snapshot()
    snapshot["items"][0]["points"]["A"] = 70
    assert RUBRIC_2021.item(1).points["A"] == 7
    corrected = Rubric.from_snapshot({**snapshot, "version": "2021-修订"})
    assert corrected != RUBRIC_2021
    assert rater_total(all_at("A"), corrected) == 163


@pytest.mark.parametrize(
    "kwargs",
    [
        {"number": 0, "text": "x", "points": {"A": 1, "B": 1, "C": 1, "D": 1}},
        {"number": 1, "text": " ", "points": {"A": 1, "B": 1, "C": 1, "D": 1}},
        {"number": 1, "text": "x", "points": {"A": 1, "B": 1, "C": 1}},
        {"number": 1, "text": "x", "points": {"A": 1, "B": 1, "C": 1, "D": 1, "E": 0}},
        {"number": 1, "text": "x", "points": {"A": 1.5, "B": 1, "C": 1, "D": 1}},
        {"number": 1, "text": "x", "points": {"A": -1, "B": 1, "C": 1, "D": 1}},
    ],
)
def test_bad_rubric_items_are_refused(kwargs):
    with pytest.raises(ValueError):
        RubricItem(**kwargs)


def test_rubric_item_numbers_must_be_unique_and_ascending():
    item = RUBRIC_2021.item(1)
    with pytest.raises(ValueError):
        Rubric("x", (item, item))
    with pytest.raises(ValueError):
        Rubric("x", (RUBRIC_2021.item(2), item))
    with pytest.raises(ValueError):
        Rubric("x", ())


# --- rater totals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({}, 100),
        ({4: "C"}, 99),  # item 4 C scores 6 as published
        ({4: "B"}, 99),
        ({4: "D"}, 97),
        ({15: "D"}, 97),
        ({10: "B", 11: "C", 12: "D"}, 94),
        ({n: "B" for n in range(1, 16)}, 85),
        ({n: "C" for n in range(1, 16)}, 71),
    ],
)
def test_rater_total(changes, expected):
    assert rater_total({**all_at("A"), **changes}) == expected


@pytest.mark.parametrize(
    "levels",
    [
        {},
        {n: "A" for n in range(1, 15)},
        {**all_at("A"), 7: None},
    ],
)
def test_rater_total_is_none_while_an_item_is_unscored(levels):
    assert rater_total(levels) is None


@pytest.mark.parametrize(
    "levels",
    [
        {**all_at("A"), 16: "A"},
        {0: "A"},
        {"1": "A"},
        {1: "E"},
        {1: "a"},
        {**all_at("B"), 3: "A+"},
    ],
)
def test_rater_total_rejects_unknown_items_and_levels(levels):
    with pytest.raises(ValueError):
        rater_total(levels)


@NO_DB
@given(st.lists(st.sampled_from(LEVELS), min_size=15, max_size=15))
def test_every_complete_column_totals_between_55_and_100(levels):
    total = rater_total(dict(enumerate(levels, start=1)))
    assert 55 <= total <= 100


# --- final score ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "total_1, total_2, expected",
    [
        (84, 85, Decimal("84.5")),
        (85, 84, Decimal("84.5")),
        (84, 84, Decimal("84")),
        (100, 55, Decimal("77.5")),
        (56, 57, Decimal("56.5")),
        (100, 100, Decimal("100")),
    ],
)
def test_final_score_is_the_exact_mean(total_1, total_2, expected):
    assert final_score(total_1, total_2) == expected


def test_final_score_has_one_decimal_place():
    assert str(final_score(84, 84)) == "84.0"
    assert str(final_score(84, 85)) == "84.5"


@pytest.mark.parametrize("total_1, total_2", [(None, 80), (80, None), (None, None)])
def test_final_score_is_none_until_both_columns_are_complete(total_1, total_2):
    assert final_score(total_1, total_2) is None


@pytest.mark.parametrize("bad", [84.5, "84", True, Decimal("84")])
def test_final_score_takes_integer_totals(bad):
    with pytest.raises(TypeError):
        final_score(bad, 80)


@NO_DB
@given(st.integers(55, 100), st.integers(55, 100))
def test_final_score_symmetric_exact_and_between_the_totals(total_1, total_2):
    score = final_score(total_1, total_2)
    assert score == final_score(total_2, total_1)
    assert min(total_1, total_2) <= score <= max(total_1, total_2)
    assert score * 2 == total_1 + total_2
    assert score % 1 in (Decimal("0"), Decimal("0.5"))


# --- grade ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "score, expected",
    [
        (100, "优"),
        (85, "优"),
        (Decimal("85.0"), "优"),
        (Decimal("84.5"), "良"),
        (84, "良"),
        (71, "良"),
        (Decimal("71.0"), "良"),
        (Decimal("70.5"), "中"),
        (70, "中"),
        (57, "中"),
        (Decimal("56.5"), "差"),
        (56, "差"),
        (55, "差"),
        (0, "差"),
    ],
)
def test_grade_by_lower_bound_without_rounding(score, expected):
    assert grade(score) == expected


def test_grade_of_final_scores():
    assert grade(final_score(84, 85)) == "良"
    assert grade(final_score(85, 85)) == "优"
    assert grade(final_score(56, 57)) == "差"
    assert GRADE_NOTE == "按平均分下限判定，不四舍五入"


@pytest.mark.parametrize("bad", [84.5, 85.0, "85", True, None])
def test_grade_rejects_floats_and_non_numbers(bad):
    with pytest.raises(TypeError):
        grade(bad)


def test_grade_rejects_nan():
    with pytest.raises(ValueError):
        grade(Decimal("NaN"))


ORDER = {"差": 0, "中": 1, "良": 2, "优": 3}


@NO_DB
@given(st.integers(0, 220), st.integers(0, 220))
def test_grade_is_monotone(halves_a, halves_b):
    low, high = sorted((Decimal(halves_a) / 2, Decimal(halves_b) / 2))
    assert ORDER[grade(low)] <= ORDER[grade(high)]


# --- blind-scoring flag ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "total_1, total_2, expected",
    [
        (86, 80, True),  # 优 vs 良
        (85, 84, True),
        (84, 71, False),  # both 良
        (71, 70, True),
        (57, 56, True),
        (100, 85, False),
        (55, 56, False),
        (None, 80, False),
        (80, None, False),
    ],
)
def test_grade_bands_differ(total_1, total_2, expected):
    assert grade_bands_differ(total_1, total_2) is expected
