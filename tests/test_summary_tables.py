"""Summary tables (Attachment 2): exactly the reviewer's approved applications of a plan, the
official PDF and XLSX with full ID numbers, the stamped scan before sending, sending all or
nothing, and the province's bulk re-review."""

import io
import re

import pytest
from application_factories import (
    an_upload,
    client_as,
    create_application,
    create_plan,
    open_plan,
)
from factories import create_org, create_person, create_user, csrf_in
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select
from test_review_routes import fresh, make_table, page, png_file, upload_scan_and_send

from portal.applications import summary
from portal.applications.models import ApplicationStep, SummaryTable
from portal.applications.rules import CANNED_REASONS, Stage
from portal.audit.models import AuditEvent
from portal.extensions import db


@pytest.fixture
def chengdu_setup(app):
    """A Chengdu reviewer with two approved applications of the plan waiting for a table,
    and approved or waiting applications that must not be on it."""
    plan = open_plan()
    other_plan = create_plan(2025, opens_on=plan.opens_on, closes_on=plan.closes_on)
    unit = create_org("成都测试推荐单位", "成都市")
    yes = [
        create_application(plan, unit=unit, stage="initial_approved", seq=51,
                           person=create_person("张珺", education="本科", mobile="13800000001",
                                                address="成都市武侯区一号", seq=51)),
        create_application(plan, unit=unit, stage="initial_approved", seq=53,
                           level="高级考评员", qualification_level=1,
                           person=create_person("李彧", gender="女", seq=52)),
    ]
    no = [
        create_application(plan, unit=unit, stage="initial_review", seq=55,
                           person=create_person("待初审", seq=55)),
        create_application(other_plan, unit=unit, stage="initial_approved", seq=57,
                           person=create_person("另一期", seq=57)),
        create_application(plan, city="绵阳市", unit=create_org("绵阳单位", "绵阳市"),
                           stage="initial_approved", seq=59,
                           person=create_person("绵阳人", "绵阳市", seq=59)),
        create_application(plan, city="四川省", stage="initial_approved", seq=61,
                           person=create_person("省直人", seq=61)),
    ]
    yes[0].person.employer = "成都建工集团"
    db.session.commit()
    reviewer = create_user("chengdu", ["city"], city="成都市", display_name="张经办",
                           phone="028-86000000")
    return plan, yes, no, client_as(app, reviewer)


def the_table() -> SummaryTable:
    return db.session.scalars(select(SummaryTable)).one()


def test_a_table_holds_exactly_the_reviewers_approved_applications_of_the_plan(chengdu_setup):
    plan, yes, no, chengdu = chengdu_setup
    html = page(chengdu, "/applications/tables/new")
    assert "张珺" in html and "李彧" in html
    for other in ("待初审", "另一期", "绵阳人", "省直人"):
        assert other not in html
    assert 'value="成都市职业技能鉴定指导中心"' in html and 'value="张经办"' in html
    assert 'value="028-86000000"' in html

    response = make_table(chengdu, [a.id for a in yes])
    assert response.status_code == 302
    table = the_table()
    assert sorted(a.id for a in table.applications) == sorted(a.id for a in yes)
    assert (table.plan_id, table.reviewer_org_id, table.sent_at) == (plan.id, None, None)
    assert re.fullmatch(r"HZ\d{4}-510100-001", table.number)
    assert all(fresh(a).summary_table_id is None for a in no)
    # already on a table: not offered again
    assert "张珺" not in page(chengdu, "/applications/tables/new")


def test_a_table_can_take_some_of_them_but_never_anothers(chengdu_setup):
    plan, yes, no, chengdu = chengdu_setup
    response = make_table(chengdu, [yes[0].id, no[2].id])  # a Mianyang application
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(SummaryTable)) == 0
    assert make_table(chengdu, [yes[1].id]).status_code == 302
    assert [a.id for a in the_table().applications] == [yes[1].id]
    assert "张珺" in page(chengdu, "/applications/tables/new")


