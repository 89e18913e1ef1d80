"""Batch rules as truth tables: numbering, exam days, examiner scope on every exam day, the
warnings before an assignment, and the batch status (no app, no database)."""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from portal.applications.rules import QualificationLevel
from portal.batches.rules import (
    MAX_EXAM_DAYS,
    BatchStatus,
    assignment_warnings,
    batch_number,
    batch_status,
    can_manage,
    can_set_supervisor,
    card_covers_batch,
    card_levels_for,
    exam_days,
    exam_days_problem,
    level_choices,
)

pytestmark = pytest.mark.pure  # no app, no database: skips the per-test cleanup

D1 = date(2026, 6, 10)
D3 = date(2026, 6, 12)
DAYS = [D1, D1 + timedelta(days=1), D3]


@pytest.mark.parametrize("year, code, seq, expected", [
    (2026, "510100", 7, "KP2026-5101-0007"),
    (2026, "5107", 1, "KP2026-5107-0001"),
    (2025, "513400", 9999, "KP2025-5134-9999"),
])
def test_batch_number(year, code, seq, expected):
    assert batch_number(year, code, seq) == expected


@pytest.mark.parametrize("code, seq", [("510100", 0), ("510100", 10000), ("51", 1), ("", 1)])
def test_batch_number_refuses_impossible_parts(code, seq):
    with pytest.raises(ValueError):
        batch_number(2026, code, seq)


@pytest.mark.parametrize("start, end, problem", [
    (D1, None, None),
    (D1, D1, None),
    (D1, D1 + timedelta(days=MAX_EXAM_DAYS - 1), None),
    (D1, D1 + timedelta(days=MAX_EXAM_DAYS), "一个批次的考评日期最多连续 14 天"),
    (D1, D1 - timedelta(days=1), "结束日期不能早于开始日期"),
    (date(2020, 1, 6), date(2020, 1, 7), None),  # past batches may be entered
])
def test_exam_days_problem(start, end, problem):
    assert exam_days_problem(start, end) == problem


def test_exam_days_are_every_day_of_the_period():
    assert exam_days(D1, None) == [D1]
    assert exam_days(D1, D3) == DAYS
    with pytest.raises(ValueError):
        exam_days(D3, D1)


def test_level_choices_run_from_five_to_one_with_chinese_labels():
    assert level_choices() == [(5, "五级/初级工"), (4, "四级/中级工"), (3, "三级/高级工"),
                               (2, "二级/技师"), (1, "一级/高级技师")]


@pytest.mark.parametrize("level, cards", [
    (5, ["考评员", "高级考评员"]), (3, ["考评员", "高级考评员"]),
    (2, ["高级考评员"]), (QualificationLevel.LEVEL_1, ["高级考评员"]),
])
def test_card_levels_for_a_batch_level(level, cards):
    assert card_levels_for(level) == cards


def covers(**changes) -> list[str]:
    """A valid 考评员 card for occupation 1 on a 四级 batch over DAYS, with ``changes``."""
    card = dict(card_level="考评员", valid_from=date(2025, 3, 2), valid_until=date(2028, 3, 2),
                collected_on=date(2025, 3, 7), voided_on=None, revoked_on=None,
                occupation_id=1, batch_occupation_id=1, batch_level=4, exam_days=DAYS)
    card.update(changes)
    return card_covers_batch(**card)


