"""The review pages through HTTP, as each person would use them: the work queues, the
application page with its timeline and moves, the unit's quota, scope, illegal moves, and the
whole way from submission to training for a city and for a provincial-direct application."""

import io
import re

import pytest
from application_factories import (
    act,
    an_upload,
    applicant_user,
    client_as,
    create_application,
    create_quota,
    open_plan,
)
from factories import create_org, create_person, create_user, csrf_in
from PIL import Image
from sqlalchemy import func, select

from portal.applications.models import Application, ApplicationStep, SummaryTable
from portal.applications.rules import CANNED_REASONS, Stage
from portal.audit.models import AuditEvent
from portal.extensions import db


def fresh(application) -> Application:
    db.session.expire_all()
    return db.session.get(Application, application.id)


def audit_actions(entity_type="application"):
    return db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == entity_type).order_by(AuditEvent.id)).all()


def png_file(name="汇总表盖章.png"):
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (250, 250, 250)).save(out, "PNG")
    out.seek(0)
    return (out, name)


def page(client, path) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def make_table(client, application_ids, office=None, plan_id=None):
    html = page(client, "/applications/tables/new")
    data = {"csrf_token": csrf_in(html), "application_ids": [str(i) for i in application_ids],
            "filled_by": re.search(r'name="filled_by"[^>]*value="([^"]*)"', html).group(1),
            "contact_name": "张经办", "contact_phone": "028-86136211",
            "office": office or re.search(r'name="office" value="([^"]*)"', html).group(1),
            "plan_id": plan_id or re.search(r'name="plan_id" value="([^"]*)"', html).group(1)}
    return client.post("/applications/tables/new", data=data)


