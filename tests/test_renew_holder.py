"""复核换证, the holder's side (notice §三): which cards may be renewed under the plan and why
not, the application prefilled from the profile and the card, the 1000-character work summary
with its live count, the uploads, submit and withdraw through the workflow, the return and
resubmission, the timeline, the Attachment 3 PDF and the home-page reminder."""

import io
import re
from datetime import date, timedelta

import pytest
from application_factories import an_upload, client_as
from factories import (
    create_card,
    create_org,
    create_person,
    create_user,
    csrf_in,
    login,
)
from pypdf import PdfReader
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from portal.audit.models import AuditEvent
from portal.cards.models import PersonBan
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.renewals.models import RenewalApplication, RenewalPlan, RenewalStep
from portal.renewals.operations import apply_action
from portal.renewals.rules import RenewalAction
from portal.timeutil import cn_date, local_today, utcnow

TODAY = local_today()
EXPIRED_ISSUE = date(TODAY.year - 3, 1, 10)  # valid until January this year: by the cut-off


def open_plan(**kw) -> RenewalPlan:
    """This year's published plan, registration open today."""
    kw.setdefault("opens_on", TODAY - timedelta(days=5))
    kw.setdefault("closes_on", TODAY + timedelta(days=20))
    kw.setdefault("expiry_cutoff", kw["closes_on"])
    plan = RenewalPlan(year=TODAY.year, title=f"{TODAY.year}年考评员资格复核换证", published_at=utcnow(),
                       **kw)
    db.session.add(plan)
    db.session.commit()
    return plan


def unit():
    return db.session.scalars(select(Organisation).where(
        Organisation.name == "成都测试评价中心")).first() or create_org("成都测试评价中心", "成都市")


def holder(client, *, name="王持证", seq=31, org="default", **kw):
    """A person with a registered unit and an applicant account, logged in on ``client``."""
    org = unit() if org == "default" else org
    kw.setdefault("mobile", "13800001234")
    kw.setdefault("education", "本科")
    kw.setdefault("title", "高级工程师")
    person = create_person(name, org=org, seq=seq, **kw)
    user = create_user(f"holder{seq}", ["applicant"], person=person, display_name=name)
    assert login(client, user.username).status_code == 302
    return person


def create(client, card):
    """申请复核换证 from the index page, as the browser does."""
    token = csrf_in(client.get("/renew/").get_data(as_text=True))
    return client.post(f"/renew/cards/{card.id}/new", data={"csrf_token": token})


def application_of(card) -> RenewalApplication:
    return db.session.scalars(select(RenewalApplication).where(
        RenewalApplication.card_id == card.id)).one()


def page_form(client, application_id, **over) -> dict:
    """The form of the application page as shown, with ``over`` changed."""
    html = client.get(f"/renew/{application_id}").get_data(as_text=True)
    a = db.session.get(RenewalApplication, application_id)
    data = {"csrf_token": csrf_in(html), "name": a.name, "gender": a.gender,
            "education": a.education, "employer": a.employer, "id_number": a.id_number,
            "phone": a.phone, "qualification": a.qualification, "specialty": a.specialty,
            "specialty_years": "" if a.specialty_years is None else str(a.specialty_years),
            "region_id": str(a.region_id), "unit_id": str(a.unit_id),
            "work_summary": a.work_summary, "declares_health": "y",
            "declares_no_incident": "y"}
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def save(client, application_id, **over):
    return client.post(f"/renew/{application_id}", data=page_form(client, application_id, **over))


def move(client, application_id, action):
    html = client.get(f"/renew/{application_id}").get_data(as_text=True)
    stage = re.search(r'name="stage" type="hidden" value="([^"]*)"', html)
    return client.post(f"/renew/{application_id}/act", data={
        "csrf_token": csrf_in(html), "action": action, "stage": stage.group(1) if stage else ""})


