"""The renewal transition table (notice §三(三)–(四)): who may make which move, and where it
leads; card eligibility by the plan's cut-off."""

from datetime import date

import pytest

from portal.renewals.rules import (
    RENEWAL_COMMENT_REQUIRED,
    RENEWAL_FINAL_STAGES,
    RENEWAL_HOLDERS,
    RENEWAL_TRANSITIONS,
    IllegalRenewalMove,
    RenewalAction,
    RenewalCapacity,
    RenewalStage,
    card_eligible,
    renewal_actions,
    renewal_next_stage,
)

pytestmark = pytest.mark.pure

S, A, C = RenewalStage, RenewalAction, RenewalCapacity


def test_the_whole_path_to_a_new_card():
    path = [
        (S.DRAFT, A.SUBMIT, C.HOLDER, S.UNIT_REVIEW),
        (S.UNIT_REVIEW, A.AGREE, C.UNIT, S.INITIAL_REVIEW),
        (S.INITIAL_REVIEW, A.APPROVE, C.INITIAL_REVIEWER, S.INITIAL_APPROVED),
        (S.INITIAL_APPROVED, A.SEND_TO_PROVINCE, C.INITIAL_REVIEWER, S.PROVINCE_REVIEW),
        (S.PROVINCE_REVIEW, A.APPROVE, C.PROVINCE, S.RENEWED),
    ]
    for stage, action, who, target in path:
        assert renewal_next_stage(stage, action, {who}) is target


@pytest.mark.parametrize("stage, action, who, target", [
    (S.UNIT_REVIEW, A.DISAGREE, C.UNIT, S.UNIT_DECLINED),
    (S.UNIT_REVIEW, A.RETURN, C.UNIT, S.RETURNED_BY_UNIT),
    (S.RETURNED_BY_UNIT, A.SUBMIT, C.HOLDER, S.UNIT_REVIEW),
    (S.INITIAL_REVIEW, A.REJECT, C.INITIAL_REVIEWER, S.REJECTED),
    (S.INITIAL_REVIEW, A.RETURN, C.INITIAL_REVIEWER, S.RETURNED_BY_REVIEWER),
    (S.RETURNED_BY_REVIEWER, A.SUBMIT, C.HOLDER, S.INITIAL_REVIEW),
    (S.INITIAL_APPROVED, A.RETURN, C.INITIAL_REVIEWER, S.RETURNED_BY_REVIEWER),
    (S.PROVINCE_REVIEW, A.REJECT, C.PROVINCE, S.REVOKED),
    (S.PROVINCE_REVIEW, A.RETURN, C.PROVINCE, S.INITIAL_REVIEW),
    (S.DRAFT, A.WITHDRAW, C.HOLDER, S.WITHDRAWN),
    (S.INITIAL_REVIEW, A.WITHDRAW, C.HOLDER, S.WITHDRAWN),
])
def test_other_moves(stage, action, who, target):
    assert renewal_next_stage(stage, action, {who}) is target


@pytest.mark.parametrize("stage, action, who, message", [
    (S.UNIT_REVIEW, A.AGREE, C.HOLDER, "只能由申报单位操作"),
    (S.INITIAL_REVIEW, A.APPROVE, C.UNIT, "只能由初审单位操作"),
    (S.PROVINCE_REVIEW, A.APPROVE, C.INITIAL_REVIEWER, "只能由省职鉴中心操作"),
    (S.INITIAL_APPROVED, A.WITHDRAW, C.HOLDER, "不能“撤回申请”"),
    (S.RENEWED, A.REJECT, C.PROVINCE, "不能“不通过”"),
])
def test_refused_moves_say_why(stage, action, who, message):
    with pytest.raises(IllegalRenewalMove, match=message):
        renewal_next_stage(stage, action, {who})


def test_final_stages_allow_nothing_and_are_held_by_nobody():
    for stage in RENEWAL_FINAL_STAGES:
        assert renewal_actions(stage, set(C)) == []
        assert stage not in RENEWAL_HOLDERS
    for stage in S:
        if stage not in RENEWAL_FINAL_STAGES:
            assert stage in RENEWAL_HOLDERS, stage
            assert renewal_actions(stage, set(C)), stage


def test_every_transition_target_is_a_known_stage_and_labels_exist():
    for (stage, action), (who, target) in RENEWAL_TRANSITIONS.items():
        assert stage.label and action.label and target.label
        assert who
    assert {A.DISAGREE, A.RETURN, A.REJECT} == RENEWAL_COMMENT_REQUIRED


def test_actions_for_each_office():
    assert renewal_actions(S.UNIT_REVIEW, {C.UNIT}) == [A.AGREE, A.DISAGREE, A.RETURN]
    assert renewal_actions(S.INITIAL_REVIEW, {C.INITIAL_REVIEWER}) == [A.RETURN, A.APPROVE,
                                                                       A.REJECT]
    assert renewal_actions(S.PROVINCE_REVIEW, {C.PROVINCE}) == [A.RETURN, A.APPROVE, A.REJECT]
    assert renewal_actions(S.INITIAL_REVIEW, {C.HOLDER}) == [A.WITHDRAW]


@pytest.mark.parametrize("valid_until, usable, eligible", [
    (date(2026, 4, 27), True, True),    # ends on the cut-off
    (date(2025, 12, 1), True, True),    # ended before it
    (date(2026, 4, 28), True, False),   # still valid the day after the cut-off
    (date(2025, 12, 1), False, False),  # voided, revoked, renewed or never collected
])
def test_card_eligible_by_cutoff(valid_until, usable, eligible):
    assert card_eligible(valid_until=valid_until, expiry_cutoff=date(2026, 4, 27),
                         usable=usable) is eligible
