"""The violations register: recording by units, city centres, the province and a batch's
raters; the checks on examiner, kind, date, batch and evidence; scope; the decision by the
examiner's city centre or the province; and the renewal term report fed by confirmed
violations of rules 3–7."""

import io
import re
from datetime import date, datetime, timedelta

import pytest
from application_factories import client_as
from factories import (
    create_assignment,
    create_batch,
    create_card,
    create_org,
    create_person,
    create_user,
    csrf_in,
    default_org,
    login,
    region,
)
from PIL import Image
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.people.idcard import mask_id_number
from portal.renewals.models import RenewalApplication, RenewalPlan, Violation
from portal.renewals.queries import term_report
from portal.timeutil import local_today, utcnow
from portal.uploads.models import Upload
from portal.violations import rules
from portal.violations.rules import Decision, kind_info, may_decide, occurred_on_problem

# --- helpers -------------------------------------------------------------------------------------


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (180, 40, 40)).save(out, "PNG")
    return out.getvalue()


def examiner(name="王考评", city="成都市", *, org=None, seq=1, card=True):
    person = create_person(name, city, org=org, seq=seq)
    if card:
        create_card(person, issued_on=date(2024, 3, 4))
    return person


def form_data(client, person, *, kind="fraud_bribery", occurred_on=None, batch=None,
              description="考评中收受考生红包，经现场督导员发现。", evidence=None, path=None):
    """What the form would post (with the page's CSRF token)."""
    page = client.get(path or "/violations/new").get_data(as_text=True)
    data = {"csrf_token": csrf_in(page), "person_id": str(person.id), "kind": kind,
            "occurred_on": (occurred_on or local_today() - timedelta(days=3)).isoformat(),
            "batch_id": str(batch.id) if batch else "", "description": description}
    if evidence is not None:
        data["evidence"] = evidence
    return data


def post_record(client, person, **kw):
    path = kw.pop("path", None) or "/violations/new"
    data = form_data(client, person, path=path, **kw)
    return client.post(path, data=data, content_type="multipart/form-data")


def make_violation(person, *, kind="fraud_bribery", status="reported", occurred_on=None,
                   batch=None, reporter_org=None, reporter_city=None, reported_by=None):
    """A record made directly (for scope and decision tests)."""
    v = Violation(person_id=person.id, kind=kind,
                  occurred_on=occurred_on or local_today() - timedelta(days=20),
                  batch_id=batch.id if batch else None, description="测试记录",
                  reporter_org_id=reporter_org.id if reporter_org else None,
                  reporter_region_id=region(reporter_city).id if reporter_city else None,
                  reported_by_id=reported_by.id if reported_by else None, status=status)
    if status != "reported":
        v.decided_at, v.decision_reason = utcnow(), "已核实"
    db.session.add(v)
    db.session.commit()
    return v


def decide(client, violation, decision="confirm", reason="经核实，情况属实。"):
    page = client.get(f"/violations/{violation.id}").get_data(as_text=True)
    seen = re.search(r'name="seen" type="hidden" value="([^"]*)"', page) or re.search(
        r'id="seen" name="seen" type="hidden" value="([^"]*)"', page)
    data = {"csrf_token": csrf_in(page), "decision": decision, "reason": reason,
            "seen": seen.group(1) if seen else ""}
    return client.post(f"/violations/{violation.id}/decide", data=data)


def events(action):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


# --- recording -----------------------------------------------------------------------------------

def test_a_unit_records_a_violation_with_evidence(client, login_as):
    unit = login_as("unit")
    person = examiner(org=unit.organisation)
    batch = create_batch(unit.organisation)
    create_assignment(batch, person_card(person), answer="accepted", with_sheet=False)
    response = post_record(client, person, batch=batch,
                           evidence=(io.BytesIO(png_bytes()), "现场照片.png"))
    assert response.status_code == 302, response.get_data(as_text=True)
    v = db.session.scalars(select(Violation)).one()
    assert (v.person_id, v.kind, v.status, v.batch_id) == (person.id, "fraud_bribery",
                                                            "reported", batch.id)
    assert v.reporter_org_id == unit.organisation_id and v.reporter_region_id is None
    assert v.reported_by_id == unit.id and v.evidence.original_name == "现场照片.png"
    [event] = events("violation.create")
    assert event.entity_id == str(v.id) and event.after["kind"] == "fraud_bribery"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已登记" in html and "待核实" in html and "弄虚作假" in html
    assert "现场照片.png" in html and batch.number in html
    # Whoever may see the record may open its evidence.
    with client.get(f"/files/{v.evidence_id}") as download:
        assert download.status_code == 200