def test_choosing_nothing_is_refused(chengdu_setup):
    _, yes, _, chengdu = chengdu_setup
    response = make_table(chengdu, [])
    assert response.status_code == 422
    assert "请至少选择一份初审通过的申报" in response.get_data(as_text=True)


def test_the_pdf_is_attachment_2_in_landscape_with_names_and_full_id_numbers(chengdu_setup):
    _, yes, _, chengdu = chengdu_setup
    make_table(chengdu, [a.id for a in yes])
    table = the_table()
    response = chengdu.get(f"/applications/tables/{table.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    page1 = reader.pages[0]
    assert page1.mediabox.width > page1.mediabox.height  # landscape
    text = "".join(p.extract_text() for p in reader.pages)
    squashed = re.sub(r"\s+", "", text)
    for words in ("四川省技能人才评价考评员资格培训（复核）汇总表", "填报单位：（盖章）成都市职业技能鉴定指导中心",
                  "张珺", "李彧", yes[0].person.id_number, yes[1].person.id_number,
                  "成都建工集团", "本科", "电工（高级考评员）", "13800000001", "成都市武侯区一号",
                  "国家职业资格三级/高级工", "经办人：张经办", "联系电话：028-86136211", "填报时间",
                  "序号", "身份证号码", "通讯地址"):
        assert re.sub(r"\s+", "", words) in squashed, words


def test_the_xlsx_has_the_header_one_row_each_and_the_footer(chengdu_setup):
    _, yes, _, chengdu = chengdu_setup
    make_table(chengdu, [a.id for a in yes])
    table = the_table()
    response = chengdu.get(f"/applications/tables/{table.id}/xlsx")
    assert response.status_code == 200
    rows = [[c for c in r] for r in load_workbook(io.BytesIO(response.data)).active.iter_rows(
        values_only=True)]
    assert rows[0][0] == "四川省技能人才评价考评员资格培训（复核）汇总表"
    assert rows[1][0] == "填报单位：成都市职业技能鉴定指导中心（盖章）"
    header = rows.index(next(r for r in rows if r[0] == "序号"))
    assert rows[header][:5] == ["序号", "工作单位", "姓名", "性别", "身份证号码"]
    body = rows[header + 1:header + 3]
    assert [(r[0], r[2], r[4]) for r in body] == [
        (1, "张珺", yes[0].person.id_number), (2, "李彧", yes[1].person.id_number)]
    assert any(r[0] and str(r[0]).startswith("经办人：张经办") for r in rows[header + 3:])


def test_a_table_is_sent_only_with_its_stamped_scan(chengdu_setup):
    _, yes, _, chengdu = chengdu_setup
    make_table(chengdu, [a.id for a in yes])
    table = the_table()
    html = page(chengdu, f"/applications/tables/{table.id}")
    assert "请先上传加盖公章的汇总表扫描件" in html
    response = chengdu.post(f"/applications/tables/{table.id}/send",
                            data={"csrf_token": csrf_in(html)})
    assert response.status_code == 422
    assert "不能报送：请先上传加盖公章的汇总表扫描件" in response.get_data(as_text=True)
    assert the_table().sent_at is None
    assert all(fresh(a).stage == Stage.INITIAL_APPROVED for a in yes)

    assert upload_scan_and_send(chengdu, table.id).status_code == 302
    table = the_table()
    assert table.sent_at is not None and table.scan_id is not None
    assert all(fresh(a).stage == Stage.PROVINCE_REVIEW for a in yes)
    steps = db.session.scalars(select(ApplicationStep).where(
        ApplicationStep.action == "send_to_province")).all()
    assert {s.comment for s in steps} == {f"汇总表 {table.number}"} and len(steps) == 2
    # sent: no second send, no new scan, no deletion
    html = page(chengdu, f"/applications/tables/{table.id}")
    assert "报送省职鉴中心</button>" not in html
    for action in ("send", "delete"):
        response = chengdu.post(f"/applications/tables/{table.id}/{action}",
                                data={"csrf_token": csrf_in(html)})
        assert response.status_code == 422 and "已报送" in response.get_data(as_text=True)


def test_sending_is_all_or_nothing(chengdu_setup, app):
    _, yes, _, chengdu = chengdu_setup
    make_table(chengdu, [a.id for a in yes])
    table = the_table()
    table.scan_id = an_upload().id
    # one application moved on meanwhile without leaving the table (not possible through
    # the pages; proves that a refusal part-way leaves every application as it was)
    fresh(yes[1]).stage = Stage.RETURNED_BY_REVIEWER.value
    db.session.commit()
    html = page(chengdu, f"/applications/tables/{table.id}")
    response = chengdu.post(f"/applications/tables/{table.id}/send",
                            data={"csrf_token": csrf_in(html)})
    assert response.status_code == 422
    assert fresh(yes[0]).stage == Stage.INITIAL_APPROVED and the_table().sent_at is None
    assert db.session.scalar(select(func.count()).select_from(ApplicationStep)) == 0


def test_only_the_office_that_made_a_table_sees_it_until_it_is_sent(chengdu_setup, app):
    _, yes, _, chengdu = chengdu_setup
    make_table(chengdu, [a.id for a in yes])
    table = the_table()
    mianyang = client_as(app, create_user("mianyang", ["city"], city="绵阳市"))
    sheng = client_as(app, create_user("sheng", ["province"]))
    for client in (mianyang, sheng):
        for path in ("", "/pdf", "/xlsx"):
            assert client.get(f"/applications/tables/{table.id}{path}").status_code == 404
        assert table.number not in page(client, "/applications/tables")
    assert upload_scan_and_send(chengdu, table.id).status_code == 302
    assert sheng.get(f"/applications/tables/{table.id}").status_code == 200
    assert table.number in page(sheng, "/applications/tables")
    assert mianyang.get(f"/applications/tables/{table.id}").status_code == 404
    # the province reviews, it does not send or delete another office's table
    token = csrf_in(page(sheng, f"/applications/tables/{table.id}"))
    assert sheng.post(f"/applications/tables/{table.id}/delete",
                      data={"csrf_token": token}).status_code == 403


def test_the_province_approves_a_whole_table(chengdu_setup, app):
    _, yes, _, chengdu = chengdu_setup
    make_table(chengdu, [a.id for a in yes])
    table = the_table()
    upload_scan_and_send(chengdu, table.id)
    sheng = client_as(app, create_user("sheng", ["province"]))
    html = page(sheng, f"/applications/tables/{table.id}")
    response = sheng.post(f"/applications/tables/{table.id}/approve",
                          data={"csrf_token": csrf_in(html)})
    assert response.status_code == 302
    assert "复审通过 2 份申报" in page(sheng, response.headers["Location"])
    assert all(fresh(a).stage == Stage.TRAINING for a in yes)
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "application.approve")).all()
    assert len(events) == 2 and all(e.after["capacity"] == "province" for e in events)
    # nothing left to approve
    response = sheng.post(f"/applications/tables/{table.id}/approve",
                          data={"csrf_token": csrf_in(html)})
    assert response.status_code == 422 and "没有待复审的申报" in response.get_data(as_text=True)


