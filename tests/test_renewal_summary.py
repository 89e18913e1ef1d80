"""Renewal summary tables (复核换证汇总表, Attachment 2, notice §三(四)3): exactly the
reviewer's approved renewals of a plan, the official PDF and XLSX (the form's columns, full
ID numbers, the old card number), the stamped scan before sending, sending all or nothing,
the province approving a whole table (a new card each, the old one superseded), returned
applications leaving their table, and scope."""

import io
import re
from datetime import date, timedelta

import pytest
from application_factories import an_upload, client_as
from factories import create_card, create_org, create_person, create_user, csrf_in, region
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select
from test_review_routes import page, png_file

from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.cards.models import Card
from portal.extensions import db
from portal.renewals.models import (
    RenewalApplication,
    RenewalPlan,
    RenewalStep,
    RenewalSummaryTable,
)
from portal.renewals.operations import apply_action
from portal.renewals.rules import RenewalStage
from portal.timeutil import local_today, utcnow

TITLE = "四川省技能人才评价考评员资格培训（复核）汇总表"


# --- factories -----------------------------------------------------------------------------


def create_renewal_plan(year=None, **kw) -> RenewalPlan:
    today = local_today()
    year = year or today.year
    opens = kw.pop("opens_on", today - timedelta(days=10))
    closes = kw.pop("closes_on", today + timedelta(days=20))
    plan = RenewalPlan(year=year, title=f"{year}年度考评员复核换证", opens_on=opens,
                       closes_on=closes, expiry_cutoff=kw.pop("expiry_cutoff", closes),
                       published_at=utcnow(), **kw)
    db.session.add(plan)
    db.session.commit()
    return plan


def create_renewal(plan, *, name="持证人", seq=51, city="成都市", unit=None,
                   stage="initial_approved", occupation_name="电工", **person_kw
                   ) -> RenewalApplication:
    """A renewal of a new holder's card (issued three years ago) in ``stage``; a 四川省
    renewal goes to the provincial-direct institution by default."""
    if unit is None:
        unit = (provincial_institution() if city == "四川省"
                else (_org("成都测试推荐单位", "成都市") if city == "成都市" else _org(f"{city}单位", city)))
    person = create_person(name, "成都市" if city == "四川省" else city, seq=seq, **person_kw)
    card = create_card(person, occupation_name=occupation_name,
                       issued_on=local_today() - timedelta(days=3 * 365 + 5))
    application = RenewalApplication(
        plan=plan, person=person, card=card, region=region(city), unit=unit, name=person.name,
        gender=person.gender, education=person.education, employer=person.employer,
        id_number=person.id_number, phone=person.mobile, qualification="电工国家职业资格二级/技师",
        specialty="电工", specialty_years=12, stage=stage)
    db.session.add(application)
    db.session.commit()
    return application


def _org(name, city, **kw):
    from portal.orgs.models import Organisation

    return (db.session.scalars(select(Organisation).where(Organisation.name == name)).first()
            or create_org(name, city, **kw))


def provincial_institution(name="四川省直测试评价机构"):
    return _org(name, "四川省", provincial_direct=True)


def fresh(application) -> RenewalApplication:
    db.session.expire_all()
    return db.session.get(RenewalApplication, application.id)


def the_table() -> RenewalSummaryTable:
    db.session.expire_all()
    return db.session.scalars(select(RenewalSummaryTable)).one()


def status(client, path) -> int:
    """The status of a GET, the response closed (a file download holds the file open)."""
    response = client.get(path)
    response.close()
    return response.status_code


def make_table(client, application_ids, office=None, plan_id=None):
    html = page(client, "/renewals/tables/new")
    data = {"csrf_token": csrf_in(html), "application_ids": [str(i) for i in application_ids],
            "filled_by": re.search(r'name="filled_by"[^>]*value="([^"]*)"', html).group(1),
            "contact_name": "王经办", "contact_phone": "028-86136211",
            "office": office or re.search(r'name="office" value="([^"]*)"', html).group(1),
            "plan_id": plan_id or re.search(r'name="plan_id" value="([^"]*)"', html).group(1)}
    return client.post("/renewals/tables/new", data=data)


