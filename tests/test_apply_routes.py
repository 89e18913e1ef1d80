"""我的申报: an applicant applies under an open plan with live eligibility, one application per
plan and level, uploads the materials, downloads Attachment 1; closed windows, submitted
applications, ineligible and banned applicants are refused with the reasons shown."""

import io
from datetime import date, datetime, timedelta

import pytest
from application_factories import create_plan
from factories import (
    create_assignment,
    create_batch,
    create_card,
    create_org,
    create_person,
    create_user,
    get_csrf,
    login,
    occupation,
    region,
)
from pypdf import PdfReader
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from portal.applications.models import Application, ApplicationStep
from portal.applications.operations import apply_action
from portal.applications.rules import Action, IllegalTransition, Stage
from portal.audit.models import AuditEvent
from portal.cards.operations import sweep
from portal.cards.queries import active_ban
from portal.extensions import db
from portal.people.models import Person
from portal.sheets.models import EvaluationSheet
from portal.timeutil import cn_date, local_today
from portal.uploads.models import Upload

TODAY = local_today()


def open_plan(**kw):
    kw.setdefault("opens_on", TODAY - timedelta(days=10))
    kw.setdefault("closes_on", TODAY + timedelta(days=20))
    return create_plan(TODAY.year, **kw)


def closed_plan(**kw):
    return create_plan(TODAY.year - 1, opens_on=TODAY - timedelta(days=60),
                       closes_on=TODAY - timedelta(days=1), **kw)


def chengdu_unit():
    return create_org("成都测试推荐单位", "成都市")


def direct_unit():
    return create_org("四川省直测试评价机构", "四川省", provincial_direct=True)


def form_data(unit, **over):
    data = {
        "level": "考评员", "occupation_id": occupation("电工").id, "qualification_level": "3",
        "title_level": "", "qualification_text": "电工 三级/高级工 证书编号 0123456789",
        "region_id": region("成都市").id, "unit_id": unit.id,
        "work_summary": "从事电工职业技能培训与考核工作十二年，参与编写培训教材。",
    }
    data.update(over)
    return data


@pytest.fixture
def me(login_as):
    """The logged-in applicant (申报人甲 of 成都市)."""
    return login_as("applicant")


def my_person(user) -> Person:
    return db.session.get(Person, user.person_id)


def create(client, csrf, plan, unit, **over):
    data = form_data(unit, csrf_token=csrf("/apply/"), **over)
    return client.post(f"/apply/plans/{plan.id}/new", data=data)


def applications() -> list[Application]:
    return list(db.session.scalars(select(Application).order_by(Application.id)))


def events(action) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def png_bytes(size=(60, 80)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 210, 230)).save(out, "PNG")
    return out.getvalue()


def pdf_bytes() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 2000


def upload(client, csrf, application, kind, data, name, *, htmx=False, token=True):
    fields = {f"{kind}-file": FileStorage(io.BytesIO(data), name)}
    if token:
        fields[f"{kind}-csrf_token"] = csrf(f"/apply/{application.id}/edit")
    stream, _, boundary = stream_encode_multipart(fields, use_tempfile=False)
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/apply/{application.id}/uploads/{kind}", data=stream.getvalue(),
                       content_type=f"multipart/form-data; boundary={boundary}",
                       headers=headers)


def draft(client, csrf, plan=None, unit=None, **over) -> Application:
    plan = plan or open_plan()
    unit = unit or chengdu_unit()
    response = create(client, csrf, plan, unit, **over)
    assert response.status_code == 302, response.get_data(as_text=True)
    return applications()[-1]


def complete(client, csrf, application):
    for kind in ("id_copy", "certificate_copy", "photo", "signed_form"):
        assert upload(client, csrf, application, kind, png_bytes(), f"{kind}.png").status_code == 302
    if application.level == "高级考评员":
        assert upload(client, csrf, application, "card_copy", png_bytes(),
                      "card.png").status_code == 302
    return db.session.get(Application, application.id)


# --- 我的申报 ---------------------------------------------------------------------------------