def test_the_province_returns_selected_applications_with_a_reason(chengdu_setup, app):
    _, yes, _, chengdu = chengdu_setup
    make_table(chengdu, [a.id for a in yes])
    table = the_table()
    upload_scan_and_send(chengdu, table.id)
    sheng = client_as(app, create_user("sheng", ["province"]))
    token = csrf_in(page(sheng, f"/applications/tables/{table.id}"))

    response = sheng.post(f"/applications/tables/{table.id}/return",
                          data={"csrf_token": token, "application_ids": [str(yes[1].id)]})
    assert response.status_code == 422 and "退回须选择或填写理由" in response.get_data(as_text=True)
    response = sheng.post(f"/applications/tables/{table.id}/return",
                          data={"csrf_token": token, "reasons": [CANNED_REASONS[0]]})
    assert response.status_code == 422 and "请勾选要退回的申报" in response.get_data(as_text=True)
    assert fresh(yes[1]).stage == Stage.PROVINCE_REVIEW

    response = sheng.post(f"/applications/tables/{table.id}/return", data={
        "csrf_token": token, "application_ids": [str(yes[1].id)],
        "reasons": [CANNED_REASONS[0]], "comment": "请核对身份证号码"})
    assert response.status_code == 302
    returned = fresh(yes[1])
    assert returned.stage == Stage.INITIAL_REVIEW and returned.summary_table_id is None
    assert returned.steps[-1].comment == f"{CANNED_REASONS[0]}；请核对身份证号码"
    assert fresh(yes[0]).stage == Stage.PROVINCE_REVIEW
    assert [a.id for a in the_table().applications] == [yes[0].id]
    assert "summary_table.release" in db.session.scalars(select(AuditEvent.action)).all()


