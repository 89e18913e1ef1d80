"""The review side's pure rules as truth tables: what the application page offers, comments,
the unit quota, who holds an application and for how many working days, Attachment 2 cells."""

from datetime import date

import pytest

from portal.applications.review_rules import (
    ACT_ROUTE_ACTIONS,
    ATTACHMENT2_HEADERS,
    ELSEWHERE,
    PANEL_ORDER,
    PASSED_UNIT,
    compose_comment,
    current_qualification,
    holder_office,
    office_code,
    panel_actions,
    quota_verdict,
    send_problems,
    table_number,
    workdays_held,
)
from portal.applications.rules import (
    CANNED_REASONS,
    FINAL_STAGES,
    HOLDERS,
    Action,
    Capacity,
    Stage,
    allowed_actions,
)
from portal.workdays import WorkdayCalendar

pytestmark = pytest.mark.pure  # no app, no database: skips the per-test cleanup


def test_every_action_is_either_taken_on_the_page_or_said_where_to_take_it():
    assert set(PANEL_ORDER) == ACT_ROUTE_ACTIONS
    assert ACT_ROUTE_ACTIONS.isdisjoint(ELSEWHERE)
    assert ACT_ROUTE_ACTIONS | set(ELSEWHERE) == set(Action)


@pytest.mark.parametrize("stage, capacity, offered", [
    (Stage.UNIT_REVIEW, Capacity.UNIT, [Action.RECOMMEND, Action.RETURN, Action.DECLINE]),
    (Stage.INITIAL_REVIEW, Capacity.INITIAL_REVIEWER,
     [Action.APPROVE, Action.RETURN, Action.REJECT]),
    # sending happens through the summary table, never from the application page
    (Stage.INITIAL_APPROVED, Capacity.INITIAL_REVIEWER, [Action.RETURN]),
    (Stage.PROVINCE_REVIEW, Capacity.PROVINCE, [Action.APPROVE, Action.RETURN]),
    # attendance and results belong to training
    (Stage.TRAINING, Capacity.PROVINCE, []),
    (Stage.ASSESSMENT, Capacity.PROVINCE, []),
    (Stage.DRAFT, Capacity.APPLICANT, [Action.SUBMIT, Action.WITHDRAW]),
    (Stage.PROVINCE_REVIEW, Capacity.INITIAL_REVIEWER, []),
])
def test_panel_actions(stage, capacity, offered):
    assert panel_actions(stage, [capacity]) == offered
    assert set(offered) <= set(allowed_actions(stage, [capacity]))


@pytest.mark.parametrize("reasons, text, comment", [
    ([], "", ""),
    ([], "  请补充工作总结 ", "请补充工作总结"),
    (["照片不符合要求"], "", "照片不符合要求"),
    # canned reasons come in their list order, unknown ones are dropped, free text last
    ([CANNED_REASONS[2], "伪造的理由", CANNED_REASONS[0]], "请换白底照片",
     f"{CANNED_REASONS[0]}；{CANNED_REASONS[2]}；请换白底照片"),
])
def test_compose_comment(reasons, text, comment):
    assert compose_comment(reasons, text) == comment


@pytest.mark.parametrize("quota, recommended, absences, ok, words", [
    (None, 0, 0, False, "没有培训名额"),
    (3, 0, 0, True, "还可推荐 3 人"),
    (3, 2, 0, True, "还可推荐 1 人"),
    (3, 3, 0, False, "名额已用完"),
    (3, 5, 0, False, "已推荐 5 人"),
    (0, 0, 2, False, "上期培训无故缺席核减 2 人"),
    (8, 1, 2, True, "本单位名额 8 人（上期培训无故缺席核减 2 人）"),
])
def test_quota_verdict(quota, recommended, absences, ok, words):
    verdict = quota_verdict(quota=quota, recommended=recommended, unit_name="成都测试推荐单位",
                            plan_title="2026年考评员资格培训", absences=absences)
    assert verdict.ok is ok and words in verdict.message


def test_a_place_is_held_from_the_recommendation_until_the_end_unless_given_back():
    assert Stage.UNIT_REVIEW not in PASSED_UNIT and Stage.RETURNED_BY_UNIT not in PASSED_UNIT
    assert {Stage.REJECTED, Stage.WITHDRAWN, Stage.UNIT_DECLINED}.isdisjoint(PASSED_UNIT)
    assert {Stage.INITIAL_REVIEW, Stage.TRAINING, Stage.ABSENT, Stage.CERTIFIED} <= PASSED_UNIT


NAMES = {"applicant_name": "王小明", "unit_name": "四川省直测试评价机构", "region_name": "成都市",
         "province_name": "四川省"}