@pytest.mark.parametrize("changes, reason", [
    ({}, None),
    ({"occupation_id": 2}, "证卡职业（工种）与本批次不符"),
    ({"batch_level": 3}, None),
    ({"batch_level": 2}, "考评员证卡不能考评二级/技师（考评员证卡限五级至三级）"),
    ({"card_level": "高级考评员", "batch_level": 1}, None),
    # validity: the last valid day is a valid day
    ({"valid_until": D3}, None),
    ({"valid_until": D3 - timedelta(days=1)}, "证卡已过有效期（考评日期2026年6月12日）"),
    ({"valid_until": D1 - timedelta(days=1)}, "证卡已过有效期（考评日期2026年6月10日）"),
    # issued on the first exam day: valid only if collected by then
    ({"valid_from": D1, "valid_until": date(2029, 6, 10), "collected_on": D1}, None),
    ({"valid_from": D1, "valid_until": date(2029, 6, 10), "collected_on": D1 + timedelta(days=1)},
     "证卡尚未领取（考评日期2026年6月10日）"),
    ({"valid_from": D1 + timedelta(days=1), "valid_until": date(2029, 6, 11),
      "collected_on": D1 + timedelta(days=1)}, "证卡于2026年6月11日才发证（考评日期2026年6月10日）"),
    ({"collected_on": None}, "证卡尚未领取（考评日期2026年6月10日）"),
    # voided / revoked: from their date on
    ({"collected_on": None, "voided_on": D3}, "证卡尚未领取（考评日期2026年6月10日）"),
    ({"voided_on": D3}, "证卡已作废（未按期领取）（考评日期2026年6月12日）"),
    ({"voided_on": D3 + timedelta(days=1)}, None),
    ({"revoked_on": D1 + timedelta(days=1)}, "证卡已注销（考评日期2026年6月11日）"),
    ({"revoked_on": D3 + timedelta(days=1)}, None),
    # superseded by a renewed card: the old card is not usable from that day on
    ({"superseded_on": D1}, "证卡已换发新证（考评日期2026年6月10日）"),
    ({"superseded_on": D3}, "证卡已换发新证（考评日期2026年6月12日）"),
    ({"superseded_on": D3 + timedelta(days=1)}, None),
])
def test_card_covers_batch(changes, reason):
    reasons = covers(**changes)
    if reason is None:
        assert reasons == []
    else:
        assert reason in reasons


def test_every_failed_check_is_explained_once():
    reasons = covers(occupation_id=9, batch_level=1, valid_until=D1, revoked_on=D3)
    assert reasons == [
        "证卡职业（工种）与本批次不符",
        "考评员证卡不能考评一级/高级技师（考评员证卡限五级至三级）",
        "证卡已过有效期（考评日期2026年6月11日）",
        "证卡已注销（考评日期2026年6月12日）",
    ]


@pytest.mark.parametrize("works, recent, overlaps, codes", [
    (False, [], [], []),
    (True, [], [], ["recusal"]),
    (False, [7, 7, 7], [], ["rotation"]),
    (False, [7, 7, 8], [], []),
    (False, [7, 7], [], []),  # fewer than three batches never warn
    (False, [8, 8, 8], [], []),  # three in a row, but at another institution
    (False, [], ["KP2026-5107-0001（2026年6月10日）"], ["double_booking"]),
    (True, [7, 7, 7], ["KP2026-5107-0001（2026年6月10日）"],
     ["recusal", "rotation", "double_booking"]),
])
def test_assignment_warnings(works, recent, overlaps, codes):
    warnings = assignment_warnings(works, recent, 7, overlaps)
    assert [w.code for w in warnings] == codes
    for w in warnings:
        assert w.text and w.label in {"回避", "轮换", "同日重复指派"}


def test_double_booking_names_the_other_batch():
    [w] = assignment_warnings(False, [], 7, ["KP2026-5107-0001（2026年6月10日）"])
    assert "KP2026-5107-0001（2026年6月10日）" in w.text


@pytest.mark.parametrize("accepted, sheets, final, status", [
    (0, 0, 0, BatchStatus.NOT_STARTED),
    (2, 0, 0, BatchStatus.NOT_STARTED),
    (2, 2, 0, BatchStatus.IN_PROGRESS),
    (2, 2, 1, BatchStatus.IN_PROGRESS),
    (2, 2, 2, BatchStatus.DONE),
    (1, 1, 1, BatchStatus.DONE),
])
def test_batch_status(accepted, sheets, final, status):
    assert batch_status(accepted=accepted, sheets=sheets, final=final) is status
    assert status.label in {"未开始", "进行中", "已完成"}


def user(*roles, org=None, region=None):
    return SimpleNamespace(has_role=lambda *r: bool(set(r) & set(roles)),
                           organisation_id=org, region_id=region)


BATCH = SimpleNamespace(organisation_id=5, organisation=SimpleNamespace(region_id=51))


@pytest.mark.parametrize("who, manage, supervisor", [
    (user("unit", org=5), True, True),
    (user("unit", org=6), False, False),
    (user("site_lead", org=5), False, False),
    (user("city", region=51), False, True),
    (user("city", region=52), False, False),
    (user("province"), False, True),
    (user("supervisor"), False, False),
])
def test_who_runs_a_batch_and_who_names_its_supervisor(who, manage, supervisor):
    assert can_manage(who, BATCH) is manage
    assert can_set_supervisor(who, BATCH) is supervisor