def test_an_unsent_table_can_be_deleted_and_its_applications_wait_again(chengdu_setup):
    _, yes, _, chengdu = chengdu_setup
    make_table(chengdu, [a.id for a in yes])
    table = the_table()
    html = page(chengdu, f"/applications/tables/{table.id}")
    response = chengdu.post(f"/applications/tables/{table.id}/delete",
                            data={"csrf_token": csrf_in(html)})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(SummaryTable)) == 0
    assert all(fresh(a).summary_table_id is None for a in yes)
    assert "张珺" in page(chengdu, "/applications/tables/new")
    assert db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == "summary_table")).all() == [
        "summary_table.create", "summary_table.delete"]


def test_returning_an_application_from_an_unsent_table_detaches_the_stamped_scan(chengdu_setup):
    from application_factories import act

    _, yes, _, chengdu = chengdu_setup
    make_table(chengdu, [a.id for a in yes])
    table = the_table()
    html = page(chengdu, f"/applications/tables/{table.id}")
    chengdu.post(f"/applications/tables/{table.id}/scan",
                 data={"csrf_token": csrf_in(html), "scan": png_file()},
                 content_type="multipart/form-data")
    assert the_table().scan_id is not None
    assert act(chengdu, yes[0].id, "return", comment="照片需更换").status_code == 302
    assert fresh(yes[0]).summary_table_id is None
    table = the_table()
    assert table.scan_id is None and [a.id for a in table.applications] == [yes[1].id]
    assert "请先上传加盖公章的汇总表扫描件" in page(chengdu, f"/applications/tables/{table.id}")


def test_a_scan_must_be_a_real_pdf_or_image(chengdu_setup):
    _, yes, _, chengdu = chengdu_setup
    make_table(chengdu, [a.id for a in yes])
    table = the_table()
    html = page(chengdu, f"/applications/tables/{table.id}")
    response = chengdu.post(f"/applications/tables/{table.id}/scan",
                            data={"csrf_token": csrf_in(html),
                                  "scan": (io.BytesIO(b"not a scan"), "scan.pdf")},
                            content_type="multipart/form-data")
    assert response.status_code == 422
    assert "只接受 PDF、JPG 或 PNG 文件" in response.get_data(as_text=True)
    assert the_table().scan_id is None


def test_table_numbers_are_unique_per_office_and_year(chengdu_setup):
    plan, yes, _, chengdu = chengdu_setup
    from portal.auth.models import User

    user = db.session.scalars(select(User).where(User.username == "chengdu")).one()
    [office] = summary.offices_of(user)
    first = summary.create_table(user=user, office=office, plan=plan, application_ids=[yes[0].id],
                                 filled_by="x", contact_name="y", contact_phone="028-1")
    second = summary.create_table(user=user, office=office, plan=plan,
                                  application_ids=[yes[1].id], filled_by="x", contact_name="y",
                                  contact_phone="028-1")
    db.session.commit()
    assert first.number[-4:] == "-001" and second.number[-4:] == "-002"
    assert first.number[:-4] == second.number[:-4]