def upload_scan(client, table_id):
    html = page(client, f"/renewals/tables/{table_id}")
    response = client.post(f"/renewals/tables/{table_id}/scan",
                           data={"csrf_token": csrf_in(html), "scan": png_file()},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return csrf_in(html)


def upload_scan_and_send(client, table_id):
    token = upload_scan(client, table_id)
    return client.post(f"/renewals/tables/{table_id}/send", data={"csrf_token": token})


@pytest.fixture
def chengdu(app):
    """A Chengdu reviewer with two approved renewals of the plan waiting for a table, and
    renewals that must not be on it."""
    plan = create_renewal_plan()
    other_plan = create_renewal_plan(plan.year - 1, opens_on=plan.opens_on - timedelta(days=365),
                                     closes_on=plan.closes_on - timedelta(days=365))
    yes = [
        create_renewal(plan, name="张珺", seq=51, education="本科", mobile="13800000001",
                       address="成都市武侯区一号"),
        create_renewal(plan, name="李彧", seq=52, gender="女", occupation_name="焊工"),
    ]
    no = [
        create_renewal(plan, name="待初审", seq=55, stage="initial_review"),
        create_renewal(other_plan, name="另一期", seq=57),
        create_renewal(plan, name="绵阳人", seq=59, city="绵阳市"),
        create_renewal(plan, name="省直人", seq=61, city="四川省"),
    ]
    yes[0].employer = "成都建工集团"
    db.session.commit()
    reviewer = create_user("chengdu", ["city"], city="成都市", display_name="王经办",
                           phone="028-86000000")
    return plan, yes, no, client_as(app, reviewer)


# --- making a table ------------------------------------------------------------------------


def test_a_table_holds_exactly_the_reviewers_approved_renewals_of_the_plan(chengdu):
    plan, yes, no, client = chengdu
    html = page(client, "/renewals/tables/new")
    assert "张珺" in html and "李彧" in html and yes[0].card.number in html
    for other in ("待初审", "另一期", "绵阳人", "省直人"):
        assert other not in html
    assert 'value="成都市职业技能鉴定指导中心"' in html and 'value="王经办"' in html

    response = make_table(client, [a.id for a in yes])
    assert response.status_code == 302
    table = the_table()
    assert sorted(a.id for a in table.applications) == sorted(a.id for a in yes)
    assert (table.plan_id, table.reviewer_org_id, table.sent_at) == (plan.id, None, None)
    assert re.fullmatch(rf"FH{plan.year}-510100-001", table.number)
    assert all(fresh(a).summary_table_id is None for a in no)
    flash = page(client, response.headers["Location"])
    assert f"已生成复核换证汇总表 {table.number}（2 人）" in flash
    # on a table now: not offered again; the other plan's approved renewal is
    html = page(client, f"/renewals/tables/new?plan_id={plan.id}")
    assert "张珺" not in html and "李彧" not in html
    assert "另一期" in page(client, "/renewals/tables/new")
    assert db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == "renewal_summary_table")).all() == [
        "renewal_summary_table.create"]


def test_choosing_nothing_or_anothers_renewal_is_refused(chengdu):
    _, yes, no, client = chengdu
    response = make_table(client, [])
    assert response.status_code == 422
    assert "请至少选择一份初审通过的复核换证申请" in response.get_data(as_text=True)
    response = make_table(client, [yes[0].id, no[2].id])  # a Mianyang renewal
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(RenewalSummaryTable)) == 0


