"""The pure rules of sessions, attendance and assessment, and the judging of a results upload:
truth tables, no app, no database."""

from datetime import date
from decimal import Decimal

import pytest

from portal.training import result_imports as imports
from portal.training.session_rules import (
    PASS_MARK,
    Result,
    ScoreError,
    absence_comment,
    absence_consequence,
    assessment_date_problem,
    attendance_problem,
    dates_problem,
    parse_result,
    parse_score,
    result_for,
    result_problem,
)

pytestmark = pytest.mark.pure  # no app, no database: skips the per-test cleanup


@pytest.mark.parametrize("value, expected", [
    ("85", Decimal("85.0")), ("85.5", Decimal("85.5")), (" 60 ", Decimal("60.0")),
    (85.5, Decimal("85.5")), (100, Decimal("100.0")), ("0", Decimal("0.0")),
    (Decimal("59.9"), Decimal("59.9")), ("72.50", Decimal("72.5")),
])
def test_scores_are_read_with_one_decimal(value, expected):
    assert parse_score(value) == expected


@pytest.mark.parametrize("value, message", [
    ("", "请填写考核成绩"), (None, "请填写考核成绩"),
    ("abc", "考核成绩应为数字"), ("NaN", "考核成绩应为数字"), ("Infinity", "考核成绩应为数字"),
    (True, "考核成绩应为数字"),
    ("85.25", "最多保留一位小数"), ("100.1", "0–100"), ("-1", "0–100"), ("101", "0–100"),
])
def test_bad_scores_are_refused_with_a_reason(value, message):
    with pytest.raises(ScoreError, match=message):
        parse_score(value)


@pytest.mark.parametrize("score, result", [
    ("60", Result.PASS), ("60.0", Result.PASS), ("59.9", Result.FAIL), ("100", Result.PASS),
    ("0", Result.FAIL), ("85.5", Result.PASS),
])
def test_the_verdict_follows_the_score_at_the_pass_mark_without_rounding(score, result):
    assert Decimal("60") == PASS_MARK
    assert result_for(Decimal(score)) is result


@pytest.mark.parametrize("text, expected", [
    ("合格", Result.PASS), ("不合格", Result.FAIL), ("", None), (" 合格 ", Result.PASS),
])
def test_written_verdicts(text, expected):
    assert parse_result(text) is expected


def test_an_unknown_written_verdict_is_refused():
    with pytest.raises(ValueError):
        parse_result("通过")


@pytest.mark.parametrize("score, stated, problem", [
    ("75", Result.PASS, False), ("75", None, False), ("45", Result.FAIL, False),
    ("45", Result.PASS, True), ("60", Result.FAIL, True), ("59.9", Result.PASS, True),
])
def test_a_written_verdict_must_agree_with_the_score(score, stated, problem):
    found = result_problem(Decimal(score), stated)
    assert bool(found) is problem
    if problem:
        assert "与成绩" in found and "60 分及以上为合格" in found


def test_session_dates():
    assert dates_problem(date(2026, 6, 1), date(2026, 6, 3)) is None
    assert dates_problem(date(2026, 6, 1), date(2026, 6, 1)) is None
    assert dates_problem(date(2026, 6, 3), date(2026, 6, 1)) == "培训结束日期不能早于开始日期"


@pytest.mark.parametrize("status, today, expected", [
    ("scheduled", date(2026, 6, 1), None),
    ("scheduled", date(2026, 6, 9), None),
    ("scheduled", date(2026, 5, 31), "培训尚未开始"),
    ("requested", date(2026, 6, 2), "尚未安排"),
    ("declined", date(2026, 6, 2), "尚未安排"),
])
def test_attendance_is_recorded_for_a_scheduled_session_from_its_first_day(status, today, expected):
    problem = attendance_problem(status, date(2026, 6, 1), today)
    assert (problem is None) if expected is None else (expected in problem)


@pytest.mark.parametrize("assessed_on, expected", [
    (date(2026, 6, 3), None), (date(2026, 6, 10), None),
    (date(2026, 6, 2), "不能早于培训结束日期"), (date(2026, 6, 11), "不能晚于今天"),
])
def test_the_assessment_date_is_after_the_training_and_not_in_the_future(assessed_on, expected):
    problem = assessment_date_problem(assessed_on, ends_on=date(2026, 6, 3),
                                      today=date(2026, 6, 10))
    assert (problem is None) if expected is None else (expected in problem)


def test_absence_comments_and_what_an_unexcused_absence_costs():
    assert absence_comment(True, " 住院 ") == "有特殊原因：住院"
    assert absence_comment(False, "") == "无特殊原因"
    assert absence_comment(False, "未请假") == "无特殊原因：未请假"
    with pytest.raises(ValueError, match="须填写原因"):
        absence_comment(True, " ")
    assert absence_consequence("成都某单位") == "缺席将核减 成都某单位 下期名额 1 人"
    assert absence_consequence("成都某单位", 2) == "缺席将核减 成都某单位 下期名额 2 人"


# --- judging a results upload ---------------------------------------------------------------

ID_A, ID_B, ID_C = "510104198005060011", "510104198005060027", "51010419800506003X"