def test_my_applications_lists_open_plans_and_my_applications_with_their_stage(client, me,
                                                                               csrf):
    plan = open_plan()
    create_plan(TODAY.year, opens_on=TODAY - timedelta(days=10),
                closes_on=TODAY + timedelta(days=20), published=False).title = "未发布计划"
    old = closed_plan()
    old.title = "去年的计划"
    db.session.commit()
    page = client.get("/apply/").get_data(as_text=True)
    assert ">我的申报</a>" in page  # the navigation entry
    assert f"/apply/plans/{plan.id}/new" in page and "去年的计划" not in page
    assert "未发布计划" not in page and "您还没有申报记录" in page

    application = draft(client, csrf, plan)
    page = client.get("/apply/").get_data(as_text=True)
    assert "草稿（未提交）" in page and "电工" in page and "成都测试推荐单位" in page
    assert f'href="/applications/{application.id}"' in page  # the detail page
    assert f"/apply/{application.id}/edit" in page and f"/apply/{application.id}/attachment1.pdf" in page


def test_other_roles_have_no_applicant_pages(client, login_as):
    login_as("city")
    assert client.get("/apply/").status_code == 403
    assert ">我的申报</a>" not in client.get("/").get_data(as_text=True)


# --- the form ---------------------------------------------------------------------------------


def test_applicant_creates_an_application_saved_as_a_draft_and_audited(client, me, csrf):
    plan, unit = open_plan(), chengdu_unit()
    page = client.get(f"/apply/plans/{plan.id}/new").get_data(as_text=True)
    assert "新建申报" in page and plan.title in page and "成都测试推荐单位" in page
    assert "选择申报级别后" in page  # the eligibility panel waits for a level
    response = create(client, csrf, plan, unit)
    [application] = applications()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/apply/{application.id}/edit"
    assert (application.stage, application.level, application.occupation.name) == (
        "draft", "考评员", "电工")
    assert application.region.name == "成都市" and application.unit_id == unit.id
    assert application.qualification_level == 3 and application.title_level is None
    assert application.person_id == me.person_id and application.steps == []
    [event] = events("application.save")
    assert event.actor_id == me.id and event.entity_id == str(application.id)
    assert event.before is None and event.after["plan_id"] == plan.id
    assert event.after["level"] == "考评员"

    page = client.get(f"/apply/{application.id}/edit").get_data(as_text=True)
    assert "申报信息已保存" in page and "符合“考评员”申报条件" in page
    assert "请上传身份证复印件" in page and "请上传签字盖章的申报表扫描件" in page


def test_an_edit_is_audited_with_before_and_after(client, me, csrf):
    application = draft(client, csrf)
    response = client.post(f"/apply/{application.id}/edit", data=form_data(
        application.unit, csrf_token=csrf(f"/apply/{application.id}/edit"),
        qualification_level="2", work_summary="修改后的工作总结。"))
    assert response.status_code == 302
    application = db.session.get(Application, application.id)
    assert application.qualification_level == 2
    [_, event] = events("application.save")
    assert event.before == {"qualification_level": 3,
                            "work_summary": "从事电工职业技能培训与考核工作十二年，参与编写培训教材。"}
    assert event.after == {"qualification_level": 2, "work_summary": "修改后的工作总结。"}


@pytest.mark.parametrize(("over", "field", "message"), [
    ({"level": ""}, "level", "请选择申报级别"),
    ({"occupation_id": ""}, "occupation_id", "请选择申报考评职业（工种）"),
    ({"unit_id": ""}, "unit_id", "请选择推荐单位"),
    ({"work_summary": "  "}, "work_summary", "请填写工作总结"),
    ({"work_summary": "工" * 1001}, "work_summary", "不能超过 1000 个字符"),
    ({"qualification_text": ""}, "qualification_text", "请填写所持证书的名称及编号"),
    ({"qualification_level": "9"}, "qualification_level", "请从列表中选择"),
    ({"level": "技师"}, "level", "请从列表中选择"),
])
def test_form_errors_are_shown_next_to_the_fields(client, me, csrf, over, field, message):
    plan, unit = open_plan(), chengdu_unit()
    response = create(client, csrf, plan, unit, **over)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'<p class="error" id="{field}-err">{message}' in page
    assert applications() == [] and events("application.save") == []