def summary(n: int) -> str:
    """``n`` counted characters of mixed Chinese, digits and punctuation, broken by
    half-width and full-width spaces, tabs and line breaks (which do not count)."""
    unit_text = "考评工作2025年共12批次，"  # 15 characters
    text = (unit_text * (n // len(unit_text) + 1))[:n]
    out = []
    for i, ch in enumerate(text):
        out.append(ch)
        if i % 50 == 49:
            out.append("\n\n")
        elif i % 17 == 16:
            out.append("　 \t")  # full-width space, space, tab
    return "".join(out)


def with_uploads(application):
    upload = an_upload()
    application.photo_id = application.id_copy_id = application.card_scan_id = upload.id
    db.session.commit()


def ready(client, card) -> RenewalApplication:
    """A created application with every upload, a 1000-character summary and both
    declarations saved through the page."""
    create(client, card)
    application = application_of(card)
    with_uploads(application)
    assert save(client, application.id, work_summary=summary(1000)).status_code == 302
    return db.session.get(RenewalApplication, application.id)


def text(response) -> str:
    return response.get_data(as_text=True)


# --- eligibility on the index -------------------------------------------------------------


def test_index_shows_which_cards_may_be_renewed_and_why_not(client):
    plan = open_plan()
    person = holder(client)
    expired = create_card(person, issued_on=EXPIRED_ISSUE, number="川考评-A-0001")
    valid = create_card(person, issued_on=TODAY - timedelta(days=100), number="川考评-A-0002",
                        occupation_name="焊工")
    voided = create_card(person, issued_on=EXPIRED_ISSUE - timedelta(days=30),
                         number="川考评-A-0003", occupation_name="焊工", collected=False)
    voided.voided_on = EXPIRED_ISSUE + timedelta(days=90)
    revoked = create_card(person, issued_on=EXPIRED_ISSUE, number="川考评-A-0004",
                          occupation_name="车工")
    revoked.revoked_on, revoked.revoke_reason = TODAY - timedelta(days=3), "违规"
    db.session.commit()

    page = text(client.get("/renew/"))
    assert "报名中" in page and cn_date(plan.closes_on) in page
    row = {c.number: re.search(rf'id="card-{c.id}">(.*?)</tr>', page, re.S).group(1)
           for c in (expired, valid, voided, revoked)}
    assert "可申请复核换证" in row[expired.number] and "申请复核换证</button>" in row[expired.number]
    assert "不能申请" in row[valid.number]
    assert f"有效期至{cn_date(valid.valid_until)}" in row[valid.number]
    assert "作废" in row[voided.number] and "申请复核换证</button>" not in row[voided.number]
    assert "注销" in row[revoked.number] and "申请复核换证</button>" not in row[revoked.number]


@pytest.mark.parametrize("condition, reason", [("retired", "已办理退休手续"),
                                               ("banned", "已被永久取消申报资格")])
def test_retired_or_banned_holders_may_not_renew(client, condition, reason):
    plan = open_plan()
    person = holder(client, retired=(condition == "retired"))
    card = create_card(person, issued_on=EXPIRED_ISSUE)
    if condition == "banned":
        first = create_card(person, issued_on=date(2019, 3, 1), collected=False,
                            occupation_name="焊工", number="川考评-B-1")
        second = create_card(person, issued_on=date(2020, 3, 1), collected=False,
                             occupation_name="焊工", number="川考评-B-2")
        first.voided_on, second.voided_on = date(2019, 6, 1), date(2020, 6, 1)
        db.session.add(PersonBan(person_id=person.id, banned_on=date(2020, 6, 1),
                                 first_card_id=first.id, second_card_id=second.id))
        db.session.commit()
    page = text(client.get("/renew/"))
    assert reason in page and "申请复核换证</button>" not in page
    response = create(client, card)
    assert response.status_code == 302
    assert reason in text(client.get("/renew/"))
    assert db.session.scalar(select(func.count()).select_from(RenewalApplication)) == 0
    assert plan.id


def test_no_plan_yet(client):
    person = holder(client)
    create_card(person, issued_on=EXPIRED_ISSUE)
    page = text(client.get("/renew/"))
    assert "本年度复核换证计划尚未发布" in page and "申请复核换证</button>" not in page


# --- creating ------------------------------------------------------------------------------


def test_apply_creates_a_draft_prefilled_from_profile_and_card(client):
    plan = open_plan()
    person = holder(client, years_worked=20)
    card = create_card(person, issued_on=EXPIRED_ISSUE, number="川考评-C-0001")
    response = create(client, card)
    application = application_of(card)
    assert response.status_code == 302 and response.location.endswith(f"/renew/{application.id}")
    assert (application.plan_id, application.stage) == (plan.id, "draft")
    assert (application.name, application.gender, application.education) == ("王持证", "男", "本科")
    assert application.id_number == person.id_number and application.phone == "13800001234"
    assert application.employer == "成都测试评价中心" and application.qualification == "高级工程师"
    assert application.unit.name == "成都测试评价中心" and application.region.name == "成都市"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "renewal.save")) == 1

    page = text(client.get(f"/renew/{application.id}"))
    assert "川考评-C-0001" in page and "电工" in page
    assert f"{cn_date(card.issued_on)} 至 {cn_date(card.valid_until)}" in page
    assert 'value="13800001234"' in page
    assert "已写 <strong>0</strong> 字 / 至少 1000 字" in page