def test_a_city_centre_records_for_its_region(client, login_as):
    city = login_as("city")
    person = examiner(org=create_org("成都某公司"))
    response = post_record(client, person, kind="erroneous_judgment")
    assert response.status_code == 302
    v = db.session.scalars(select(Violation)).one()
    assert v.reporter_region_id == city.region_id and v.reporter_org_id is None
    assert len(events("violation.create")) == 1


def test_the_province_records_as_the_province(client, login_as):
    login_as("province")
    person = examiner("李绵阳", "绵阳市")
    response = post_record(client, person, kind="criminal")
    assert response.status_code == 302
    v = db.session.scalars(select(Violation)).one()
    assert v.reporter_region.is_province and v.reporter_org_id is None
    assert "省职鉴中心" in client.get(f"/violations/{v.id}").get_data(as_text=True)


def test_a_date_in_the_future_is_refused(client, login_as):
    unit = login_as("unit")
    person = examiner(org=unit.organisation)
    response = post_record(client, person, occurred_on=local_today() + timedelta(days=1))
    assert response.status_code == 422
    assert "发生日期不能晚于今天" in response.get_data(as_text=True)
    assert count(Violation) == 0 and not events("violation.create")


def test_a_batch_of_another_unit_is_refused(client, login_as):
    unit = login_as("unit")
    person = examiner(org=unit.organisation)
    theirs = create_batch(create_org("成都另一评价中心"))
    create_assignment(theirs, person_card(person), answer="accepted", with_sheet=False)
    response = post_record(client, person, batch=theirs)
    assert response.status_code == 422
    assert "只能选择本单位的考评批次" in response.get_data(as_text=True)
    assert count(Violation) == 0


def test_an_examiner_not_assigned_to_the_batch_is_refused(client, login_as):
    unit = login_as("unit")
    person = examiner(org=unit.organisation)
    batch = create_batch(unit.organisation)
    response = post_record(client, person, batch=batch)
    assert response.status_code == 422
    assert "该考评员未被指派到此考评批次" in response.get_data(as_text=True)
    assert count(Violation) == 0


