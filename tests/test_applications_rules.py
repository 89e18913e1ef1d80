"""Eligibility to apply (notice §二(一)3) and the examiner's level scope."""

from datetime import date, timedelta

import pytest

from portal.applications.rules import (
    BANNED_REASON,
    CARD_LEVELS,
    EXAMINER,
    FINAL_STAGES,
    HOLDERS,
    QUALIFICATION_LEVELS,
    SENIOR_EXAMINER,
    TRANSITIONS,
    Action,
    Capacity,
    IllegalTransition,
    QualificationLevel,
    Stage,
    TitleLevel,
    allowed_actions,
    can_evaluate,
    eligibility_for_examiner,
    eligibility_for_senior,
    next_stage,
)

pytestmark = pytest.mark.pure  # no app, no database: skips the per-test cleanup

Q = QualificationLevel
T = TitleLevel


def test_levels_and_labels():
    assert (EXAMINER, SENIOR_EXAMINER) == CARD_LEVELS == ("考评员", "高级考评员")
    assert [q.label for q in QUALIFICATION_LEVELS] == [
        "五级/初级工",
        "四级/中级工",
        "三级/高级工",
        "二级/技师",
        "一级/高级技师",
    ]
    assert [int(q) for q in QUALIFICATION_LEVELS] == [5, 4, 3, 2, 1]
    assert [t.label for t in T] == ["初级", "中级", "副高级", "正高级"]
    assert Q.LEVEL_1.at_least(Q.LEVEL_3) and not Q.LEVEL_4.at_least(Q.LEVEL_3)


@pytest.mark.parametrize(
    "value, level",
    [
        (3, Q.LEVEL_3),
        (Q.LEVEL_2, Q.LEVEL_2),
        ("三级/高级工", Q.LEVEL_3),
        ("三级", Q.LEVEL_3),
        ("高级工", Q.LEVEL_3),
        ("高级技师", Q.LEVEL_1),
        ("技师", Q.LEVEL_2),
        (" 五级 ", Q.LEVEL_5),
    ],
)
def test_qualification_level_parse(value, level):
    assert Q.parse(value) is level


@pytest.mark.parametrize("value", [0, 6, "六级", "", None, True, 3.0])
def test_qualification_level_parse_rejects(value):
    with pytest.raises(ValueError):
        Q.parse(value)


@pytest.mark.parametrize(
    "card_level, batch_level, allowed",
    [
        (EXAMINER, Q.LEVEL_5, True),
        (EXAMINER, Q.LEVEL_4, True),
        (EXAMINER, Q.LEVEL_3, True),
        (EXAMINER, Q.LEVEL_2, False),
        (EXAMINER, Q.LEVEL_1, False),
        (SENIOR_EXAMINER, Q.LEVEL_5, True),
        (SENIOR_EXAMINER, Q.LEVEL_4, True),
        (SENIOR_EXAMINER, Q.LEVEL_3, True),
        (SENIOR_EXAMINER, Q.LEVEL_2, True),
        (SENIOR_EXAMINER, Q.LEVEL_1, True),
        (EXAMINER, 3, True),
        (EXAMINER, "二级/技师", False),
    ],
)
def test_can_evaluate(card_level, batch_level, allowed):
    assert can_evaluate(card_level, batch_level) is allowed


@pytest.mark.parametrize(
    "card_level, batch_level", [("质量督导员", 3), (EXAMINER, 0), (EXAMINER, "特级")]
)
def test_can_evaluate_rejects_unknown_levels(card_level, batch_level):
    with pytest.raises(ValueError):
        can_evaluate(card_level, batch_level)


# --- 考评员 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "qualification, title, banned, ok",
    [
        (Q.LEVEL_3, None, False, True),
        (Q.LEVEL_1, None, False, True),
        (Q.LEVEL_4, None, False, False),
        (Q.LEVEL_5, None, False, False),
        (None, T.INTERMEDIATE, False, True),
        (None, T.FULL_SENIOR, False, True),
        (None, T.JUNIOR, False, False),
        (Q.LEVEL_4, T.INTERMEDIATE, False, True),
        (Q.LEVEL_4, T.JUNIOR, False, False),
        (None, None, False, False),
        (Q.LEVEL_3, T.INTERMEDIATE, True, False),  # banned
        ("三级", "中级", False, True),
    ],
)
def test_eligibility_for_examiner(qualification, title, banned, ok):
    verdict = eligibility_for_examiner(
        qualification_level=qualification, title_level=title, banned=banned
    )
    assert verdict.ok is ok
    assert len(verdict.reasons) == len(verdict.checks) == 2


def test_examiner_reasons_explain_the_satisfied_check():
    verdict = eligibility_for_examiner(
        qualification_level=Q.LEVEL_2, title_level=None, banned=False
    )
    assert any("具有三级/高级工及以上国家职业资格" in reason for reason in verdict.reasons)
    assert verdict.failures == []


def test_examiner_reasons_explain_the_failed_check():
    verdict = eligibility_for_examiner(
        qualification_level=Q.LEVEL_4, title_level=T.JUNIOR, banned=False
    )
    [failure] = verdict.failures
    assert failure.startswith("不具有三级/高级工及以上国家职业资格")
    assert "中级及以上专业技术职称" in failure and "四级/中级工" in failure and "初级" in failure


def test_banned_person_cannot_apply():
    verdict = eligibility_for_examiner(
        qualification_level=Q.LEVEL_1, title_level=T.FULL_SENIOR, banned=True
    )
    assert not verdict.ok
    assert verdict.failures == [BANNED_REASON]
    assert BANNED_REASON == "因连续两次未领取证卡，已被永久取消申报资格"


# --- 高级考评员 -----------------------------------------------------------------------------