def test_one_application_per_card_and_plan(client):
    open_plan()
    person = holder(client)
    card = create_card(person, issued_on=EXPIRED_ISSUE, number="川考评-C-0002")
    first = create(client, card)
    assert first.status_code == 302
    # a second click (another tab) is refused with a message, never a 500
    token = csrf_in(text(client.get("/renew/")))
    again = client.post(f"/renew/cards/{card.id}/new", data={"csrf_token": token})
    assert again.status_code == 302
    assert "同一证卡每年只能申请一次" in text(client.get("/renew/"))
    assert db.session.scalar(select(func.count()).select_from(RenewalApplication)) == 1


def test_a_concurrent_second_application_hits_the_unique_constraint_not_a_500(client,
                                                                             monkeypatch):
    open_plan()
    person = holder(client)
    card = create_card(person, issued_on=EXPIRED_ISSUE)
    assert create(client, card).status_code == 302
    # the other tab's request passed the check before this one committed
    from portal.renewals import apply_operations

    monkeypatch.setattr(apply_operations, "open_application", lambda *args: None)
    response = create(client, card)
    assert response.status_code == 302
    assert "已在本次复核换证中申请过" in text(client.get("/renew/"))
    assert db.session.scalar(select(func.count()).select_from(RenewalApplication)) == 1


def test_holder_without_a_unit_chooses_one(client):
    open_plan()
    create_org("成都另一评价机构", "成都市")
    person = holder(client, org=None)
    card = create_card(person, issued_on=EXPIRED_ISSUE)
    page = text(client.get("/renew/"))
    assert f'href="/renew/cards/{card.id}/new"' in page
    form = text(client.get(f"/renew/cards/{card.id}/new"))
    assert "成都另一评价机构" in form
    other = db.session.scalars(select(Organisation).where(
        Organisation.name == "成都另一评价机构")).one()
    response = client.post(f"/renew/cards/{card.id}/new", data={
        "csrf_token": csrf_in(form), "region_id": str(person.region_id), "unit_id": ""})
    assert response.status_code == 422 and "请选择成都市的申报单位" in text(response)
    response = client.post(f"/renew/cards/{card.id}/new", data={
        "csrf_token": csrf_in(form), "region_id": str(person.region_id),
        "unit_id": str(other.id)})
    assert response.status_code == 302
    assert application_of(card).unit_id == other.id


# --- the work summary ---------------------------------------------------------------------


def test_the_1000_character_rule_through_the_page(client):
    open_plan()
    person = holder(client)
    card = create_card(person, issued_on=EXPIRED_ISSUE)
    create(client, card)
    application = application_of(card)
    with_uploads(application)

    short = summary(999)
    assert len(short) > 1000  # the whitespace would pass a naive count
    assert save(client, application.id, work_summary=short).status_code == 302
    page = text(client.get(f"/renew/{application.id}"))
    assert "已写 <strong>999</strong> 字 / 至少 1000 字" in page
    assert "考评工作总结不少于1000字（当前999字）" in page
    response = move(client, application.id, "submit")
    assert response.status_code == 422
    assert "考评工作总结不少于1000字（当前999字）" in text(response)
    assert application_of(card).stage == "draft"

    assert save(client, application.id, work_summary=summary(1000)).status_code == 302
    response = move(client, application.id, "submit")
    assert response.status_code == 302
    assert application_of(card).stage == "unit_review"