def test_a_file_that_is_not_a_pdf_or_image_is_refused(client, login_as):
    unit = login_as("unit")
    person = examiner(org=unit.organisation)
    response = post_record(client, person,
                           evidence=(io.BytesIO(b"%PDF-1.4 this is not a real pdf"), "证据.pdf"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "只接受 PDF、JPG 或 PNG 文件" in html
    assert count(Violation) == 0 and count(Upload) == 0


@pytest.mark.parametrize("description,message", [("", "请填写情况说明"),
                                                 ("很" * 2001, "不能超过 2000 个字符")])
def test_the_description_is_required_and_limited(client, login_as, description, message):
    unit = login_as("unit")
    person = examiner(org=unit.organisation)
    response = post_record(client, person, description=description)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert count(Violation) == 0


def test_a_unit_may_not_record_against_an_examiner_it_cannot_see(client, login_as):
    login_as("unit")
    stranger = examiner("赵别家", org=create_org("成都另一评价中心"))
    response = post_record(client, stranger)
    assert response.status_code == 422
    assert "请从搜索结果中选择考评员" in response.get_data(as_text=True)
    assert count(Violation) == 0
    # The search does not offer them either.
    html = client.get("/violations/new/people?q=赵").get_data(as_text=True)
    assert "赵别家" not in html


def test_a_unit_may_report_an_examiner_of_another_unit_who_worked_in_its_batch(client, login_as):
    unit = login_as("unit")
    guest = examiner("钱外援", org=create_org("成都另一评价中心"))
    batch = create_batch(unit.organisation)
    create_assignment(batch, person_card(guest), answer="accepted", with_sheet=False)
    assert "钱外援" in client.get("/violations/new/people?q=钱").get_data(as_text=True)
    assert "钱外援" in client.get(f"/violations/new?batch_id={batch.id}").get_data(as_text=True)
    options = client.get(f"/violations/new/batches?person_id={guest.id}").get_data(as_text=True)
    assert batch.number in options
    response = post_record(client, guest, batch=batch, kind="refused_recusal")
    assert response.status_code == 302
    v = db.session.scalars(select(Violation)).one()
    assert v.batch_id == batch.id and v.reporter_org_id == unit.organisation_id


def test_people_without_a_card_are_not_offered(client, login_as):
    unit = login_as("unit")
    examiner("孙无证", org=unit.organisation, card=False)
    examiner("孙持证", org=unit.organisation, seq=2)
    html = client.get("/violations/new/people?q=孙").get_data(as_text=True)
    assert "孙持证" in html and "孙无证" not in html


def test_a_batch_rater_reports_an_incident_of_their_batch(app, client, login_as):
    supervisor = login_as("supervisor")
    person = examiner(org=default_org())
    batch = create_batch(supervisor=supervisor)
    create_assignment(batch, person_card(person), answer="accepted", with_sheet=False)
    batch_page = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert f"/violations/new?batch_id={batch.id}" in batch_page and "登记违规/事件" in batch_page
    path = f"/violations/new?batch_id={batch.id}"
    page = client.get(path).get_data(as_text=True)
    assert "重大突发事件报告" in page and "隐瞒重大突发事件" in page
    assert 'value="fraud_bribery"' not in page and "王考评" in page
    refused = post_record(client, person, batch=batch, kind="fraud_bribery", path=path)
    assert refused.status_code == 422 and "您只能登记" in refused.get_data(as_text=True)
    response = post_record(client, person, batch=batch, kind="incident", path=path)
    assert response.status_code == 302
    v = db.session.scalars(select(Violation)).one()
    assert v.kind == "incident" and v.reported_by_id == supervisor.id
    # The rater sees what they reported; the batch's unit sees it as a record of its batch.
    assert client.get(f"/violations/{v.id}").status_code == 200
    clerk = create_user("clerk", ["unit"], org=default_org())
    assert client_as(app, clerk).get(f"/violations/{v.id}").status_code == 200


def test_a_rater_cannot_record_for_a_batch_they_do_not_rate(client, login_as):
    login_as("supervisor")
    batch = create_batch()
    assert client.get(f"/violations/new?batch_id={batch.id}").status_code == 404
    person = examiner(org=default_org())
    response = post_record(client, person, kind="incident")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "须选择所报告的考评批次" in html


def test_the_batch_page_links_the_form_for_the_institutions_clerk(client, login_as):
    unit = login_as("unit")
    batch = create_batch(unit.organisation)
    html = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert f"/violations/new?batch_id={batch.id}" in html


def test_the_form_for_a_batch_lists_its_examiners_and_shows_the_rule_text(client, login_as):
    unit = login_as("unit")
    person = examiner(org=unit.organisation)
    examiner("冯未指派", org=unit.organisation, seq=3)
    batch = create_batch(unit.organisation)
    create_assignment(batch, person_card(person), answer="accepted", with_sheet=False)
    html = client.get(f"/violations/new?batch_id={batch.id}").get_data(as_text=True)
    assert "王考评" in html and "冯未指派" not in html and batch.number in html
    assert "弄虚作假、徇私舞弊、违规收受考生或机构的红包礼金等有价财物、接受宴请的" in html
    assert mask_id_number(person.id_number) in html and person.id_number not in html


# --- scope ----------------------------------------------------------------------------------------

def test_a_unit_sees_its_own_records_and_those_in_its_batches(client, login_as):
    unit = login_as("unit")
    ours = examiner("甲本单位", org=unit.organisation)
    other_org = create_org("成都另一评价中心")
    theirs = examiner("乙别单位", org=other_org, seq=2)
    batch = create_batch(unit.organisation)
    create_assignment(batch, person_card(theirs), answer="accepted", with_sheet=False)
    mine = make_violation(ours, reporter_org=unit.organisation)
    in_batch = make_violation(theirs, batch=batch, reporter_city="成都市", kind="incident")
    elsewhere = make_violation(theirs, reporter_org=other_org, kind="criminal")
    html = client.get("/violations/").get_data(as_text=True)
    assert "甲本单位" in html and "乙别单位" in html
    assert html.count("/violations/" + str(elsewhere.id) + '"') == 0
    assert f"/violations/{mine.id}" in html and f"/violations/{in_batch.id}" in html
    assert mask_id_number(ours.id_number) in html and ours.id_number not in html
    assert client.get(f"/violations/{elsewhere.id}").status_code == 404


def test_another_city_gets_404(client, login_as):
    person = examiner(org=default_org())
    v = make_violation(person, reporter_org=default_org())
    create_user("mianyang", ["city"], city="绵阳市")
    login(client, "mianyang")
    assert client.get(f"/violations/{v.id}").status_code == 404
    assert "王考评" not in client.get("/violations/").get_data(as_text=True)


def test_an_examiner_sees_their_own_decided_records_only(app, client, login_as):
    person = examiner(org=default_org())
    reported = make_violation(person, kind="refused_recusal")
    confirmed = make_violation(person, status="confirmed", kind="erroneous_judgment")
    user = create_user("examiner1", ["applicant"], person=person)
    own = client_as(app, user)
    assert own.get(f"/violations/{reported.id}").status_code == 404
    page = own.get(f"/violations/{confirmed.id}")
    assert page.status_code == 200 and "已核实" in page.get_data(as_text=True)
    me = own.get("/me").get_data(as_text=True)
    assert f"/violations/{confirmed.id}" in me and f"/violations/{reported.id}" not in me
    assert own.get("/violations/").status_code == 403


# --- deciding ------------------------------------------------------------------------------------

def test_the_examiners_city_confirms(client, login_as):
    person = examiner(org=default_org())
    v = make_violation(person, reporter_org=default_org())
    city = login_as("city")
    response = decide(client, v, "confirm", "经调查核实，情况属实。")
    assert response.status_code == 302
    db.session.refresh(v)
    assert v.status == "confirmed" and v.decided_by_id == city.id
    assert v.decision_reason == "经调查核实，情况属实。"
    [event] = events("violation.confirm")
    assert event.before["status"] == "reported" and event.after["status"] == "confirmed"
    html = client.get(f"/violations/{v.id}").get_data(as_text=True)
    assert "已确认" in html and "不得复核换证的情形第6项" in html
    # Decided: read-only for the city.
    assert f'action="/violations/{v.id}/decide"' not in html
    assert decide(client, v, "dismiss").status_code == 403


def test_the_province_dismisses_and_may_correct_with_history(client, login_as):
    person = examiner("李绵阳", "绵阳市")
    v = make_violation(person, reporter_city="绵阳市")
    login_as("province")
    assert decide(client, v, "dismiss", "证据不足。").status_code == 302
    db.session.refresh(v)
    assert v.status == "dismissed"
    # A correction by the province: a new decision and reason, the old one kept in the audit.
    assert decide(client, v, "confirm", "补充材料证实属实，更正认定。").status_code == 302
    db.session.refresh(v)
    assert v.status == "confirmed" and v.decision_reason == "补充材料证实属实，更正认定。"
    [dismissal] = events("violation.dismiss")
    [correction] = events("violation.confirm")
    assert correction.before["status"] == "dismissed" and correction.after["correction"]
    assert correction.before["decision_reason"] == "证据不足。"
    html = client.get(f"/violations/{v.id}").get_data(as_text=True)
    assert "证据不足。" in html and "（更正）" in html


def test_the_reporting_unit_and_another_city_may_not_decide(app, client, login_as):
    person = examiner(org=default_org())
    unit = login_as("unit")
    v = make_violation(person, reporter_org=unit.organisation)
    assert client.get(f"/violations/{v.id}").status_code == 200
    assert decide(client, v).status_code == 403
    # A city centre that recorded it for an examiner of another city sees it, but may not decide.
    mianyang = create_user("mianyang", ["city"], city="绵阳市")
    theirs = make_violation(person, reporter_city="绵阳市", reported_by=mianyang)
    other = client_as(app, mianyang)
    assert other.get(f"/violations/{theirs.id}").status_code == 200
    assert decide(other, theirs).status_code == 403
    assert decide(other, v).status_code == 404
    db.session.refresh(v)
    assert v.status == "reported" and not events("violation.confirm")


@pytest.mark.parametrize("decision,reason,message", [("confirm", "", "请填写认定理由"),
                                                     ("dismiss", "  ", "请填写认定理由"),
                                                     ("", "理由", "请选择“确认”或“不予认定”")])
def test_a_decision_needs_a_reason(client, login_as, decision, reason, message):
    person = examiner(org=default_org())
    v = make_violation(person)
    login_as("city")
    response = decide(client, v, decision, reason)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    db.session.refresh(v)
    assert v.status == "reported" and not events("violation.confirm")


# --- the renewal term report ---------------------------------------------------------------------

def renewal_for(person, card, submitted=datetime(2026, 4, 10, 2, 0)):
    plan = RenewalPlan(year=2026, title="2026年复核换证", opens_on=date(2026, 3, 28),
                       closes_on=date(2026, 4, 27), expiry_cutoff=date(2026, 4, 27),
                       published_at=utcnow())
    application = RenewalApplication(
        plan=plan, person=person, card=card, region=person.region, unit=default_org(),
        name=person.name, gender=person.gender, id_number=person.id_number,
        stage="initial_review", submitted_at=submitted)
    db.session.add(application)
    db.session.commit()
    return application


def test_confirmed_fraud_is_rule_6_of_the_term_report_and_dismissed_or_incidents_are_not(
        client, login_as):
    person = create_person("吴换证", org=default_org(), seq=5)
    card = create_card(person, issued_on=date(2023, 4, 1))
    application = renewal_for(person, card)
    dismissed = make_violation(person, occurred_on=date(2025, 6, 1))
    incident = make_violation(person, kind="incident", occurred_on=date(2025, 7, 1))
    login_as("province")
    assert decide(client, dismissed, "dismiss", "证据不足。").status_code == 302
    assert decide(client, incident, "confirm", "已报告。").status_code == 302
    assert [f.rule for f in term_report(application).findings] == []
    fraud = make_violation(person, occurred_on=date(2025, 9, 1))
    assert decide(client, fraud, "confirm", "属实。").status_code == 302
    findings = term_report(application).findings
    assert [f.rule for f in findings] == [6] and findings[0].record_ids == (fraud.id,)


# --- the registry page and the list ----------------------------------------------------------------

def test_the_registry_page_lists_the_examiners_records(client, login_as):
    person = examiner(org=default_org())
    batch = create_batch()
    v = make_violation(person, batch=batch, status="confirmed")
    make_violation(person, kind="incident", occurred_on=local_today() - timedelta(days=2))
    login_as("province")
    html = client.get(f"/registry/people/{person.id}").get_data(as_text=True)
    section = html.split('id="violations"')[1]
    assert f"/violations/{v.id}" in section and batch.number in section
    assert "弄虚作假" in section and "重大突发事件报告" in section and "已确认" in section
    assert "在复核换证初审时计入任期核实" in section and "尚未开通" not in section
    assert f"/violations/new?person_id={person.id}" in section


def test_the_list_filters_by_status_kind_person_and_city(client, login_as):
    chengdu = examiner("陈成都", org=default_org())
    mianyang = examiner("林绵阳", "绵阳市", seq=2)
    make_violation(chengdu, status="confirmed")
    make_violation(mianyang, kind="incident")
    login_as("province")
    assert "陈成都" in client.get("/violations/").get_data(as_text=True)
    by_status = client.get("/violations/?status=reported").get_data(as_text=True)
    assert "林绵阳" in by_status and "陈成都" not in by_status
    by_kind = client.get("/violations/?kind=fraud_bribery").get_data(as_text=True)
    assert "陈成都" in by_kind and "林绵阳" not in by_kind
    by_name = client.get("/violations/?q=林").get_data(as_text=True)
    assert "林绵阳" in by_name and "陈成都" not in by_name
    by_city = client.get(f"/violations/?region={region('绵阳市').id}").get_data(as_text=True)
    assert "林绵阳" in by_city and "陈成都" not in by_city
    partial = client.get("/violations/?status=confirmed", headers={"HX-Request": "true"})
    body = partial.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="violations-table"') and "陈成都" in body


def person_card(person):
    from portal.cards.models import Card

    return db.session.scalars(select(Card).where(Card.person_id == person.id)).first()


# --- pure rules -----------------------------------------------------------------------------------

@pytest.mark.pure
def test_kinds_have_chinese_labels_and_rules():
    assert [kind_info(k).rule for k in rules.KINDS] == [3, 4, 5, 6, 7, None]
    assert kind_info("incident").label == "重大突发事件报告"
    assert not kind_info("incident").counts_for_renewal
    assert kind_info("fraud_bribery").short == "弄虚作假、徇私舞弊、收受财物（第6项）"
    with pytest.raises(ValueError):
        kind_info("other")


@pytest.mark.pure
@pytest.mark.parametrize("capacity,status,allowed", [
    ("city", "reported", True), ("province", "reported", True),
    ("city", "confirmed", False), ("city", "dismissed", False),
    ("province", "confirmed", True), ("province", "dismissed", True),
    (None, "reported", False)])
def test_who_may_decide(capacity, status, allowed):
    assert may_decide(capacity, status) is allowed


@pytest.mark.pure
def test_dates_and_decisions():
    today = date(2026, 5, 1)
    assert occurred_on_problem(today, today) is None
    assert occurred_on_problem(today + timedelta(days=1), today) == "发生日期不能晚于今天"
    assert Decision.DISMISS.label == "不予认定" and Decision.CONFIRM.status == "confirmed"
