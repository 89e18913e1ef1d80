"""The applicant's side of an application as pure rules: when it may be changed, which unit
fits which region, which materials a level needs, what Attachment 1 would leave blank."""

import pytest

from portal.applications import apply_rules
from portal.applications.rules import Stage

pytestmark = pytest.mark.pure  # no app, no database: skips the per-test cleanup


@pytest.mark.parametrize(("stage", "window_open", "expected"), [
    (Stage.DRAFT, True, None),
    (Stage.RETURNED_BY_UNIT, True, None),
    (Stage.RETURNED_BY_REVIEWER, True, None),
    (Stage.DRAFT, False, "报名时间已结束"),
    (Stage.RETURNED_BY_REVIEWER, False, "报名时间已结束"),
    (Stage.UNIT_REVIEW, True, "申报已提交（待申报单位推荐），审核期间不能修改"),
    (Stage.INITIAL_REVIEW, True, "申报已提交（待初审）"),
    (Stage.PROVINCE_REVIEW, True, "审核期间不能修改"),
    (Stage.WITHDRAWN, True, "申报处于“已撤回”，不能再修改"),
    (Stage.CERTIFIED, False, "申报处于“考核合格，已发证”，不能再修改"),
])
def test_edit_problem(stage, window_open, expected):
    problem = apply_rules.edit_problem(stage, window_open=window_open)
    if expected is None:
        assert problem is None
    else:
        assert expected in problem


def test_only_draft_and_returned_stages_are_editable():
    editable = {Stage.DRAFT, Stage.RETURNED_BY_UNIT, Stage.RETURNED_BY_REVIEWER}
    assert editable == apply_rules.EDITABLE_STAGES
    for stage in Stage:
        assert (apply_rules.edit_problem(stage, window_open=True) is None) is (
            stage in apply_rules.EDITABLE_STAGES)


@pytest.mark.parametrize(("province", "unit_region", "direct", "active", "fits"), [
    (False, 1, False, True, True),     # a Chengdu unit for a Chengdu application
    (False, 2, False, True, False),    # a Mianyang unit for a Chengdu application
    (False, 1, True, True, True),      # a provincial-direct institution located in Chengdu
    (True, 1, False, True, False),     # 四川省 needs a provincial-direct institution
    (True, 1, True, True, True),
    (True, 3, True, False, False),     # an inactive unit recommends nobody
    (False, 1, False, False, False),
])
def test_unit_fits_region(province, unit_region, direct, active, fits):
    assert apply_rules.unit_fits_region(
        region_is_province=province, region_id=1, unit_region_id=unit_region,
        unit_provincial_direct=direct, unit_active=active) is fits


def test_the_card_copy_is_asked_only_of_senior_applications():
    examiner = [k.key for k in apply_rules.upload_kinds_for("考评员")]
    senior = [k.key for k in apply_rules.upload_kinds_for("高级考评员")]
    assert examiner == ["id_copy", "certificate_copy", "photo", "signed_form"]
    assert senior == ["id_copy", "certificate_copy", "photo", "card_copy", "signed_form"]
    assert apply_rules.upload_kind("photo").image_only
    assert not any(k.image_only for k in apply_rules.UPLOAD_KINDS if k.key != "photo")
    assert apply_rules.upload_kind("passport") is None


def test_each_upload_kind_names_an_application_column():
    from portal.applications.models import Application

    for kind in apply_rules.UPLOAD_KINDS:
        assert hasattr(Application, kind.column) and hasattr(Application, kind.key)


def test_profile_gaps_list_what_attachment_1_would_print_blank():
    full = {"gender": "男", "education": "本科", "employer": "某公司", "position": "",
            "address": "成都市", "mobile": "13800000000", "years_worked": 0}
    assert apply_rules.profile_gaps(full, has_photo=True) == []  # 职务 may be empty, 0 years ok
    gaps = apply_rules.profile_gaps({**full, "education": "", "mobile": "",
                                     "years_worked": None}, has_photo=False)
    assert gaps == ["文化程度", "联系手机", "工龄", "照片"]


def test_duplicate_message_says_what_exists_and_what_to_do():
    message = apply_rules.duplicate_message("考评员", "待初审")
    assert "“考评员”（待初审）" in message and "只能申报一次" in message and "撤回" in message