def test_with_nothing_approved_the_reviewer_is_told_so(app):
    create_renewal(create_renewal_plan(), name="待初审", stage="initial_review")
    client = client_as(app, create_user("chengdu", ["city"], city="成都市"))
    assert "目前没有待编入汇总表的复核换证申请" in page(client, "/renewals/tables/new")
    assert "目前没有初审通过、尚未编入汇总表的复核换证申请" in page(client, "/renewals/tables/")


# --- the form ------------------------------------------------------------------------------


def test_the_pdf_is_attachment_2_with_full_id_numbers_and_the_old_cards(chengdu):
    _, yes, _, client = chengdu
    make_table(client, [a.id for a in yes])
    table = the_table()
    response = client.get(f"/renewals/tables/{table.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.data))
    first = reader.pages[0]
    assert first.mediabox.width > first.mediabox.height  # landscape
    squashed = re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))
    for words in (TITLE, "填报单位：（盖章）成都市职业技能鉴定指导中心", "张珺", "李彧",
                  yes[0].id_number, yes[1].id_number, yes[0].card.number, yes[1].card.number,
                  "成都建工集团", "本科", "电工（考评员）", "焊工（考评员）", "13800000001",
                  "成都市武侯区一号", "电工国家职业资格二级/技师", "经办人：王经办",
                  "联系电话：028-86136211", "填报时间", "序号", "身份证号码",
                  "现职业资格(专业技术职务)", "通讯地址", "原证卡编号", table.number):
        assert re.sub(r"\s+", "", words) in squashed, words


