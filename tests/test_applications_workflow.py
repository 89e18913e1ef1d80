"""apply_action: the only way an application moves; each move is a step with who, capacity,
when, what and why, and an audit event; an illegal move changes nothing."""

from datetime import date

import pytest
from application_factories import applicant_user, create_application, create_plan
from factories import create_org, create_user
from sqlalchemy import select

from portal.applications.models import Application
from portal.applications.operations import apply_action, capacities
from portal.applications.rules import Action, Capacity, IllegalTransition, Stage
from portal.audit.models import AuditEvent
from portal.extensions import db


def test_capacities_follow_the_application_not_just_the_role():
    plan = create_plan()
    app_ = create_application(plan)
    me = applicant_user(app_)
    clerk = create_user("clerk", ["unit"], org=app_.unit)
    other_clerk = create_user("other", ["unit"], org=create_org("别的单位"))
    chengdu = create_user("cd", ["city"], city="成都市")
    mianyang = create_user("my", ["city"], city="绵阳市")
    province = create_user("sheng", ["province"])
    assert capacities(me, app_) == {Capacity.APPLICANT}
    assert capacities(clerk, app_) == {Capacity.UNIT}
    assert capacities(other_clerk, app_) == set()
    assert capacities(chengdu, app_) == {Capacity.INITIAL_REVIEWER}
    assert capacities(mianyang, app_) == set()
    assert capacities(province, app_) == {Capacity.PROVINCE}


def test_a_provincial_direct_application_is_reviewed_by_its_institution_not_a_city():
    plan = create_plan()
    app_ = create_application(plan, city="四川省")
    direct_clerk = create_user("shengzhi", ["unit"], org=app_.unit)
    chengdu = create_user("cd", ["city"], city="成都市")
    assert capacities(direct_clerk, app_) == {Capacity.UNIT, Capacity.INITIAL_REVIEWER}
    assert capacities(chengdu, app_) == set()


def test_each_move_records_a_step_and_an_audit_event():
    plan = create_plan()
    app_ = create_application(plan)
    me = applicant_user(app_)
    clerk = create_user("clerk", ["unit"], org=app_.unit)
    apply_action(app_, Action.SUBMIT, user=me, today=date(2026, 6, 1))
    apply_action(app_, Action.RETURN, user=clerk, comment="请补充工作总结")
    db.session.commit()
    app_ = db.session.get(Application, app_.id)
    assert app_.stage == Stage.RETURNED_BY_UNIT and app_.submitted_at is not None
    assert [(s.capacity, s.action, s.from_stage, s.to_stage, s.comment) for s in app_.steps] == [
        ("applicant", "submit", "draft", "unit_review", ""),
        ("unit", "return", "unit_review", "returned_by_unit", "请补充工作总结"),
    ]
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "application").order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["application.submit", "application.return"]
    assert events[1].after["comment"] == "请补充工作总结" and events[1].actor_id == clerk.id


def test_an_illegal_move_changes_nothing():
    plan = create_plan()
    app_ = create_application(plan, stage="unit_review")
    me = applicant_user(app_)
    with pytest.raises(IllegalTransition, match="只能由申报单位操作"):
        apply_action(app_, Action.RECOMMEND, user=me)
    db.session.rollback()
    app_ = db.session.get(Application, app_.id)
    assert app_.stage == "unit_review" and app_.steps == []
    assert db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.entity_type == "application")) is None


def test_return_decline_and_reject_need_a_comment():
    plan = create_plan()
    app_ = create_application(plan, stage="unit_review")
    clerk = create_user("clerk", ["unit"], org=app_.unit)
    with pytest.raises(IllegalTransition, match="须填写意见"):
        apply_action(app_, Action.DECLINE, user=clerk, comment="  ")


def test_submitting_or_resubmitting_needs_the_window_open():
    plan = create_plan(opens_on=date(2026, 3, 28), closes_on=date(2026, 4, 27))
    app_ = create_application(plan)
    me = applicant_user(app_)
    with pytest.raises(IllegalTransition, match="报名时间已结束"):
        apply_action(app_, Action.SUBMIT, user=me, today=date(2026, 4, 28))
    apply_action(app_, Action.SUBMIT, user=me, today=date(2026, 4, 27))
    assert app_.stage == Stage.UNIT_REVIEW


def test_a_submission_lacking_uploads_or_eligibility_is_refused_with_every_reason():
    plan = create_plan()
    app_ = create_application(plan, complete=False, qualification_level=4)
    me = applicant_user(app_)
    with pytest.raises(IllegalTransition) as refused:
        apply_action(app_, Action.SUBMIT, user=me, today=date(2026, 6, 1))
    message = str(refused.value)
    assert "请上传身份证复印件" in message and "请上传签字盖章的申报表扫描件" in message
    assert "不具有三级/高级工及以上国家职业资格" in message
    assert app_.stage == Stage.DRAFT


def test_a_senior_application_needs_a_valid_card_and_a_year_of_evaluation_work():
    from factories import create_card

    plan = create_plan()
    app_ = create_application(plan, level="高级考评员", qualification_level=1)
    me = applicant_user(app_)
    with pytest.raises(IllegalTransition, match="未持有有效的考评员证卡.*尚无已完成的考评工作记录"):
        apply_action(app_, Action.SUBMIT, user=me, today=date(2026, 6, 1))
    create_card(app_.person, issued_on=date(2025, 3, 3))
    with pytest.raises(IllegalTransition, match="尚无已完成的考评工作记录"):
        apply_action(app_, Action.SUBMIT, user=me, today=date(2026, 6, 1))