def test_occupations_and_levels_come_from_the_plan(client, me, csrf):
    plan = open_plan(levels="考评员", occupations=("电工",))
    unit = chengdu_unit()
    page = client.get(f"/apply/plans/{plan.id}/new").get_data(as_text=True)
    assert "焊工" not in page and ">高级考评员</option>" not in page
    assert '<option selected value="考评员">' in page  # the only level is chosen already
    assert "“考评员”申报条件" in page  # so the eligibility panel speaks at once
    response = create(client, csrf, plan, unit, occupation_id=occupation("焊工").id)
    assert response.status_code == 422 and "请从列表中选择" in response.get_data(as_text=True)
    response = create(client, csrf, plan, unit, level="高级考评员")
    assert response.status_code == 422 and applications() == []


def test_a_city_application_is_recommended_by_a_unit_of_that_city(client, me, csrf):
    plan, unit = open_plan(), chengdu_unit()
    mianyang = create_org("绵阳测试单位", "绵阳市")
    direct = direct_unit()
    page = client.get(f"/apply/plans/{plan.id}/new").get_data(as_text=True)
    assert "绵阳测试单位" not in page and "四川省（省直申报）" in page
    response = create(client, csrf, plan, unit, unit_id=mianyang.id)
    assert response.status_code == 422
    assert '<p class="error" id="unit_id-err">请从列表中选择' in response.get_data(as_text=True)
    # choosing 四川省 offers only the provincial-direct institutions (htmx swaps the field)
    partial = client.get(f"/apply/plans/{plan.id}/units?region_id={region('四川省').id}",
                         headers={"HX-Request": "true"}).get_data(as_text=True)
    assert partial.startswith('<div id="unit-field">') and "四川省直测试评价机构" in partial
    assert "成都测试推荐单位" not in partial and "<html" not in partial
    response = create(client, csrf, plan, unit, region_id=region("四川省").id)
    assert response.status_code == 422 and applications() == []
    assert create(client, csrf, plan, unit, region_id=region("四川省").id,
                  unit_id=direct.id).status_code == 302
    [application] = applications()
    assert application.region.is_province and application.unit_id == direct.id


def test_another_city_than_ones_own_cannot_be_chosen(client, me, csrf):
    plan, unit = open_plan(), chengdu_unit()
    response = create(client, csrf, plan, unit, region_id=region("绵阳市").id)
    assert response.status_code == 422 and applications() == []


def test_one_application_per_person_plan_and_level(client, me, csrf):
    plan, unit = open_plan(), chengdu_unit()
    first = draft(client, csrf, plan, unit)
    response = create(client, csrf, plan, unit)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "您已在本期培训计划中申报了“考评员”（草稿（未提交））" in page
    assert "同一计划同一级别只能申报一次" in page and len(applications()) == 1
    # the other level is another application; switching the first to it is refused
    assert create(client, csrf, plan, unit, level="高级考评员", qualification_level="1"
                  ).status_code == 302
    response = client.post(f"/apply/{first.id}/edit", data=form_data(
        unit, level="高级考评员", csrf_token=csrf(f"/apply/{first.id}/edit")))
    assert response.status_code == 422 and "只能申报一次" in response.get_data(as_text=True)
    # after withdrawing, applying again is allowed
    apply_action(db.session.get(Application, first.id), Action.WITHDRAW, user=me)
    db.session.commit()
    assert create(client, csrf, plan, unit).status_code == 302
    assert len(applications()) == 3


def test_another_plan_may_have_its_own_application(client, me, csrf):
    unit = chengdu_unit()
    draft(client, csrf, open_plan(), unit)
    second = open_plan()
    assert create(client, csrf, second, unit).status_code == 302
    assert len(applications()) == 2


# --- windows and stages -----------------------------------------------------------------------