@pytest.mark.parametrize("stage, province_region, office", [
    (Stage.DRAFT, False, "王小明"),
    (Stage.RETURNED_BY_REVIEWER, False, "王小明"),
    (Stage.UNIT_REVIEW, False, "四川省直测试评价机构"),
    (Stage.INITIAL_REVIEW, False, "成都市职业技能鉴定指导中心"),
    (Stage.INITIAL_APPROVED, False, "成都市职业技能鉴定指导中心"),
    # a provincial-direct application: the institution does the initial review
    (Stage.INITIAL_REVIEW, True, "四川省直测试评价机构"),
    (Stage.PROVINCE_REVIEW, True, "四川省职业技能鉴定指导中心"),
    (Stage.TRAINING, False, "四川省职业技能鉴定指导中心"),
    (Stage.CERTIFIED, False, None),
    (Stage.REJECTED, True, None),
])
def test_holder_office(stage, province_region, office):
    assert holder_office(stage, region_is_province=province_region, **NAMES) == office


def test_every_stage_has_a_holder_or_is_final():
    assert set(HOLDERS) | FINAL_STAGES == set(Stage)


def calendar_without(*years):
    """A calendar with the package's data, where ``years`` count as not maintained."""
    class Partial(WorkdayCalendar):
        def is_year_maintained(self, year):
            return year not in years and super().is_year_maintained(year)

    return Partial(overrides=lambda year: {}, confirmed=lambda year: False)


@pytest.mark.parametrize("since, today, days", [
    (date(2026, 6, 1), date(2026, 6, 1), 0),     # arrived today
    (date(2026, 6, 5), date(2026, 6, 8), 1),     # Friday → Monday: Monday counts
    (date(2026, 9, 30), date(2026, 10, 8), 1),   # National Day: Oct 1–7 off, Oct 8 works
    (date(2026, 10, 9), date(2026, 10, 12), 2),  # Saturday Oct 10 is an adjusted working day
    (date(2025, 9, 26), date(2025, 9, 29), 2),   # 2025-09-28 (Sunday) was a working day
])
def test_workdays_held_counts_working_days_after_arrival(since, today, days):
    held = workdays_held(since, today, WorkdayCalendar(lambda y: {}, lambda y: False))
    assert (held.days, held.provisional) == (days, False)


def test_admin_overrides_count():
    rest = WorkdayCalendar.from_overrides({date(2026, 6, 8): False})
    assert workdays_held(date(2026, 6, 5), date(2026, 6, 9), rest).days == 1


def test_a_count_into_an_unmaintained_year_is_provisional_never_a_guess_shown_as_fact():
    held = workdays_held(date(2026, 12, 30), date(2027, 1, 5), calendar_without(2027))
    # 2026-12-31 (Thu) counts; 2027: Jan 1 holiday, Jan 4 and 5 Mon–Tue
    assert (held.days, held.provisional) == (3, True)


def test_summary_table_numbers():
    assert office_code("510100", None) == "510100"
    assert office_code("510000", 12) == "S00012"
    assert table_number(2026, "510100", 3) == "HZ2026-510100-003"
    assert len(table_number(2026, office_code("510000", 99999), 999)) <= 30


@pytest.mark.parametrize("q, t, text, title, cell", [
    (3, None, "", "", "国家职业资格三级/高级工"),
    (3, 2, "电工三级 证书编号 123", "", "电工三级 证书编号 123；中级职称"),
    (None, 3, "", "高级工程师", "高级工程师"),
    (None, None, "", "", ""),
])
def test_current_qualification(q, t, text, title, cell):
    assert current_qualification(qualification_level=q, title_level=t, qualification_text=text,
                                 person_title=title) == cell


def test_attachment2_has_the_notices_ten_columns():
    assert ATTACHMENT2_HEADERS == ("序号", "工作单位", "姓名", "性别", "身份证号码", "文化程度",
                                   "现职业资格(专业技术职务)", "申报考评职业(工种)", "联系电话",
                                   "通讯地址")


@pytest.mark.parametrize("scan, sent, stages, problems", [
    (True, False, ["initial_approved"], []),
    (False, False, ["initial_approved"], ["请先上传加盖公章的汇总表扫描件"]),
    (True, True, ["province_review"], ["该汇总表已报送省职鉴中心"]),
    (True, False, [], ["汇总表中没有申报"]),
    (True, False, ["initial_approved", "returned_by_reviewer"],
     ["汇总表中有 1 份申报已不处于“初审通过，待报送省职鉴中心”"]),
])
def test_send_problems(scan, sent, stages, problems):
    assert send_problems(has_scan=scan, sent=sent, stages=stages) == problems
