"""The province drafts a training plan, whose unit quotas start from the previous plan minus
its unexcused absences, adjusts a quota, and publishes it; others only read published plans."""

from datetime import date

import pytest
from application_factories import create_application, create_plan
from factories import create_org, occupation
from sqlalchemy import select

from portal.applications.models import TrainingPlan, UnitQuota
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.training.rules import default_quota

HX = {"HX-Request": "true"}


def plan_form(csrf, **over):
    data = {"csrf_token": csrf("/training/plans/new"), "year": "2027",
            "title": "2027年度考评员资格培训", "levels": ["考评员", "高级考评员"],
            "occupation_ids": [str(occupation("电工").id), str(occupation("焊工").id)],
            "opens_on": "2027-03-01", "closes_on": "2027-03-31", "mode": "central",
            "places": "300", "notes": ""}
    data.update(over)
    return data


@pytest.mark.parametrize("previous, unit_default, absences, base, quota, text", [
    (10, 5, 0, 10, 10, "沿用上期名额 10 人"),
    (10, 5, 2, 10, 8, "上期名额 10 人，无故缺席 2 人，核减后 8 人"),
    (None, 5, 0, 5, 5, "沿用上期名额 5 人"),
    (1, 0, 3, 1, 0, "上期名额 1 人，无故缺席 3 人，核减后 0 人"),
])
def test_default_quota(previous, unit_default, absences, base, quota, text):
    d = default_quota(previous, unit_default, absences)
    assert (d.base, d.quota, d.explanation) == (base, quota, text)


def test_a_new_plan_takes_last_plans_quota_minus_unexcused_absences(client, login_as, csrf):
    sheng = login_as("province")
    unit = create_org("成都测试推荐单位", training_quota=4)
    previous = create_plan(2026)
    db.session.add(UnitQuota(plan=previous, organisation=unit, base=10))
    db.session.commit()
    for seq, excused in ((61, False), (62, True), (63, None)):
        a = create_application(previous, unit=unit, stage="absent", seq=seq)
        a.absence_excused = excused
    create_application(previous, unit=unit, stage="certified", seq=64)
    db.session.commit()

    response = client.post("/training/plans/new", data=plan_form(csrf))
    assert response.status_code == 302
    plan = db.session.scalars(select(TrainingPlan).where(TrainingPlan.year == 2027)).one()
    assert plan.published_at is None and plan.levels == "考评员,高级考评员"
    assert {o.name for o in plan.occupations} == {"电工", "焊工"}
    [quota] = plan.quotas
    assert (quota.organisation_id, quota.base, quota.absences, quota.quota) == (unit.id, 10, 2, 8)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "成都测试推荐单位" in page and "−2" in page and "<strong>8</strong>" in page
    assert "未发布" in page
    [event] = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "training_plan.create")).all()
    assert event.actor_id == sheng.id


def test_plan_form_errors_are_chinese_next_to_the_field(client, login_as, csrf):
    login_as("province")
    response = client.post("/training/plans/new", data=plan_form(
        csrf, closes_on="2027-02-01", levels=[], places="0"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "报名截止日期不能早于开始日期" in page and "请至少选择一个级别" in page
    assert "人数应为正整数" in page
    assert db.session.scalar(select(TrainingPlan.id)) is None


def test_quota_adjusted_inline_then_the_plan_published(client, login_as, csrf):
    login_as("province")
    plan = create_plan(2027, published=False)
    unit = create_org("成都测试推荐单位")
    quota = UnitQuota(plan=plan, organisation=unit, base=3, absences=1)
    db.session.add(quota)
    db.session.commit()
    token = csrf(f"/training/plans/{plan.id}")
    bad = client.post(f"/training/plans/{plan.id}/quotas/{quota.id}",
                      data={"csrf_token": token, "base": "-1"}, headers=HX)
    assert bad.status_code == 422 and "名额应为 0–10000" in bad.get_data(as_text=True)
    ok = client.post(f"/training/plans/{plan.id}/quotas/{quota.id}",
                     data={"csrf_token": token, "base": "6"}, headers=HX)
    row = ok.get_data(as_text=True)
    assert ok.status_code == 200 and row.startswith(f'<tr id="quota-{quota.id}">')
    assert "<strong>5</strong>" in row  # 6 − 1 absence
    client.post(f"/training/plans/{plan.id}/publish", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(TrainingPlan, plan.id).published_at is not None
    again = client.post(f"/training/plans/{plan.id}/publish", data={"csrf_token": token},
                        follow_redirects=True)
    assert "该培训计划已经发布" in again.get_data(as_text=True)


@pytest.mark.parametrize("role", ["city", "unit", "applicant"])
def test_only_the_province_drafts_adjusts_or_publishes(client, login_as, csrf, role):
    login_as(role)
    plan = create_plan(2027)
    quota = UnitQuota(plan=plan, organisation=create_org("某单位"), base=3)
    db.session.add(quota)
    db.session.commit()
    token = csrf("/")
    assert client.get("/training/plans/new").status_code == 403
    assert client.post(f"/training/plans/{plan.id}/publish",
                       data={"csrf_token": token}).status_code == 403
    assert client.post(f"/training/plans/{plan.id}/quotas/{quota.id}",
                       data={"csrf_token": token, "base": "9"}).status_code == 403
    assert client.get(f"/training/plans/{plan.id}").status_code == 200


def test_an_unpublished_plan_is_hidden_from_everyone_but_the_province(client, login_as):
    login_as("unit")
    draft = create_plan(2027, published=False)
    shown = create_plan(2026, opens_on=date(2026, 1, 1))
    assert client.get(f"/training/plans/{draft.id}").status_code == 404
    listing = client.get("/training/plans").get_data(as_text=True)
    assert shown.title in listing and draft.title not in listing


def test_a_unit_sees_only_its_own_quota_line(client, login_as):
    user = login_as("unit")
    plan = create_plan(2027)
    own, other = user.organisation, create_org("别家单位")
    db.session.add_all([UnitQuota(plan=plan, organisation=own, base=3),
                        UnitQuota(plan=plan, organisation=other, base=7)])
    db.session.commit()
    page = client.get(f"/training/plans/{plan.id}").get_data(as_text=True)
    assert user.organisation.name in page and "别家单位" not in page


def test_every_post_needs_the_csrf_token(client, login_as):
    login_as("province")
    plan = create_plan(2027, published=False)
    assert client.post(f"/training/plans/{plan.id}/publish").status_code == 400
    assert client.post("/training/plans/new", data={"year": "2027"}).status_code == 400