def test_a_closed_window_refuses_new_applications(client, me, csrf):
    plan, unit = closed_plan(), chengdu_unit()
    page = client.get(f"/apply/plans/{plan.id}/new").get_data(as_text=True)
    assert "报名时间已结束（或尚未开始），不能新建或修改申报" in page
    assert 'type="submit" class="primary">保存' not in page and "<fieldset class=\"bare\" disabled>" in page
    response = create(client, csrf, plan, unit)
    assert response.status_code == 302 and response.headers["Location"] == "/apply/"
    assert "报名时间已结束" in client.get("/apply/").get_data(as_text=True)
    assert applications() == [] and events("application.save") == []


def test_a_plan_not_yet_open_refuses_too_and_an_unpublished_plan_is_not_found(client, me, csrf):
    unit = chengdu_unit()
    later = create_plan(TODAY.year, opens_on=TODAY + timedelta(days=3),
                        closes_on=TODAY + timedelta(days=30))
    assert create(client, csrf, later, unit).status_code == 302 and applications() == []
    hidden = open_plan(published=False)
    assert client.get(f"/apply/plans/{hidden.id}/new").status_code == 404
    assert create(client, csrf, hidden, unit).status_code == 404


def test_after_the_window_closes_a_draft_cannot_be_edited(client, me, csrf):
    application = draft(client, csrf)
    application.plan.closes_on = TODAY - timedelta(days=1)
    db.session.commit()
    url = f"/apply/{application.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert "报名时间已结束" in page and 'class="upload-form' not in page
    response = client.post(url, data=form_data(application.unit, csrf_token=csrf(url),
                                               qualification_level="1"))
    assert response.status_code == 302
    assert db.session.get(Application, application.id).qualification_level == 3
    assert upload(client, csrf, application, "id_copy", png_bytes(), "id.png").status_code == 422
    assert db.session.get(Application, application.id).id_copy_id is None
    assert len(events("application.save")) == 1


def test_a_submitted_application_cannot_be_edited_a_returned_one_can(client, me, csrf):
    application = complete(client, csrf, draft(client, csrf))
    apply_action(application, Action.SUBMIT, user=me)
    db.session.commit()
    url = f"/apply/{application.id}/edit"
    response = client.post(url, data=form_data(application.unit, csrf_token=csrf(url),
                                               qualification_level="1"), follow_redirects=True)
    assert "申报已提交（待申报单位推荐），审核期间不能修改" in response.get_data(as_text=True)
    assert db.session.get(Application, application.id).qualification_level == 3
    assert f"/apply/{application.id}/edit" not in client.get("/apply/").get_data(as_text=True)

    clerk = create_user("clerk", ["unit"], org=application.unit, display_name="单位经办")
    apply_action(db.session.get(Application, application.id), Action.RETURN, user=clerk,
                 comment="职称证书复印件不清晰，请重新上传")
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "退回意见" in page and "职称证书复印件不清晰，请重新上传" in page and "单位经办" in page
    assert "申报单位退回修改" in page
    response = client.post(url, data=form_data(application.unit, csrf_token=csrf(url),
                                               qualification_level="1"))
    assert response.status_code == 302
    assert db.session.get(Application, application.id).qualification_level == 1


def client_as(app, username):
    """A second browser, logged in as ``username``."""
    other = app.test_client()
    login(other, username)
    return other


def test_someone_elses_application_is_not_found(app, client, me, csrf):
    application = draft(client, csrf)
    create_user("other", ["applicant"], person=create_person("乙申报", seq=901))
    other = client_as(app, "other")
    assert other.get(f"/apply/{application.id}/edit").status_code == 404
    assert other.get(f"/apply/{application.id}/problems").status_code == 404
    assert other.get(f"/apply/{application.id}/attachment1.pdf").status_code == 404
    token = get_csrf(other, "/apply/")
    assert upload(other, lambda path: token, application, "photo", png_bytes(),
                  "x.png").status_code == 404
    assert db.session.get(Application, application.id).photo_id is None