def people(**over):
    base = {
        1: imports.Participant(1, "张一", ID_A, 7, "assessment", None, False),
        2: imports.Participant(2, "李二", ID_B, 7, "certified", Decimal("88.0"), False),
        3: imports.Participant(3, "王三", ID_C, 8, "assessment", None, False),
    }
    base.update(over)
    return list(base.values())


def row(n, application="1", name="张一", id_number=ID_A, score="75", result=""):
    return imports.ParsedRow(n, application, name, id_number, score, result)


def test_good_rows_import_and_a_recorded_equal_result_is_unchanged():
    plan = imports.validate([row(7), row(8, "2", "李二", ID_B, "88", "合格")], people(), 7)
    assert plan.ok and [r.status for r in plan.results] == ["import", "unchanged"]
    assert [(c.application_id, c.score, c.result) for c in plan.changes] == [
        (1, Decimal("75.0"), Result.PASS)]


def test_a_row_may_name_the_participant_by_id_number_alone():
    plan = imports.validate([imports.ParsedRow(7, "", "张一", ID_A, "61", "")], people(), 7)
    assert plan.ok and plan.changes[0].application_id == 1


@pytest.mark.parametrize("bad, message", [
    (row(7, application="99"), imports.E_UNKNOWN_APPLICATION),
    (row(7, application="abc"), imports.E_UNKNOWN_APPLICATION),
    (row(7, application="", id_number="510104198005060099"), imports.E_UNKNOWN_ID),
    (row(7, application="", id_number="", name="张一"), imports.E_NO_KEY),
    (row(7, id_number=ID_B), imports.E_ID_MISMATCH),
    (row(7, name="张三"), "姓名与申报不符"),
    (row(7, "3", "王三", ID_C), imports.E_NOT_IN_SESSION),
    (row(7, score="101"), "0–100"),
    (row(7, score="七十"), "应为数字"),
    (row(7, score="75.55"), "一位小数"),
    (row(7, score="", result="合格"), "请填写考核成绩"),
    (row(7, result="通过"), imports.E_RESULT_TEXT),
    (row(7, score="59", result="合格"), "与成绩 59.0 分不符"),
    (row(7, "2", "李二", ID_B, "70"), "已录入考核结果（88.0 分，合格），不能更改"),
])
def test_each_bad_row_says_what_is_wrong_and_nothing_is_imported(bad, message):
    plan = imports.validate([row(6, score="80"), bad], people(), 7)
    assert not plan.ok and plan.changes == []
    assert plan.results[0].status == "import"
    assert plan.results[1].status == "error"
    assert any(message in e for e in plan.results[1].errors), plan.results[1].errors


@pytest.mark.parametrize("stage, message", [
    ("training", imports.E_NOT_ATTENDED), ("absent", imports.E_ABSENT),
    ("withdrawn", "不能录入考核成绩"),
])
def test_only_those_awaiting_assessment_get_a_result(stage, message):
    who = imports.Participant(1, "张一", ID_A, 7, stage, None, False)
    plan = imports.validate([row(7)], [who], 7)
    assert not plan.ok and message in plan.results[0].errors[0]


def test_a_banned_person_cannot_pass_but_may_fail():
    banned = imports.Participant(1, "张一", ID_A, 7, "assessment", None, True)
    assert not imports.validate([row(7, score="60")], [banned], 7).ok
    assert imports.E_BANNED in imports.validate([row(7, score="60")], [banned], 7).results[0].errors
    assert imports.validate([row(7, score="59.5")], [banned], 7).ok


def test_duplicate_rows_and_blank_rows():
    plan = imports.validate([row(7), row(8, score="76")], people(), 7)
    assert "与第 7 行重复" in plan.results[1].errors[0]
    blank = imports.validate([row(7, score="", result="")], people(), 7)
    assert blank.ok and blank.results[0].status == "blank" and blank.changes == []


def test_the_template_header_is_found_below_the_title_and_footers_are_skipped():
    table = [
        ("考评员资格培训考核成绩",), ("培训场次：…",), (),
        ("序号", "申报编号", "姓名", "身份证号码", "推荐单位", "职业（工种）", "级别", "考核成绩",
         "考核结果"),
        (1, 1, "张一", ID_C.lower(), "某单位", "电工", "考评员", 75.5, None),
        (2, "２", " 李二 ", ID_B, "某单位", "电工", "考评员", None, None),
        (None,) * 9, ("填写说明：",), ("1. 考核成绩填 0–100 的数字",),
    ]
    rows = imports.rows_from_table(table)
    assert rows == [imports.ParsedRow(5, "1", "张一", ID_C, "75.5", ""),
                    imports.ParsedRow(6, "2", "李二", ID_B, "", "")]


def test_a_sheet_without_the_header_is_refused():
    with pytest.raises(imports.ImportFileError, match="没有找到模板的表头"):
        imports.rows_from_table([("姓名", "成绩")])
    with pytest.raises(imports.ImportFileError, match="表头缺少以下列：身份证号码"):
        imports.rows_from_table([("申报编号", "姓名", "考核成绩", "考核结果")])