def test_the_xlsx_has_the_forms_columns_one_row_each_and_the_footer(chengdu):
    _, yes, _, client = chengdu
    make_table(client, [a.id for a in yes])
    table = the_table()
    response = client.get(f"/renewals/tables/{table.id}/xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[0][0] == TITLE
    assert rows[1][0] == "填报单位：成都市职业技能鉴定指导中心（盖章）"
    assert rows[2][0] == f"汇总表编号：{table.number}"
    header = next(i for i, r in enumerate(rows) if r[0] == "序号")
    assert list(rows[header]) == [
        "序号", "工作单位", "姓名", "性别", "身份证号码", "文化程度", "现职业资格(专业技术职务)",
        "申报考评职业(工种)", "联系电话", "通讯地址", "原证卡编号"]
    body = rows[header + 1:header + 3]
    assert [list(r) for r in body] == [
        [1, "成都建工集团", "张珺", "男", yes[0].id_number, "本科", "电工国家职业资格二级/技师",
         "电工（考评员）", "13800000001", "成都市武侯区一号", yes[0].card.number],
        [2, "某公司", "李彧", "女", yes[1].id_number, None, "电工国家职业资格二级/技师",
         "焊工（考评员）", None, None, yes[1].card.number]]
    assert any(r[0] and str(r[0]).startswith("经办人：王经办") for r in rows[header + 3:])


def test_the_page_masks_id_numbers_the_files_carry_them_in_full(chengdu):
    _, yes, _, client = chengdu
    make_table(client, [a.id for a in yes])
    html = page(client, f"/renewals/tables/{the_table().id}")
    assert yes[0].id_number not in html and yes[0].id_number[:4] in html
    assert yes[0].card.number in html
    assert f'href="/renewals/{yes[0].id}"' in html  # the application's review page


# --- sending -------------------------------------------------------------------------------


def test_a_table_is_sent_only_with_its_stamped_scan(chengdu):
    _, yes, _, client = chengdu
    make_table(client, [a.id for a in yes])
    table = the_table()
    html = page(client, f"/renewals/tables/{table.id}")
    assert "请先上传加盖公章的汇总表扫描件" in html
    response = client.post(f"/renewals/tables/{table.id}/send",
                           data={"csrf_token": csrf_in(html)})
    assert response.status_code == 422
    assert "不能报送：请先上传加盖公章的汇总表扫描件" in response.get_data(as_text=True)
    assert the_table().sent_at is None
    assert all(fresh(a).stage == RenewalStage.INITIAL_APPROVED for a in yes)
    assert db.session.scalar(select(func.count()).select_from(RenewalStep)) == 0


def test_a_scan_must_be_a_real_file_and_a_sent_table_keeps_its_scan(chengdu):
    _, yes, _, client = chengdu
    make_table(client, [a.id for a in yes])
    table = the_table()
    html = page(client, f"/renewals/tables/{table.id}")
    response = client.post(f"/renewals/tables/{table.id}/scan",
                           data={"csrf_token": csrf_in(html),
                                 "scan": (io.BytesIO(b"not a scan"), "scan.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "只接受 PDF、JPG 或 PNG 文件" in response.get_data(as_text=True)
    assert the_table().scan_id is None
    assert upload_scan_and_send(client, table.id).status_code == 302
    sent_scan = the_table().scan_id
    response = client.post(f"/renewals/tables/{table.id}/scan",
                           data={"csrf_token": csrf_in(html), "scan": png_file()},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "已报送省职鉴中心，不能再修改" in response.get_data(as_text=True)
    assert the_table().scan_id == sent_scan


def test_sending_moves_every_renewal_to_the_province_with_its_step(chengdu):
    _, yes, _, client = chengdu
    make_table(client, [a.id for a in yes])
    table = the_table()
    response = upload_scan_and_send(client, table.id)
    assert response.status_code == 302
    assert "2 份复核换证申请转入省职鉴中心复审" in page(client, response.headers["Location"])
    table = the_table()
    assert table.sent_at is not None and table.scan_id is not None
    assert all(fresh(a).stage == RenewalStage.PROVINCE_REVIEW for a in yes)
    steps = db.session.scalars(select(RenewalStep).where(
        RenewalStep.action == "send_to_province")).all()
    assert len(steps) == 2
    assert {(s.comment, s.capacity, s.from_stage, s.to_stage) for s in steps} == {
        (f"汇总表 {table.number}", "initial_reviewer", "initial_approved", "province_review")}
    assert db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == "renewal_summary_table").order_by(AuditEvent.id)).all() == [
        "renewal_summary_table.create", "renewal_summary_table.scan",
        "renewal_summary_table.send"]
    # sent: no second send, no deletion, no new scan
    html = page(client, f"/renewals/tables/{table.id}")
    assert "报送省职鉴中心</button>" not in html
    for action in ("send", "delete"):
        response = client.post(f"/renewals/tables/{table.id}/{action}",
                               data={"csrf_token": csrf_in(html)})
        assert response.status_code == 422 and "已报送" in response.get_data(as_text=True)


def test_sending_is_all_or_nothing(chengdu):
    _, yes, _, client = chengdu
    make_table(client, [a.id for a in yes])
    table = the_table()
    table.scan_id = an_upload().id
    # moved on without leaving the table (not possible through the pages): a refusal
    # part-way must leave every renewal as it was
    fresh(yes[1]).stage = RenewalStage.RETURNED_BY_REVIEWER.value
    db.session.commit()
    html = page(client, f"/renewals/tables/{table.id}")
    response = client.post(f"/renewals/tables/{table.id}/send",
                           data={"csrf_token": csrf_in(html)})
    assert response.status_code == 422
    assert "汇总表中有 1 份申请已不处于“初审通过，待报送省职鉴中心”" in response.get_data(as_text=True)
    assert fresh(yes[0]).stage == RenewalStage.INITIAL_APPROVED and the_table().sent_at is None
    assert db.session.scalar(select(func.count()).select_from(RenewalStep)) == 0


def test_without_the_csrf_token_nothing_is_sent(chengdu):
    _, yes, _, client = chengdu
    make_table(client, [a.id for a in yes])
    table = the_table()
    upload_scan(client, table.id)
    assert client.post(f"/renewals/tables/{table.id}/send").status_code == 400
    assert the_table().sent_at is None


# --- the province --------------------------------------------------------------------------


def test_the_province_approves_a_whole_table_and_each_holder_gets_a_new_card(chengdu, app):
    plan, yes, _, client = chengdu
    make_table(client, [a.id for a in yes])
    table = the_table()
    sheng = client_as(app, create_user("sheng", ["province"]))
    assert sheng.get(f"/renewals/tables/{table.id}").status_code == 404  # not sent yet
    upload_scan_and_send(client, table.id)

    listing = page(sheng, "/renewals/tables/")
    assert table.number in listing and "待省职鉴中心复审" in listing
    assert re.search(rf"{plan.title}</a></td>\s*<td[^>]*>1 张</td>\s*<td><span[^>]*>2 份", listing)
    assert table.number in page(sheng, f"/renewals/tables/?plan={plan.id}")
    assert table.number not in page(sheng, f"/renewals/tables/?plan={plan.id + 1}")
    html = page(sheng, f"/renewals/tables/{table.id}")
    assert "全部通过（2 份）" in html
    response = sheng.post(f"/renewals/tables/{table.id}/approve",
                          data={"csrf_token": csrf_in(html)})
    assert response.status_code == 302
    assert "复审通过 2 份复核换证申请" in page(sheng, response.headers["Location"])
    for application in yes:
        renewed = fresh(application)
        old, new = renewed.card, renewed.new_card
        assert renewed.stage == RenewalStage.RENEWED
        assert new is not None and new.number != old.number and new.origin == "renewal"
        assert (new.person_id, new.occupation_id, new.level) == (
            old.person_id, old.occupation_id, old.level)
        assert new.issued_on == local_today() and new.valid_until > old.valid_until
        assert old.superseded_on == local_today() and old.superseded_by_id == new.id
    assert db.session.scalar(select(func.count()).select_from(Card).where(
        Card.origin == "renewal")) == 2
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "renewal.approve")).all()
    assert len(events) == 2 and all(e.after["capacity"] == "province" for e in events)
    assert len(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "card.supersede")).all()) == 2
    # nothing left to approve
    response = sheng.post(f"/renewals/tables/{table.id}/approve",
                          data={"csrf_token": csrf_in(html)})
    assert response.status_code == 422 and "没有待复审的申请" in response.get_data(as_text=True)