def test_live_count_is_computed_on_the_server_and_needs_csrf(client):
    open_plan()
    person = holder(client)
    card = create_card(person, issued_on=EXPIRED_ISSUE)
    create(client, card)
    application = application_of(card)
    token = csrf_in(text(client.get(f"/renew/{application.id}")))
    headers = {"HX-Request": "true", "X-CSRFToken": token}
    response = client.post("/renew/summary-count", data={"work_summary": summary(1000)},
                           headers=headers)
    assert response.status_code == 200
    assert "已写 <strong>1000</strong> 字 / 至少 1000 字" in text(response)
    response = client.post("/renew/summary-count",
                           data={"work_summary": "一二三　　四五\n\n六 7 8"}, headers=headers)
    assert "已写 <strong>8</strong> 字" in text(response) and "还差 992 字" in text(response)
    refused = client.post("/renew/summary-count", data={"work_summary": "一二三"},
                          headers={"HX-Request": "true"})
    assert refused.status_code == 400


def test_page_shows_the_live_count_wiring(client):
    open_plan()
    person = holder(client)
    card = create_card(person, issued_on=EXPIRED_ISSUE)
    create(client, card)
    page = text(client.get(f"/renew/{application_of(card).id}"))
    textarea = re.search(r"<textarea[^>]*>", page).group(0)
    assert 'hx-post="/renew/summary-count"' in textarea
    assert "keyup changed delay:400ms" in textarea


# --- saving --------------------------------------------------------------------------------


def test_save_validates_the_id_number_and_phone(client):
    open_plan()
    person = holder(client)
    card = create_card(person, issued_on=EXPIRED_ISSUE)
    create(client, card)
    application = application_of(card)
    bad_id = person.id_number[:-1] + ("0" if person.id_number[-1] != "0" else "1")
    response = save(client, application.id, id_number=bad_id, phone="12345")
    assert response.status_code == 422
    page = text(response)
    assert "身份证号码校验位不正确" in page and "请填写11位手机号码" in page
    response = save(client, application.id, phone="028-86136211", specialty_years="12",
                    specialty="电气设备安装")
    assert response.status_code == 302
    saved = application_of(card)
    assert (saved.phone, saved.specialty_years, saved.specialty) == ("028-86136211", 12,
                                                                     "电气设备安装")
    assert saved.declares_health and saved.declares_no_incident


def test_uploads_go_through_the_upload_service(client):
    open_plan()
    person = holder(client)
    card = create_card(person, issued_on=EXPIRED_ISSUE)
    create(client, card)
    application = application_of(card)
    token = csrf_in(text(client.get(f"/renew/{application.id}")))
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (60, 80), (200, 210, 230)).save(png, "PNG")
    response = client.post(
        f"/renew/{application.id}/uploads/photo", headers={"HX-Request": "true"},
        data={"photo-file": FileStorage(io.BytesIO(png.getvalue()), "照片.png"),
              "photo-csrf_token": token})
    assert response.status_code == 200 and "已上传" in text(response)
    assert response.headers["HX-Trigger"] == "renewal-files-changed"
    assert application_of(card).photo_id is not None
    fake = client.post(
        f"/renew/{application.id}/uploads/id_copy", headers={"HX-Request": "true"},
        data={"id_copy-file": FileStorage(io.BytesIO(b"not a pdf"), "身份证.pdf"),
              "id_copy-csrf_token": token})
    assert fake.status_code == 422 and "只接受" in text(fake)
    assert application_of(card).id_copy_id is None
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "renewal.upload")) == 1


# --- submit, withdraw, return --------------------------------------------------------------