def upload_scan_and_send(client, table_id):
    html = page(client, f"/applications/tables/{table_id}")
    token = csrf_in(html)
    response = client.post(f"/applications/tables/{table_id}/scan",
                           data={"csrf_token": token, "scan": png_file()},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return client.post(f"/applications/tables/{table_id}/send", data={"csrf_token": token})


# --- the happy paths ---------------------------------------------------------------------------


def test_a_city_application_goes_from_submission_to_training(app):
    plan = open_plan()
    unit = create_org("成都测试推荐单位", "成都市")
    create_quota(plan, unit, base=2)
    application = create_application(plan, unit=unit)
    applicant = client_as(app, applicant_user(application))
    clerk = client_as(app, create_user("clerk", ["unit"], org=unit))
    chengdu = client_as(app, create_user("chengdu", ["city"], city="成都市",
                                         display_name="成都市职鉴中心 张经办"))
    sheng = client_as(app, create_user("sheng", ["province"]))

    assert act(applicant, application.id, "submit").status_code == 302
    assert fresh(application).stage == Stage.UNIT_REVIEW

    queue = page(clerk, "/applications/")
    assert "申请人甲" in queue and "待申报单位推荐" in queue
    html = page(clerk, f"/applications/{application.id}")
    assert "本单位名额 2 人，已推荐 0 人，还可推荐 2 人" in html
    response = act(clerk, application.id, "recommend", comment="同意推荐，该同志业务精湛。")
    assert response.status_code == 302
    flashed = page(clerk, response.headers["Location"])
    assert "已推荐" in flashed and "现由成都市职业技能鉴定指导中心办理" in flashed
    assert fresh(application).unit_opinion == "同意推荐，该同志业务精湛。"

    assert "申请人甲" in page(chengdu, "/applications/?stage=initial_review")
    assert act(chengdu, application.id, "approve").status_code == 302
    assert fresh(application).stage == Stage.INITIAL_APPROVED
    queue = page(chengdu, "/applications/")
    assert "初审通过，待报送省职鉴中心" in queue

    response = make_table(chengdu, [application.id])
    assert response.status_code == 302, response.get_data(as_text=True)
    table = db.session.scalars(select(SummaryTable)).one()
    assert table.filled_by == "成都市职业技能鉴定指导中心"
    assert response.headers["Location"].endswith(f"/applications/tables/{table.id}")
    assert upload_scan_and_send(chengdu, table.id).status_code == 302
    assert fresh(application).stage == Stage.PROVINCE_REVIEW

    assert "申请人甲" in page(sheng, "/applications/")
    assert table.number in page(sheng, "/applications/tables")
    assert act(sheng, application.id, "approve").status_code == 302
    application = fresh(application)
    assert application.stage == Stage.TRAINING and application.summary_table_id == table.id

    timeline = page(applicant, f"/applications/{application.id}")
    for words in ("提交", "推荐", "同意推荐，该同志业务精湛。", "随汇总表报送省职鉴中心",
                  f"汇总表 {table.number}", "复审通过，待参加培训", "省职鉴中心",
                  "现由 <strong>四川省职业技能鉴定指导中心</strong>"):
        assert words in timeline, words
    assert [s.action for s in application.steps] == [
        "submit", "recommend", "approve", "send_to_province", "approve"]
    assert audit_actions() == ["application.submit", "application.recommend",
                               "application.approve", "application.send_to_province",
                               "application.approve"]
    assert audit_actions("summary_table") == ["summary_table.create", "summary_table.scan",
                                              "summary_table.send"]


def test_a_provincial_direct_application_is_reviewed_and_sent_by_its_institution(app):
    plan = open_plan()
    institution = create_org("四川省直测试评价机构", "四川省", provincial_direct=True,
                             contact_phone="028-12345678")
    create_quota(plan, institution, base=5)
    application = create_application(plan, city="四川省", unit=institution)
    applicant = client_as(app, applicant_user(application))
    clerk = client_as(app, create_user("shengzhi", ["unit"], org=institution))
    chengdu = client_as(app, create_user("chengdu", ["city"], city="成都市"))
    sheng = client_as(app, create_user("sheng", ["province"]))

    assert act(applicant, application.id, "submit").status_code == 302
    assert act(clerk, application.id, "recommend", comment="同意推荐").status_code == 302
    assert chengdu.get(f"/applications/{application.id}").status_code == 404
    html = page(clerk, f"/applications/{application.id}")
    assert "现由 <strong>四川省直测试评价机构</strong>" in html and "初审单位" in html
    assert act(clerk, application.id, "approve").status_code == 302
    assert fresh(application).stage == Stage.INITIAL_APPROVED

    form = page(clerk, "/applications/tables/new")
    assert 'value="四川省直测试评价机构"' in form and 'value="028-12345678"' in form
    assert make_table(clerk, [application.id]).status_code == 302
    table = db.session.scalars(select(SummaryTable)).one()
    assert table.reviewer_org_id == institution.id and table.number.startswith("HZ")
    assert upload_scan_and_send(clerk, table.id).status_code == 302
    assert fresh(application).stage == Stage.PROVINCE_REVIEW

    html = page(sheng, f"/applications/tables/{table.id}")
    assert "全部通过（1 份）" in html
    response = sheng.post(f"/applications/tables/{table.id}/approve",
                          data={"csrf_token": csrf_in(html)})
    assert response.status_code == 302
    assert fresh(application).stage == Stage.TRAINING
    assert [s.capacity for s in fresh(application).steps] == [
        "applicant", "unit", "initial_reviewer", "initial_reviewer", "province"]


# --- returns and resubmission ---------------------------------------------------------------


def test_a_returned_application_is_corrected_resubmitted_and_approved(app):
    plan = open_plan()
    application = create_application(plan, stage="initial_review")
    applicant = client_as(app, applicant_user(application))
    chengdu = client_as(app, create_user("chengdu", ["city"], city="成都市"))

    response = act(chengdu, application.id, "return", reasons=[CANNED_REASONS[2]],
                   comment="请上传近期白底证件照")
    assert response.status_code == 302
    application = fresh(application)
    assert application.stage == Stage.RETURNED_BY_REVIEWER
    assert application.steps[-1].comment == f"{CANNED_REASONS[2]}；请上传近期白底证件照"
    html = page(applicant, f"/applications/{application.id}")
    assert "请上传近期白底证件照" in html and "现由 <strong>申请人甲</strong>" in html

    application.photo_id = an_upload().id
    db.session.commit()
    assert act(applicant, application.id, "submit").status_code == 302
    assert fresh(application).stage == Stage.INITIAL_REVIEW
    assert act(chengdu, application.id, "approve").status_code == 302
    assert [s.action for s in fresh(application).steps] == ["return", "submit", "approve"]


def test_the_province_returns_one_application_which_leaves_its_table_for_a_later_one(app):
    plan = open_plan()
    unit = create_org("成都测试推荐单位", "成都市")
    first = create_application(plan, unit=unit, stage="initial_approved", seq=51)
    second = create_application(plan, unit=unit, stage="initial_approved", seq=53,
                                person=create_person("申请人乙", seq=53))
    chengdu = client_as(app, create_user("chengdu", ["city"], city="成都市"))
    sheng = client_as(app, create_user("sheng", ["province"]))
    assert make_table(chengdu, [first.id, second.id]).status_code == 302
    table = db.session.scalars(select(SummaryTable)).one()
    assert upload_scan_and_send(chengdu, table.id).status_code == 302

    assert act(sheng, first.id, "return", comment="身份证号码与复印件不符").status_code == 302
    first = fresh(first)
    assert first.stage == Stage.INITIAL_REVIEW and first.summary_table_id is None
    assert fresh(second).summary_table_id == table.id
    assert "身份证号码与复印件不符" in page(chengdu, f"/applications/{first.id}")
    assert "申请人甲" in page(chengdu, "/applications/?stage=initial_review")

    assert act(chengdu, first.id, "approve").status_code == 302
    assert make_table(chengdu, [first.id]).status_code == 302
    later = db.session.scalars(select(SummaryTable).where(SummaryTable.id != table.id)).one()
    assert fresh(first).summary_table_id == later.id
    assert later.number.endswith("-002") and table.number.endswith("-001")


# --- scope ---------------------------------------------------------------------------------------


def test_each_office_sees_only_its_own_applications(app):
    plan = open_plan()
    chengdu_app = create_application(plan, stage="initial_review", seq=51)
    mianyang_unit = create_org("绵阳测试推荐单位", "绵阳市")
    mianyang_app = create_application(plan, city="绵阳市", unit=mianyang_unit,
                                      stage="initial_review", seq=53,
                                      person=create_person("绵阳人", "绵阳市", seq=53))
    direct = create_org("四川省直测试评价机构", "四川省", provincial_direct=True)
    other_direct = create_org("另一省直评价机构", "四川省", provincial_direct=True)
    direct_app = create_application(plan, city="四川省", unit=direct, stage="initial_review",
                                    seq=55, person=create_person("省直人", seq=55))
    other_app = create_application(plan, city="四川省", unit=other_direct,
                                   stage="initial_review", seq=57,
                                   person=create_person("别家人", seq=57))
    draft = create_application(plan, stage="draft", seq=59, unit=chengdu_app.unit,
                               person=create_person("草稿人", seq=59))
    chengdu = client_as(app, create_user("chengdu", ["city"], city="成都市"))
    clerk = client_as(app, create_user("shengzhi", ["unit"], org=direct))

    queue = page(chengdu, "/applications/")
    assert "申请人甲" in queue
    assert not {"绵阳人", "省直人", "别家人", "草稿人"} & set(re.findall(r">([^<>]+)</a>", queue))
    for other in (mianyang_app, direct_app, other_app, draft):
        assert chengdu.get(f"/applications/{other.id}").status_code == 404
    assert chengdu.get(f"/applications/{chengdu_app.id}").status_code == 200

    queue = page(clerk, "/applications/")
    assert "省直人" in queue and "别家人" not in queue and "申请人甲" not in queue
    for other in (chengdu_app, mianyang_app, other_app):
        assert clerk.get(f"/applications/{other.id}").status_code == 404
    assert clerk.get(f"/applications/{direct_app.id}").status_code == 200


@pytest.mark.parametrize("role", ["applicant", "supervisor", "site_lead", "admin"])
def test_the_queue_is_for_units_cities_and_the_province(client, login_as, role):
    login_as(role)
    assert client.get("/applications/").status_code == 403


def test_the_queue_filters_by_plan_and_stage_oldest_first(app):
    plan = open_plan()
    other_plan = open_plan()
    other_plan.title = "另一期培训"
    db.session.commit()
    unit = create_org("成都测试推荐单位", "成都市")
    older = create_application(plan, unit=unit, stage="initial_review", seq=51)
    newer = create_application(plan, unit=unit, stage="initial_approved", seq=53,
                               person=create_person("后到者", seq=53))
    create_application(other_plan, unit=unit, stage="initial_review", seq=55,
                       person=create_person("另一期人", seq=55))
    from datetime import datetime
    older.stage_since, newer.stage_since = datetime(2026, 1, 5, 2), datetime(2026, 2, 2, 2)
    db.session.commit()
    chengdu = client_as(app, create_user("chengdu", ["city"], city="成都市"))

    html = page(chengdu, "/applications/")
    assert html.index("申请人甲") < html.index("后到者") < html.index("另一期人")
    html = page(chengdu, f"/applications/?plan={plan.id}")
    assert "另一期人" not in html.split('id="queue-table"')[1]
    partial = chengdu.get(f"/applications/?plan={plan.id}&stage=initial_approved",
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert partial.startswith('<div id="queue-table">')
    assert "后到者" in partial and "申请人甲" not in partial


# --- the application page -------------------------------------------------------------------


def test_the_page_masks_the_id_number_for_those_who_do_not_review_it(app):
    plan = open_plan()
    application = create_application(plan, stage="initial_review")
    number = application.person.id_number
    chengdu = client_as(app, create_user("chengdu", ["city"], city="成都市"))
    admin = client_as(app, create_user("root", ["admin"]))
    assert number in page(chengdu, f"/applications/{application.id}")
    html = page(admin, f"/applications/{application.id}")
    assert number not in html and number[:6] + "********" + number[-4:] in html
    assert f'action="/applications/{application.id}/act"' not in html


def test_the_page_lists_the_materials_and_links_them_for_those_who_may_see_them(app):
    plan = open_plan()
    application = create_application(plan, stage="initial_review")
    chengdu = client_as(app, create_user("chengdu", ["city"], city="成都市"))
    mianyang = client_as(app, create_user("mianyang", ["city"], city="绵阳市"))
    html = page(chengdu, f"/applications/{application.id}")
    for label in ("身份证复印件", "职业资格证书或职称证书复印件", "照片", "签字盖章的申报表扫描件"):
        assert label in html
    link = f"/files/{application.id_copy_id}"
    assert link in html
    with chengdu.get(link) as response:
        assert response.status_code == 200
    assert mianyang.get(link).status_code == 404


def test_holding_time_is_counted_in_working_days(app):
    from datetime import datetime, timedelta

    from portal.timeutil import local_today
    from portal.workdays import WorkdayCalendar

    plan = open_plan()
    application = create_application(plan, stage="initial_review")
    application.stage_since = datetime.combine(local_today() - timedelta(days=14),
                                               datetime.min.time())
    db.session.commit()
    chengdu = client_as(app, create_user("chengdu", ["city"], city="成都市"))
    calendar = WorkdayCalendar()
    since = (application.stage_since + timedelta(hours=8)).date()
    expected = sum(calendar.is_workday(since + timedelta(days=n)) for n in range(1, 15))
    html = page(chengdu, f"/applications/{application.id}")
    assert re.search(rf"已等待\s*<strong[^>]*>{expected}</strong> 个工作日", html)


def test_a_move_from_a_stale_page_is_refused(app):
    plan = open_plan()
    application = create_application(plan, stage="initial_review")
    reviewer = create_user("chengdu", ["city"], city="成都市")
    chengdu = client_as(app, reviewer)
    html = page(chengdu, f"/applications/{application.id}")
    from portal.applications.operations import apply_action
    apply_action(application, "approve", user=reviewer)
    db.session.commit()
    response = chengdu.post(f"/applications/{application.id}/act", data={
        "csrf_token": csrf_in(html), "action": "return", "comment": "请补充材料",
        "stage": "initial_review"})
    assert response.status_code == 422
    assert "申报状态已变化（现为“初审通过，待报送省职鉴中心”）" in response.get_data(as_text=True)
    assert fresh(application).stage == Stage.INITIAL_APPROVED


# --- illegal moves ------------------------------------------------------------------------------


def _people(application):
    return {
        "applicant": applicant_user(application),
        "unit": create_user("clerk", ["unit"], org=application.unit),
        "city": create_user("chengdu", ["city"], city="成都市"),
        "province": create_user("sheng", ["province"]),
    }


@pytest.mark.parametrize("role, stage, action, words", [
    ("applicant", "unit_review", "recommend", "只能由申报单位操作"),
    ("applicant", "initial_review", "approve", "只能由初审单位操作"),
    ("applicant", "initial_review", "submit", "不能“提交”"),
    ("unit", "initial_review", "approve", "只能由初审单位操作"),
    ("unit", "province_review", "return", "只能由省职鉴中心操作"),
    ("unit", "returned_by_unit", "submit", "只能由申报人操作"),
    ("city", "unit_review", "recommend", "只能由申报单位操作"),
    ("city", "initial_approved", "send_to_province", "须通过汇总表办理"),
    ("city", "province_review", "approve", "只能由省职鉴中心操作"),
    ("city", "certified", "return", "不能“退回修改”"),
    ("province", "initial_review", "approve", "只能由初审单位操作"),
    ("province", "training", "pass", "考核管理"),
    ("province", "training", "attend", "培训管理"),
    ("province", "rejected", "approve", "不能“通过”"),
])
def test_an_illegal_move_is_refused_with_a_chinese_message_and_changes_nothing(
        app, role, stage, action, words):
    plan = open_plan()
    application = create_application(plan, stage=stage)
    create_quota(plan, application.unit)
    client = client_as(app, _people(application)[role])
    response = act(client, application.id, action, comment="理由", stage=stage)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert words in html and "flash-success" not in html
    assert fresh(application).stage == stage
    assert db.session.scalar(select(func.count()).select_from(ApplicationStep)) == 0
    assert audit_actions() == []


def test_someone_who_may_see_but_not_act_is_forbidden(app):
    plan = open_plan()
    application = create_application(plan, stage="initial_review")
    admin = client_as(app, create_user("root", ["admin"]))
    assert act(admin, application.id, "approve").status_code == 403
    assert fresh(application).stage == Stage.INITIAL_REVIEW


@pytest.mark.parametrize("role, stage, action", [
    ("unit", "unit_review", "decline"),
    ("unit", "unit_review", "return"),
    ("city", "initial_review", "return"),
    ("city", "initial_review", "reject"),
    ("province", "province_review", "return"),
])
def test_return_decline_and_reject_need_a_reason(app, role, stage, action):
    plan = open_plan()
    application = create_application(plan, stage=stage)
    client = client_as(app, _people(application)[role])
    response = act(client, application.id, action, comment="   ")
    assert response.status_code == 422
    assert "须填写意见或理由" in response.get_data(as_text=True)
    assert fresh(application).stage == stage
    response = act(client, application.id, action, reasons=[CANNED_REASONS[5]])
    assert response.status_code == 302
    assert fresh(application).steps[-1].comment == CANNED_REASONS[5]


# --- the unit quota ---------------------------------------------------------------------------


def test_a_unit_cannot_recommend_beyond_its_quota(app):
    plan = open_plan()
    unit = create_org("成都测试推荐单位", "成都市")
    create_quota(plan, unit, base=3, absences=1)
    create_application(plan, unit=unit, stage="initial_review", seq=51)
    create_application(plan, unit=unit, stage="training", seq=53,
                       person=create_person("已培训", seq=53))
    create_application(plan, unit=unit, stage="rejected", seq=55,
                       person=create_person("被驳回", seq=55))  # gave its place back
    waiting = create_application(plan, unit=unit, stage="unit_review", seq=57,
                                 person=create_person("排队人", seq=57))
    clerk = client_as(app, create_user("clerk", ["unit"], org=unit))

    html = page(clerk, f"/applications/{waiting.id}")
    assert "quota-full" in html and "名额已用完" in html
    response = act(clerk, waiting.id, "recommend", comment="同意推荐")
    assert response.status_code == 422
    message = response.get_data(as_text=True)
    assert "培训名额为 2 人（上期培训无故缺席核减 1 人），已推荐 2 人，名额已用完" in message
    assert fresh(waiting).stage == Stage.UNIT_REVIEW and fresh(waiting).unit_opinion == ""
    assert audit_actions() == []
    # declining or returning is still possible
    assert act(clerk, waiting.id, "decline", comment="名额已满").status_code == 302


def test_a_unit_without_a_quota_line_has_no_places(app):
    plan = open_plan()
    application = create_application(plan, stage="unit_review")
    clerk = client_as(app, create_user("clerk", ["unit"], org=application.unit))
    response = act(clerk, application.id, "recommend", comment="同意推荐")
    assert response.status_code == 422
    assert "没有培训名额" in response.get_data(as_text=True)


def test_recommending_needs_an_opinion(app):
    plan = open_plan()
    application = create_application(plan, stage="unit_review")
    create_quota(plan, application.unit)
    clerk = client_as(app, create_user("clerk", ["unit"], org=application.unit))
    response = act(clerk, application.id, "recommend", comment="")
    assert response.status_code == 422
    assert "推荐须填写推荐单位意见" in response.get_data(as_text=True)


# --- CSRF ------------------------------------------------------------------------------------------


def test_every_post_needs_the_csrf_token(app):
    plan = open_plan()
    application = create_application(plan, stage="initial_approved")
    reviewer = create_user("chengdu", ["city"], city="成都市")
    sheng = create_user("sheng", ["province"])
    table = SummaryTable(plan=plan, region_id=application.region_id, number="HZ-TEST-1",
                         filled_by="成都市职业技能鉴定指导中心", contact_name="张",
                         contact_phone="028-1", scan_id=an_upload().id)
    db.session.add(table)
    db.session.flush()
    application.summary_table_id = table.id
    db.session.commit()
    chengdu, province = client_as(app, reviewer), client_as(app, sheng)
    posts = [
        (chengdu, f"/applications/{application.id}/act", {"action": "return", "comment": "x"}),
        (chengdu, "/applications/tables/new", {"application_ids": [str(application.id)],
                                               "plan_id": str(plan.id), "filled_by": "x",
                                               "contact_name": "x", "contact_phone": "02812345"}),
        (chengdu, f"/applications/tables/{table.id}/scan", {"scan": png_file()}),
        (chengdu, f"/applications/tables/{table.id}/delete", {}),
        (chengdu, f"/applications/tables/{table.id}/send", {}),
    ]
    for client, path, data in posts:
        response = client.post(path, data=data, content_type="multipart/form-data")
        assert response.status_code == 400, path
        assert "页面已过期" in response.get_data(as_text=True)
    assert fresh(application).stage == Stage.INITIAL_APPROVED
    table.sent_at = db.func.now()
    application.stage = Stage.PROVINCE_REVIEW.value
    db.session.commit()
    for path, data in ((f"/applications/tables/{table.id}/approve", {}),
                       (f"/applications/tables/{table.id}/return",
                        {"application_ids": [str(application.id)], "comment": "x"})):
        response = province.post(path, data=data)
        assert response.status_code == 400, path
    assert fresh(application).stage == Stage.PROVINCE_REVIEW
    assert db.session.scalar(select(func.count()).select_from(ApplicationStep)) == 0
    assert db.session.scalar(select(func.count()).select_from(SummaryTable)) == 1