def test_approving_a_table_is_all_or_nothing(chengdu, app):
    _, yes, _, client = chengdu
    make_table(client, [a.id for a in yes])
    table = the_table()
    upload_scan_and_send(client, table.id)
    fresh(yes[1]).card.revoked_on = date.today()  # revoked meanwhile: cannot be renewed
    db.session.commit()
    sheng = client_as(app, create_user("sheng", ["province"]))
    html = page(sheng, f"/renewals/tables/{table.id}")
    response = sheng.post(f"/renewals/tables/{table.id}/approve",
                          data={"csrf_token": csrf_in(html)})
    assert response.status_code == 422
    assert "没有换发任何证卡" in response.get_data(as_text=True)
    assert all(fresh(a).stage == RenewalStage.PROVINCE_REVIEW for a in yes)
    assert db.session.scalar(select(func.count()).select_from(Card).where(
        Card.origin == "renewal")) == 0
    assert fresh(yes[0]).card.superseded_on is None


def test_only_the_province_approves_and_the_office_cannot(chengdu, app):
    _, yes, _, client = chengdu
    make_table(client, [a.id for a in yes])
    table = the_table()
    upload_scan_and_send(client, table.id)
    html = page(client, f"/renewals/tables/{table.id}")
    assert "全部通过" not in html
    response = client.post(f"/renewals/tables/{table.id}/approve",
                           data={"csrf_token": csrf_in(html)})
    assert response.status_code == 403
    assert all(fresh(a).stage == RenewalStage.PROVINCE_REVIEW for a in yes)


# --- returns and deletion ------------------------------------------------------------------