def test_submit_outside_the_window_is_refused(client):
    plan = open_plan()
    person = holder(client)
    card = create_card(person, issued_on=EXPIRED_ISSUE)
    application = ready(client, card)
    plan.opens_on, plan.closes_on = TODAY - timedelta(days=30), TODAY - timedelta(days=1)
    plan.expiry_cutoff = TODAY - timedelta(days=1)
    db.session.commit()
    response = move(client, application.id, "submit")
    assert response.status_code == 422
    assert "报名时间已结束" in text(response)
    assert application_of(card).stage == "draft"
    page = client.get(f"/renew/{application.id}").get_data(as_text=True)
    assert "报名时间已结束" in page and "提交申请" not in page  # no button that cannot work


def test_submit_without_uploads_lists_the_missing_ones(client):
    open_plan()
    person = holder(client)
    card = create_card(person, issued_on=EXPIRED_ISSUE)
    create(client, card)
    application = application_of(card)
    save(client, application.id, work_summary=summary(1200))
    page = text(client.get(f"/renew/{application.id}"))
    problems = re.search(r'id="submission-problems".*?</section>', page, re.S).group(0)
    for label in ("请上传个人照片", "请上传身份证", "请上传考评员证卡"):
        assert label in problems
    response = move(client, application.id, "submit")
    assert response.status_code == 422
    message = re.search(r'id="move-error">(.*?)</p>', text(response), re.S).group(1)
    assert "请上传个人照片" in message and "请上传身份证" in message and "请上传考评员证卡" in message


def test_submit_moves_to_the_unit_with_a_step_and_an_audit_event(client):
    open_plan()
    person = holder(client)
    card = create_card(person, issued_on=EXPIRED_ISSUE)
    application = ready(client, card)
    response = move(client, application.id, "submit")
    assert response.status_code == 302
    application = application_of(card)
    assert application.stage == "unit_review" and application.submitted_at is not None
    step = db.session.scalars(select(RenewalStep)).one()
    assert (step.capacity, step.action, step.from_stage, step.to_stage) == (
        "holder", "submit", "draft", "unit_review")
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "renewal.submit")) == 1
    page = text(client.get(f"/renew/{application.id}"))
    timeline = re.search(r'id="progress".*?</section>', page, re.S).group(0)
    assert "提交" in timeline and "持证人" in timeline and "王持证" in timeline
    assert "现由 <strong>成都测试评价中心</strong> 办理" in timeline
    assert "待申报单位出具意见" in timeline
    # submitted: no longer editable
    assert "disabled" in re.search(r"<fieldset[^>]*>", page).group(0)
    assert save(client, application.id).status_code == 302
    assert "审核期间不能修改" in text(client.get(f"/renew/{application.id}"))


def test_withdraw(client):
    open_plan()
    person = holder(client)
    card = create_card(person, issued_on=EXPIRED_ISSUE)
    application = ready(client, card)
    move(client, application.id, "submit")
    response = move(client, application.id, "withdraw")
    assert response.status_code == 302
    assert application_of(card).stage == "withdrawn"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "renewal.withdraw")) == 1
    page = text(client.get(f"/renew/{application.id}"))
    assert "已撤回" in page and "确认撤回" not in page


def test_returned_comment_is_shown_and_the_holder_resubmits(client, app):
    open_plan()
    person = holder(client)
    card = create_card(person, issued_on=EXPIRED_ISSUE)
    application = ready(client, card)
    move(client, application.id, "submit")
    clerk = create_user("clerk", ["unit"], org=unit())
    apply_action(application_of(card), RenewalAction.RETURN, user=clerk,
                 comment="工作总结未写任期内考评批次，请补充。")
    db.session.commit()

    page = text(client.get(f"/renew/{application.id}"))
    returned = re.search(r'id="returned".*?</section>', page, re.S).group(0)
    assert "工作总结未写任期内考评批次，请补充。" in returned and "申报单位" in returned
    assert save(client, application.id, work_summary=summary(1100) + "补充：任期内参加考评12批次。"
                ).status_code == 302
    assert move(client, application.id, "submit").status_code == 302
    application = application_of(card)
    assert application.stage == "unit_review"
    assert [s.action for s in application.steps] == ["submit", "return", "submit"]