APPLIED = date(2026, 6, 1)


def senior(**overrides):
    kwargs = {
        "qualification_level": Q.LEVEL_1,
        "title_level": None,
        "has_valid_examiner_card": True,
        "first_finalised_sheet_on": date(2024, 5, 20),
        "applied_on": APPLIED,
        "banned": False,
    }
    kwargs.update(overrides)
    return eligibility_for_senior(**kwargs)


@pytest.mark.parametrize(
    "overrides, ok",
    [
        ({}, True),
        ({"qualification_level": Q.LEVEL_2}, False),
        ({"qualification_level": Q.LEVEL_2, "title_level": T.INTERMEDIATE}, False),
        ({"qualification_level": Q.LEVEL_2, "title_level": T.DEPUTY_SENIOR}, True),
        ({"qualification_level": None, "title_level": T.FULL_SENIOR}, True),
        ({"has_valid_examiner_card": False}, False),
        ({"first_finalised_sheet_on": None}, False),
        ({"first_finalised_sheet_on": APPLIED - timedelta(days=365)}, True),
        ({"first_finalised_sheet_on": APPLIED - timedelta(days=364)}, False),
        ({"first_finalised_sheet_on": APPLIED + timedelta(days=1)}, False),
        ({"banned": True}, False),
    ],
)
def test_eligibility_for_senior(overrides, ok):
    verdict = senior(**overrides)
    assert verdict.ok is ok
    assert len(verdict.reasons) == 4


def test_one_year_is_365_days_even_across_29_february():
    assert senior(first_finalised_sheet_on=date(2024, 1, 1), applied_on=date(2024, 12, 31)).ok
    assert not senior(first_finalised_sheet_on=date(2024, 1, 2), applied_on=date(2024, 12, 31)).ok


def test_senior_reasons_name_the_first_evaluation():
    verdict = senior(first_finalised_sheet_on=date(2026, 1, 5))
    assert verdict.failures == ["首次完成考评工作距申报不足一年（首次考评：2026年1月5日）"]
    ok = senior(first_finalised_sheet_on=date(2025, 1, 5))
    assert "具有一年以上实际考评工作经历（首次考评：2025年1月5日）" in ok.reasons


def test_senior_reasons_list_every_failure():
    verdict = senior(
        qualification_level=Q.LEVEL_2,
        title_level=T.INTERMEDIATE,
        has_valid_examiner_card=False,
        first_finalised_sheet_on=None,
        banned=True,
    )
    assert len(verdict.failures) == 4
    assert verdict.failures[0] == BANNED_REASON
    assert any("一级/高级技师国家职业资格" in failure for failure in verdict.failures)
    assert any("考评员证卡" in failure for failure in verdict.failures)


# --- the workflow --------------------------------------------------------------------------------

def test_the_city_happy_path_through_the_table():
    stage = Stage.DRAFT
    for action, who in [(Action.SUBMIT, Capacity.APPLICANT), (Action.RECOMMEND, Capacity.UNIT),
                        (Action.APPROVE, Capacity.INITIAL_REVIEWER),
                        (Action.SEND_TO_PROVINCE, Capacity.INITIAL_REVIEWER),
                        (Action.APPROVE, Capacity.PROVINCE), (Action.ATTEND, Capacity.PROVINCE),
                        (Action.PASS, Capacity.PROVINCE)]:
        assert action in allowed_actions(stage, {who})
        stage = next_stage(stage, action, {who})
    assert stage is Stage.CERTIFIED and stage.final


def test_return_and_resubmit_go_back_to_whoever_returned_it():
    assert next_stage(Stage.UNIT_REVIEW, Action.RETURN, {"unit"}) is Stage.RETURNED_BY_UNIT
    assert next_stage(Stage.RETURNED_BY_UNIT, Action.SUBMIT, {"applicant"}) is Stage.UNIT_REVIEW
    assert next_stage(Stage.INITIAL_REVIEW, Action.RETURN,
                      {"initial_reviewer"}) is Stage.RETURNED_BY_REVIEWER
    assert next_stage(Stage.RETURNED_BY_REVIEWER, Action.SUBMIT,
                      {"applicant"}) is Stage.INITIAL_REVIEW
    assert next_stage(Stage.PROVINCE_REVIEW, Action.RETURN, {"province"}) is Stage.INITIAL_REVIEW


@pytest.mark.parametrize("stage", list(Stage))
@pytest.mark.parametrize("capacity", list(Capacity))
@pytest.mark.parametrize("action", list(Action))
def test_every_move_not_in_the_table_is_refused_with_a_chinese_message(stage, capacity, action):
    rule = TRANSITIONS.get((stage, action))
    if rule and capacity in rule[0]:
        assert next_stage(stage, action, {capacity}) is rule[1]
        assert action in allowed_actions(stage, {capacity})
    else:
        with pytest.raises(IllegalTransition, match="不能|只能由"):
            next_stage(stage, action, {capacity})
        assert action not in allowed_actions(stage, {capacity})


def test_final_stages_have_no_way_out_and_every_other_stage_has_a_holder():
    for stage in Stage:
        if stage in FINAL_STAGES:
            assert not any(allowed_actions(stage, set(Capacity))) and stage not in HOLDERS
        else:
            assert stage in HOLDERS and allowed_actions(stage, set(Capacity))


def test_refusal_messages_name_the_stage_or_who_may():
    with pytest.raises(IllegalTransition, match="申报处于“考核合格，已发证”，不能“退回修改”"):
        next_stage(Stage.CERTIFIED, Action.RETURN, {"province"})
    with pytest.raises(IllegalTransition, match="“推荐”只能由申报单位操作"):
        next_stage(Stage.UNIT_REVIEW, Action.RECOMMEND, {"applicant", "province"})