def test_a_province_return_takes_the_renewal_off_its_sent_table(chengdu, app):
    _, yes, _, client = chengdu
    make_table(client, [a.id for a in yes])
    table = the_table()
    upload_scan_and_send(client, table.id)
    province = create_user("sheng", ["province"])
    apply_action(fresh(yes[1]), "return", user=province, comment="请核对证卡编号")
    db.session.commit()
    returned = fresh(yes[1])
    assert returned.stage == RenewalStage.INITIAL_REVIEW and returned.summary_table_id is None
    table = the_table()
    assert [a.id for a in table.applications] == [yes[0].id] and table.scan_id is not None
    assert "renewal_summary_table.release" in db.session.scalars(select(AuditEvent.action)).all()


def test_a_reviewer_return_from_an_unsent_table_detaches_the_stamped_scan(chengdu):
    _, yes, _, client = chengdu
    make_table(client, [a.id for a in yes])
    table = the_table()
    upload_scan(client, table.id)
    assert the_table().scan_id is not None
    reviewer = db.session.scalars(select(User).where(User.username == "chengdu")).one()
    apply_action(fresh(yes[0]), "return", user=reviewer, comment="工作总结需补充")
    db.session.commit()
    assert fresh(yes[0]).summary_table_id is None
    table = the_table()
    assert table.scan_id is None and [a.id for a in table.applications] == [yes[1].id]
    assert "请先上传加盖公章的汇总表扫描件" in page(client, f"/renewals/tables/{table.id}")


def test_an_unsent_table_can_be_deleted_and_its_renewals_wait_again(chengdu):
    _, yes, _, client = chengdu
    make_table(client, [a.id for a in yes])
    table = the_table()
    html = page(client, f"/renewals/tables/{table.id}")
    response = client.post(f"/renewals/tables/{table.id}/delete",
                           data={"csrf_token": csrf_in(html)})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(RenewalSummaryTable)) == 0
    assert all(fresh(a).summary_table_id is None for a in yes)
    assert "张珺" in page(client, "/renewals/tables/new")
    assert db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == "renewal_summary_table").order_by(AuditEvent.id)).all() == [
        "renewal_summary_table.create", "renewal_summary_table.delete"]


# --- scope ---------------------------------------------------------------------------------


def test_a_city_sees_only_its_own_tables(chengdu, app):
    plan, yes, no, client = chengdu
    make_table(client, [a.id for a in yes])
    table = the_table()
    mianyang = client_as(app, create_user("mianyang", ["city"], city="绵阳市"))
    for path in ("", "/pdf", "/xlsx"):
        assert mianyang.get(f"/renewals/tables/{table.id}{path}").status_code == 404
    assert table.number not in page(mianyang, "/renewals/tables/")
    token = csrf_in(page(mianyang, "/renewals/tables/"))
    for action in ("scan", "send", "delete", "approve"):
        assert mianyang.post(f"/renewals/tables/{table.id}/{action}",
                             data={"csrf_token": token}).status_code == 404
    # Mianyang's own table holds only its own renewal
    assert make_table(mianyang, [no[2].id]).status_code == 302
    tables = db.session.scalars(select(RenewalSummaryTable).order_by(RenewalSummaryTable.id)).all()
    assert tables[1].region.name == "绵阳市"
    assert tables[1].number == f"FH{plan.year}-{tables[1].region.code}-001"
    assert [a.id for a in tables[1].applications] == [no[2].id]
    assert tables[1].number not in page(client, "/renewals/tables/")
    assert client.get(f"/renewals/tables/{tables[1].id}").status_code == 404