def test_a_unit_clerk_sees_the_application_but_cannot_edit_it(app, client, me, csrf):
    application = complete(client, csrf, draft(client, csrf))
    apply_action(application, Action.SUBMIT, user=me)
    db.session.commit()
    create_user("clerk", ["unit", "applicant"], org=application.unit,
                person=create_person("经办人", seq=902))
    clerk = client_as(app, "clerk")
    assert clerk.get(f"/apply/{application.id}/edit").status_code == 403
    assert clerk.get(f"/apply/{application.id}/attachment1.pdf").status_code == 200


# --- live eligibility ---------------------------------------------------------------------------


def eligibility(client, plan, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = client.get(f"/apply/plans/{plan.id}/eligibility?{query}",
                          headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_eligibility_is_explained_as_the_form_changes(client, me):
    plan = open_plan()
    electrician = occupation("电工").id
    html = eligibility(client, plan, level="考评员", occupation_id=electrician,
                       qualification_level=3)
    assert html.startswith('<section class="card eligibility" id="eligibility"')
    assert "<html" not in html and "符合“考评员”申报条件" in html
    assert "具有三级/高级工及以上国家职业资格" in html and "未被取消申报资格" in html
    html = eligibility(client, plan, level="考评员", occupation_id=electrician,
                       qualification_level=4, title_level=1)
    assert "暂不符合“考评员”申报条件" in html
    assert "不具有三级/高级工及以上国家职业资格，也不具有中级及以上专业技术职称" in html
    assert "现有：国家职业资格四级/中级工，专业技术职称初级" in html
    assert "不符合条件的申报可以先保存，但不能提交" in html
    html = eligibility(client, plan, level="考评员", title_level=2)
    assert "符合“考评员”申报条件" in html  # a 中级 title suffices
    assert "选择申报级别后" in eligibility(client, plan, level="")
    assert "选择申报级别后" in eligibility(client, plan, level="乱填", qualification_level="x")


def test_senior_eligibility_shows_the_card_and_the_first_sheet_behind_it(client, me):
    plan = open_plan()
    person = my_person(me)
    electrician = occupation("电工").id
    html = eligibility(client, plan, level="高级考评员", occupation_id=electrician,
                       qualification_level=1)
    assert "暂不符合“高级考评员”申报条件" in html
    assert "未持有有效的考评员证卡（申报高级考评员须已取得考评员资格）" in html
    assert "尚无已完成的考评工作记录" in html and "暂无已完成的评价记录表" in html
    assert "未找到本职业（工种）有效的考评员证卡" in html

    issued = TODAY - timedelta(days=500)
    card = create_card(person, issued_on=issued, number="川考评-2025-000901")
    batch = create_batch(days=(TODAY - timedelta(days=400),), number="KP-APPLY-0001")
    assignment = create_assignment(batch, card, answer="accepted")
    sheet = db.session.scalars(select(EvaluationSheet).where(
        EvaluationSheet.assignment_id == assignment.id)).one()
    sheet.finalised_at = datetime.combine(TODAY - timedelta(days=400), datetime.min.time())
    db.session.commit()

    html = eligibility(client, plan, level="高级考评员", occupation_id=electrician,
                       qualification_level=1)
    assert "符合“高级考评员”申报条件" in html and "持有有效的考评员证卡" in html
    assert f"具有一年以上实际考评工作经历（首次考评：{cn_date(sheet.finalised_at)}）" in html
    assert "川考评-2025-000901" in html and f'href="/cards/{card.id}"' in html
    assert f"有效期 {cn_date(issued)} 至 {cn_date(card.valid_until)}" in html
    assert f'href="/sheets/{sheet.id}"' in html and "KP-APPLY-0001" in html
    # the same records do not make a 二级/技师 holder without a senior title eligible
    html = eligibility(client, plan, level="高级考评员", occupation_id=electrician,
                       qualification_level=2, title_level=2)
    assert "不具有一级/高级技师国家职业资格，也不具有高级（副高级或正高级）专业技术职称" in html
    # a card in another occupation is not a card for this one
    html = eligibility(client, plan, level="高级考评员", occupation_id=occupation("焊工").id,
                       qualification_level=1)
    assert "未持有有效的考评员证卡" in html


def banned(person):
    for n, issued in ((1, date(2024, 1, 8)), (2, date(2024, 4, 1))):
        create_card(person, issued_on=issued, collected=False,
                    number=f"川考评-2024-{person.id * 10 + n:06d}")
    sweep(date(2025, 1, 6))
    db.session.commit()
    return active_ban(person.id)


def test_a_banned_applicant_sees_the_ban_and_its_cards_and_cannot_save(client, me, csrf):
    plan, unit = open_plan(), chengdu_unit()
    ban = banned(my_person(me))
    html = eligibility(client, plan, level="考评员", occupation_id=occupation("电工").id,
                       qualification_level=3)
    assert "暂不符合“考评员”申报条件" in html and 'id="ban-reason"' in html
    assert "因连续两次未领取证卡，已被永久取消申报资格" in html
    assert ban.first_card.number in html and ban.second_card.number in html
    assert cn_date(ban.second_card.voided_on) in html and "不能保存或提交申报" in html

    index = client.get("/apply/").get_data(as_text=True)
    assert 'id="ban-reason"' in index and ban.second_card.number in index
    assert f"/apply/plans/{plan.id}/new" not in index  # no 申报 button
    response = create(client, csrf, plan, unit)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "因连续两次未领取证卡，已被永久取消申报资格，不能申报。" in page
    assert 'id="ban-reason"' in page  # the panel on the re-shown form says why
    assert applications() == [] and events("application.save") == []


def test_a_person_banned_after_saving_cannot_submit(client, me, csrf):
    application = complete(client, csrf, draft(client, csrf))
    banned(my_person(me))
    page = client.get(f"/apply/{application.id}/edit").get_data(as_text=True)
    assert "还不能提交" in page and "因连续两次未领取证卡，已被永久取消申报资格" in page
    with pytest.raises(IllegalTransition, match="已被永久取消申报资格"):
        apply_action(db.session.get(Application, application.id), Action.SUBMIT, user=me)
    db.session.rollback()
    assert db.session.get(Application, application.id).stage == "draft"


def test_an_ineligible_applicant_may_save_but_not_submit_and_sees_why(client, me, csrf):
    application = complete(client, csrf, draft(client, csrf, qualification_level="4",
                                                qualification_text="电工 四级"))
    page = client.get(f"/apply/{application.id}/edit").get_data(as_text=True)
    assert "暂不符合“考评员”申报条件" in page and "还不能提交" in page
    assert "不具有三级/高级工及以上国家职业资格" in page
    with pytest.raises(IllegalTransition, match="不具有三级/高级工及以上国家职业资格"):
        apply_action(db.session.get(Application, application.id), Action.SUBMIT, user=me)
    db.session.rollback()
    assert db.session.get(Application, application.id).stage == "draft"
    assert db.session.scalar(select(func.count()).select_from(ApplicationStep)) == 0


# --- what a submission lacks ----------------------------------------------------------------------


def test_the_edit_page_lists_what_a_submission_still_lacks_until_nothing(client, me, csrf):
    application = draft(client, csrf, level="高级考评员", qualification_level="1")
    page = client.get(f"/apply/{application.id}/edit").get_data(as_text=True)
    for missing in ("请上传身份证复印件", "请上传职业资格证书或职称证书复印件", "请上传照片",
                    "请上传签字盖章的申报表扫描件", "请上传考评员证卡复印件",
                    "未持有有效的考评员证卡"):
        assert missing in page
    assert "申报表上以下个人资料将为空白：文化程度、联系地址、联系手机、工龄、照片" in page

    person = my_person(me)
    person.education, person.address, person.mobile, person.years_worked = (
        "本科", "成都市武侯区", "13800000000", 12)
    card = create_card(person, issued_on=TODAY - timedelta(days=500))
    batch = create_batch(days=(TODAY - timedelta(days=400),))
    sheet = db.session.scalars(select(EvaluationSheet).where(
        EvaluationSheet.assignment_id == create_assignment(batch, card, answer="accepted").id
    )).one()
    sheet.finalised_at = datetime.combine(TODAY - timedelta(days=400), datetime.min.time())
    db.session.commit()
    complete(client, csrf, application)
    partial = client.get(f"/apply/{application.id}/problems",
                         headers={"HX-Request": "true"}).get_data(as_text=True)
    assert partial.startswith('<section class="card" id="submission-problems"')
    assert "材料齐全，符合申报条件" in partial and "还不能提交" not in partial
    assert "将为空白" not in partial
    step = apply_action(db.session.get(Application, application.id), Action.SUBMIT, user=me)
    assert step.to_stage == Stage.UNIT_REVIEW


# --- uploads ---------------------------------------------------------------------------------------


def test_uploads_are_stored_shown_with_a_download_link_and_audited(client, me, csrf):
    application = draft(client, csrf)
    scan_bytes = pdf_bytes()
    response = upload(client, csrf, application, "id_copy", scan_bytes, "身份证.pdf")
    assert response.status_code == 302
    application = db.session.get(Application, application.id)
    scan = db.session.get(Upload, application.id_copy_id)
    assert scan.original_name == "身份证.pdf" and scan.mime == "application/pdf"
    page = client.get(f"/apply/{application.id}/edit").get_data(as_text=True)
    assert "已上传身份证复印件" in page and f'href="/files/{scan.id}">身份证.pdf</a>' in page
    download = client.get(f"/files/{scan.id}")
    assert download.status_code == 200 and download.data == scan_bytes
    download.close()
    [event] = events("application.upload")
    assert event.before == {"id_copy_id": None}
    assert event.after == {"id_copy_id": scan.id, "material": "身份证复印件",
                           "name": "身份证.pdf"}
    assert len(events("upload.create")) == 1


def test_an_htmx_upload_swaps_its_row_and_asks_for_a_fresh_check(client, me, csrf):
    application = draft(client, csrf)
    response = upload(client, csrf, application, "photo", png_bytes(), "照片.png", htmx=True)
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "application-files-changed"
    html = response.get_data(as_text=True)
    photo = db.session.get(Application, application.id).photo_id
    assert html.startswith('<li id="upload-photo"') and "<html" not in html
    assert f'href="/files/{photo}">照片.png</a>' in html and "已上传" in html


@pytest.mark.parametrize(("kind", "data", "name", "message"), [
    ("id_copy", ELF, "id.pdf", "只接受 PDF、JPG 或 PNG 文件"),
    ("signed_form", b"", "empty.pdf", "文件为空"),
    ("photo", pdf_bytes(), "photo.pdf", "照片须为 JPG 或 PNG 图片"),
    ("card_copy", png_bytes(), "card.png", "考评员申报不需要上传考评员证卡复印件"),
])
def test_bad_files_are_refused_next_to_the_field_and_nothing_is_kept(app, client, me, csrf,
                                                                     kind, data, name, message):
    application = draft(client, csrf)
    before_photo = db.session.get(Application, application.id).photo_id
    response = upload(client, csrf, application, kind, data, name)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    if kind != "card_copy":  # the card copy row is not even shown for 考评员
        assert f'<p class="error" id="{kind}-err">' in page
    htmx = upload(client, csrf, application, kind, data, name, htmx=True)
    assert htmx.status_code == 422 and message in htmx.get_data(as_text=True)
    assert "HX-Trigger" not in htmx.headers
    assert db.session.scalar(select(func.count()).select_from(Upload)) == 0
    assert db.session.get(Application, application.id).photo_id == before_photo
    assert events("application.upload") == []
    from pathlib import Path

    assert [p for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file()] == []


def test_an_unknown_material_is_not_found(client, me, csrf):
    application = draft(client, csrf)
    assert upload(client, csrf, application, "passport", png_bytes(), "p.png").status_code == 404


def test_a_new_application_takes_the_profile_photo(client, me, csrf):
    person = my_person(me)
    from portal.uploads import service

    photo = service.store(FileStorage(io.BytesIO(png_bytes()), filename="头像.png"))
    person.photo_upload_id = photo.id
    db.session.commit()
    application = draft(client, csrf)
    assert application.photo_id == photo.id


def test_downloads_follow_who_may_see_the_application(app, client, me, csrf):
    application = complete(client, csrf, draft(client, csrf))
    file_id = application.id_copy_id
    with client.get(f"/files/{file_id}") as own:
        assert own.status_code == 200
    clerk = create_user("clerk", ["unit"], org=application.unit)
    chengdu = create_user("cd", ["city"], city="成都市")
    mianyang = create_user("my", ["city"], city="绵阳市")
    create_user("other", ["applicant"], person=create_person("乙申报", seq=901))
    create_user("stranger", ["unit"], org=create_org("别的单位"))

    def status(username):
        with client_as(app, username).get(f"/files/{file_id}") as response:
            return response.status_code

    # a draft is the applicant's alone
    assert [status(u) for u in ("clerk", "cd", "other")] == [404, 404, 404]
    apply_action(db.session.get(Application, application.id), Action.SUBMIT, user=me)
    db.session.commit()
    assert [status(u) for u in ("clerk", "cd", "my", "other", "stranger")] == [
        200, 200, 404, 404, 404]
    assert clerk and chengdu and mianyang


# --- Attachment 1 ------------------------------------------------------------------------------


def test_attachment_1_is_generated_with_the_applicants_data_and_photo(client, me, csrf):
    person = my_person(me)
    person.education, person.employer, person.position = "本科", "四川某电力公司", "班组长"
    person.title, person.address, person.mobile, person.years_worked = (
        "工程师", "成都市武侯区科华北路1号", "13800000000", 12)
    db.session.commit()
    application = draft(client, csrf, title_level="2")
    upload(client, csrf, application, "photo", png_bytes((300, 400)), "照片.png")
    response = client.get(f"/apply/{application.id}/attachment1.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for expected in ("四川省技能人才评价考评员资格申报表", "申报人甲", person.id_number,
                     "本科", "四川某电力公司", "班组长", "工程师（中级）", "三级/高级工",
                     "电工", "考评员", "成都市武侯区科华北路1号", "13800000000", "成都市",
                     "12 年", "从事电工职业技能培训与考核工作十二年", "成都测试推荐单位",
                     "盖", "说明：申请审核通过后，无特殊情况不得缺席", "填表日期",
                     str(TODAY.year)):
        assert expected in text, expected
    page = reader.pages[0]
    images = list(page.images)
    assert len(images) == 1  # the photo


def test_attachment_1_of_a_provincial_direct_application_says_so(client, me, csrf):
    direct = direct_unit()
    application = draft(client, csrf, region_id=region("四川省").id, unit_id=direct.id)
    response = client.get(f"/apply/{application.id}/attachment1.pdf")
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "成都市（省直申报）" in text and "四川省直测试评价机构" in text
    assert len(PdfReader(io.BytesIO(response.data)).pages[0].images) == 0  # no photo yet


# --- CSRF -----------------------------------------------------------------------------------------


def test_every_post_needs_the_csrf_token(client, me, csrf):
    plan, unit = open_plan(), chengdu_unit()
    response = client.post(f"/apply/plans/{plan.id}/new", data=form_data(unit))
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    assert applications() == []
    application = draft(client, csrf, plan, unit)
    response = client.post(f"/apply/{application.id}/edit",
                           data=form_data(unit, qualification_level="1"))
    assert response.status_code == 400
    assert db.session.get(Application, application.id).qualification_level == 3
    response = upload(client, csrf, application, "photo", png_bytes(), "p.png", token=False)
    assert response.status_code == 400
    response = upload(client, csrf, application, "photo", png_bytes(), "p.png", htmx=True,
                      token=False)
    assert response.status_code == 400 and response.headers["HX-Retarget"] == "#htmx-alert"
    assert db.session.scalar(select(func.count()).select_from(Upload)) == 0