# --- scope ---------------------------------------------------------------------------------


def test_another_holders_application_is_not_found(client, app):
    open_plan()
    person = holder(client)
    card = create_card(person, issued_on=EXPIRED_ISSUE)
    create(client, card)
    application = application_of(card)
    other = create_person("李他人", seq=32)
    stranger = client_as(app, create_user("other", ["applicant"], person=other))
    assert stranger.get(f"/renew/{application.id}").status_code == 404
    assert stranger.get(f"/renew/{application.id}/attachment3.pdf").status_code == 404
    assert stranger.get(f"/renew/cards/{card.id}/new").status_code == 404


# --- Attachment 3 --------------------------------------------------------------------------


def test_attachment3_pdf_for_the_holder_and_the_unit(client, app):
    open_plan()
    person = holder(client)
    card = create_card(person, issued_on=EXPIRED_ISSUE, number="川考评-P-0001")
    application = ready(client, card)
    response = client.get(f"/renew/{application.id}/attachment3.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    pdf = PdfReader(io.BytesIO(response.data))
    first = pdf.pages[0].extract_text()
    for expected in ("四川省技能人才评价考评员资格复核换证申报表", "王持证", "川考评-P-0001",
                     "申报单位", "填表说明"):
        assert expected in first
    rest = "".join(p.extract_text() for p in pdf.pages[1:])
    assert "考评工作总结" in rest and "考评工作2025年共12批次" in rest

    # the unit sees it once submitted; an unrelated unit clerk does not
    move(client, application.id, "submit")
    clerk = client_as(app, create_user("clerk", ["unit"], org=unit()))
    assert clerk.get(f"/renew/{application.id}/attachment3.pdf").status_code == 200
    stranger = client_as(app, create_user("far", ["unit"], org=create_org("绵阳某机构", "绵阳市")))
    assert stranger.get(f"/renew/{application.id}/attachment3.pdf").status_code == 404


# --- home ----------------------------------------------------------------------------------


def test_home_reminds_the_holder_while_registration_is_open(client):
    plan = open_plan()
    person = holder(client)
    create_card(person, issued_on=EXPIRED_ISSUE)
    page = text(client.get("/"))
    closes = plan.closes_on
    assert f"复核换证报名中（截止 {closes.month} 月 {closes.day} 日）" in page
    assert 'href="/renew/"' in page


def test_no_home_reminder_without_a_renewable_card(client):
    open_plan()
    person = holder(client)
    create_card(person, issued_on=TODAY - timedelta(days=100))
    assert "复核换证报名中" not in text(client.get("/"))


def test_a_summary_pasted_as_one_long_paragraph_prints_over_several_pages(client):
    open_plan()
    person = holder(client)
    card = create_card(person, issued_on=EXPIRED_ISSUE)
    application = ready(client, card)
    sentence = "本人任期内参加电工职业技能鉴定考评32批次，考评考生1260余人次，未发生考评事故。"
    application.work_summary = sentence * 60 + "以上为本人考评工作总结。"  # ~2500 characters, no break
    db.session.commit()
    response = client.get(f"/renew/{application.id}/attachment3.pdf")
    assert response.status_code == 200
    pdf = PdfReader(io.BytesIO(response.data))
    assert len(pdf.pages) >= 3
    assert "以上为本人考评工作总结。" in pdf.pages[-1].extract_text()


@pytest.mark.pure
@pytest.mark.parametrize("text, limit, expected", [
    ("短段落。", 10, ["短段落。"]),
    ("第一句话很长。第二句话也很长。第三句。", 10, ["第一句话很长。", "第二句话也很长。", "第三句。"]),
    ("一二三四五六七八九十一二", 5, ["一二三四五", "六七八九十", "一二"]),
    ("甲乙，丙丁戊己庚辛", 6, ["甲乙，", "丙丁戊己庚辛"]),
])
def test_print_pieces_cut_long_paragraphs_at_sentence_ends(text, limit, expected):
    from portal.renewals.apply_queries import print_pieces

    assert print_pieces(text, limit) == expected
    assert "".join(print_pieces(text, limit)) == text