def test_provincial_direct_tables_are_made_by_the_institution(chengdu, app):
    plan, yes, no, city_client = chengdu
    direct = no[3]
    institution = direct.unit
    clerk = client_as(app, create_user("shengzhi", ["unit"], org=institution))
    html = page(clerk, "/renewals/tables/new")
    assert "省直人" in html and "张珺" not in html
    assert f'value="{institution.name}"' in html
    assert make_table(clerk, [direct.id]).status_code == 302
    table = the_table()
    assert table.reviewer_org_id == institution.id and table.region.is_province
    assert table.number == f"FH{plan.year}-S{institution.id:05d}-001"
    # the city centre and another institution do not see it; the city cannot take it
    assert city_client.get(f"/renewals/tables/{table.id}").status_code == 404
    other = client_as(app, create_user("other", ["unit"],
                                       org=provincial_institution("另一省直机构")))
    assert other.get(f"/renewals/tables/{table.id}").status_code == 404
    assert upload_scan_and_send(clerk, table.id).status_code == 302
    assert fresh(direct).stage == RenewalStage.PROVINCE_REVIEW


def test_an_ordinary_unit_is_told_it_makes_no_tables(app):
    unit = create_org("成都测试推荐单位", "成都市")
    client = client_as(app, create_user("jigou", ["unit"], org=unit))
    html = page(client, "/renewals/tables/")
    assert "本单位不是省直备案评价机构，没有需要生成的复核换证汇总表" in html
    assert "换证汇总表" in html  # in the navigation
    assert client.get("/renewals/tables/new").status_code == 403


@pytest.mark.parametrize("role", ["applicant", "supervisor", "site_lead"])
def test_the_list_is_for_offices_and_the_province(client, login_as, role):
    login_as(role)
    assert client.get("/renewals/tables/").status_code == 403


def test_the_stamped_scan_is_seen_by_the_province_once_sent_and_not_by_another_city(chengdu, app):
    _, yes, _, client = chengdu
    make_table(client, [a.id for a in yes])
    table = the_table()
    upload_scan(client, table.id)
    scan_id = the_table().scan_id
    sheng = client_as(app, create_user("sheng", ["province"]))
    mianyang = client_as(app, create_user("mianyang", ["city"], city="绵阳市"))
    assert status(client, f"/files/{scan_id}") == 200
    assert status(sheng, f"/files/{scan_id}") in (403, 404)
    html = page(client, f"/renewals/tables/{table.id}")
    client.post(f"/renewals/tables/{table.id}/send", data={"csrf_token": csrf_in(html)})
    assert status(sheng, f"/files/{scan_id}") == 200
    assert status(mianyang, f"/files/{scan_id}") in (403, 404)


# --- the form's rules (pure) ---------------------------------------------------------------


@pytest.mark.pure
def test_the_old_card_column_narrows_the_others_but_never_the_numbers():
    from portal.summary_tables.rules import (
        ATTACHMENT2_COLUMNS,
        OLD_CARD_COLUMN,
        fit_widths,
    )

    assert fit_widths(ATTACHMENT2_COLUMNS) == [c.pdf_width for c in ATTACHMENT2_COLUMNS]
    widths = fit_widths((*ATTACHMENT2_COLUMNS, OLD_CARD_COLUMN))
    assert widths[4] == 14 and widths[10] == OLD_CARD_COLUMN.pdf_width  # ID, old card
    assert all(w < c.pdf_width for w, c in zip(widths, ATTACHMENT2_COLUMNS, strict=False)
               if c.style != "idno")
    assert 99.5 <= sum(widths) <= 100.5


@pytest.mark.pure
def test_renewal_table_numbers_and_send_problems():
    from portal.summary_tables.rules import send_problems, table_number

    assert table_number(2026, "510100", 3, "FH") == "FH2026-510100-003"
    assert send_problems(has_scan=False, sent=False, count=0, not_approved=0,
                         approved_label="初审通过", noun="申请") == [
        "汇总表中没有申请", "请先上传加盖公章的汇总表扫描件"]
    assert send_problems(has_scan=True, sent=False, count=3, not_approved=1,
                         approved_label="初审通过", noun="申请") == [
        "汇总表中有 1 份申请已不处于“初审通过”"]
    assert send_problems(has_scan=True, sent=True, count=3, not_approved=0,
                         approved_label="初审通过") == ["该汇总表已报送省职鉴中心"]
