"""An institution creates a batch, searches eligible card holders, assigns them after
confirming every warning, records their answers and judges refusals; examiners declare
recusals; each role sees only its batches; every POST needs the CSRF token."""

from datetime import date, timedelta

import pytest
from factories import (
    create_assignment,
    create_batch,
    create_card,
    create_org,
    create_person,
    create_user,
    occupation,
)
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.batches import operations, queries, rules
from portal.batches.models import Assignment, EvaluationBatch
from portal.cards.models import Card
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.sheets.models import EvaluationSheet
from portal.timeutil import utcnow

DAY = date(2026, 6, 10)
HX = {"HX-Request": "true"}


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def examiner(name: str, seq: int, *, city="成都市", org=None, **card):
    """A person with one card (valid from 2025-03-02 to 2028-03-02, collected, 电工 考评员)."""
    person = create_person(name, city, org=org, seq=seq)
    card.setdefault("number", f"川考评-2025-{seq:06d}")
    return create_card(person, **card)


def the_org():
    return db.session.scalars(
        select(Organisation).where(Organisation.name == "成都测试评价中心")).first()


# --- creating a batch ----------------------------------------------------------------------------

def test_unit_creates_a_numbered_batch_for_its_own_organisation(client, login_as, csrf):
    unit = login_as("unit")
    lead = create_user("lead", ["site_lead"], org=unit.organisation, display_name="王考场")
    sup = create_user("sup", ["supervisor"], display_name="陈督导")
    form = client.get("/batches/new").get_data(as_text=True)
    assert "王考场" in form and "陈督导" in form and "一级/高级技师" in form
    response = client.post("/batches/new", data={
        "csrf_token": csrf("/batches/new"), "occupation_id": str(occupation("电工").id),
        "level": "4", "start": "2026-06-10", "end": "2026-06-11", "site": "成都市某考点",
        "candidates": "40", "site_lead_id": str(lead.id), "supervisor_id": str(sup.id),
    })
    assert response.status_code == 302
    batch = db.session.scalars(select(EvaluationBatch)).one()
    assert batch.number == "KP2026-5101-0001"
    assert batch.organisation_id == unit.organisation_id and batch.level == 4
    assert batch.exam_days == [DAY, DAY + timedelta(days=1)]
    assert (batch.first_date, batch.last_date) == (DAY, DAY + timedelta(days=1))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已创建考评批次 KP2026-5101-0001" in page and "四级/中级工" in page
    assert "2026年6月10日</span> 至 <span class=\"nowrap\">2026年6月11日" in page
    assert "王考场" in page
    [event] = events("batch.create")
    assert event.actor_id == unit.id and event.after["number"] == "KP2026-5101-0001"


def test_batch_numbers_count_per_year_and_region():
    chengdu, mianyang = create_org(), create_org("绵阳测试评价中心", "绵阳市")
    values = dict(occupation_id=occupation("电工").id, level=4, end=None, site="考点",
                  candidates=1, site_lead_id=None, supervisor_id=None)
    numbers = [
        operations.create_batch(organisation=chengdu, start=date(2026, 6, 1), **values).number,
        operations.create_batch(organisation=chengdu, start=date(2026, 7, 1), **values).number,
        operations.create_batch(organisation=mianyang, start=date(2026, 7, 1), **values).number,
        operations.create_batch(organisation=chengdu, start=date(2025, 7, 1), **values).number,
    ]
    assert numbers == ["KP2026-5101-0001", "KP2026-5101-0002", "KP2026-5107-0001",
                       "KP2025-5101-0001"]


def test_a_number_taken_meanwhile_is_taken_again_once(monkeypatch):
    org = create_org()
    create_batch(org, number="KP2026-5101-0001")
    real = operations._next_number
    calls = []

    def racing(year, code):  # the first call sees the table before the other insert
        calls.append(year)
        return "KP2026-5101-0001" if len(calls) == 1 else real(year, code)

    monkeypatch.setattr(operations, "_next_number", racing)
    batch = operations.create_batch(
        organisation=org, occupation_id=occupation("电工").id, level=4, start=DAY, end=None,
        site="考点", candidates=1, site_lead_id=None, supervisor_id=None)
    db.session.commit()
    assert batch.number == "KP2026-5101-0002" and len(calls) == 2
    assert count(EvaluationBatch) == 2 and len(events("batch.create")) == 1


def test_batch_form_errors_are_chinese_and_next_to_the_field(client, login_as, csrf):
    unit = login_as("unit")
    other_lead = create_user("other_lead", ["site_lead"], org=create_org("别家"))
    data = {"csrf_token": csrf("/batches/new"), "occupation_id": str(occupation("电工").id),
            "level": "4", "start": "2026-06-10", "end": "2026-06-09", "site": "",
            "candidates": "x", "site_lead_id": str(other_lead.id), "supervisor_id": ""}
    response = client.post("/batches/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for message in ["结束日期不能早于开始日期", "请填写考点", "请填写整数", "请从列表中选择"]:
        assert message in page
    data.update(end="2026-06-30", site="考点", candidates="3", site_lead_id="")
    page = client.post("/batches/new", data=data).get_data(as_text=True)
    assert "一个批次的考评日期最多连续 14 天" in page and "请选择考场负责人" in page
    assert count(EvaluationBatch) == 0 and unit.organisation_id


@pytest.mark.parametrize("role", ["city", "province", "site_lead", "supervisor", "applicant"])
def test_only_units_create_batches(client, login_as, role):
    login_as(role)
    assert client.get("/batches/new").status_code == 403


# --- who sees which batch ------------------------------------------------------------------------

@pytest.fixture
def three_batches():
    """A: the unit's org in 成都, B: another 成都 org, C: a 绵阳 org."""

    def make(supervisor=None, site_lead=None):
        org_a = the_org() or create_org()
        a = create_batch(org_a, number="KP2026-5101-0001", supervisor=supervisor,
                         site_lead=site_lead)
        b = create_batch(create_org("成都别家评价中心"), number="KP2026-5101-0002")
        c = create_batch(create_org("绵阳测试评价中心", "绵阳市"), number="KP2026-5107-0001")
        return a, b, c

    return make


@pytest.mark.parametrize("role, visible", [
    ("unit", {"KP2026-5101-0001"}),
    ("city", {"KP2026-5101-0001", "KP2026-5101-0002"}),
    ("province", {"KP2026-5101-0001", "KP2026-5101-0002", "KP2026-5107-0001"}),
    ("supervisor", {"KP2026-5101-0001"}),
    ("site_lead", {"KP2026-5101-0001"}),
])
def test_each_role_sees_only_its_batches(client, login_as, three_batches, role, visible):
    user = login_as(role)
    named = {"supervisor": user} if role == "supervisor" else (
        {"site_lead": user} if role == "site_lead" else {})
    batches = three_batches(**named)
    listing = client.get("/batches/").get_data(as_text=True)
    for batch in batches:
        shown = batch.number in visible
        assert (batch.number in listing) is shown, batch.number
        assert client.get(f"/batches/{batch.id}").status_code == (200 if shown else 404)


def test_a_rater_sees_only_the_batches_naming_them(client, login_as, three_batches):
    user = login_as("supervisor")
    a, b, c = three_batches()  # none names this supervisor
    assert "KP2026" not in client.get("/batches/").get_data(as_text=True)
    assert client.get(f"/batches/{a.id}").status_code == 404
    a.supervisor_id = user.id
    db.session.commit()
    assert client.get(f"/batches/{a.id}").status_code == 200


def test_other_applicants_get_404_and_no_list(client, login_as, three_batches):
    login_as("applicant")
    a, b, c = three_batches()
    assert client.get("/batches/").status_code == 403
    for batch in (a, b, c):
        assert client.get(f"/batches/{batch.id}").status_code == 404
    assert client.get("/batches/99999").status_code == 404


def test_visible_batch_but_forbidden_action_is_403(client, login_as, csrf):
    sup = login_as("supervisor")
    batch = create_batch(supervisor=sup)
    card = examiner("李考评", 11)
    assignment = create_assignment(batch, card)
    token = csrf("/batches/")
    assert client.get(f"/batches/{batch.id}/candidates").status_code == 403
    assert client.post(f"/batches/{batch.id}/assignments",
                       data={"csrf_token": token, "card_id": card.id}).status_code == 403
    assert client.post(f"/batches/{batch.id}/assignments/{assignment.id}/answer",
                       data={"csrf_token": token, "answer": "accepted"}).status_code == 403
    assert client.post(f"/batches/{batch.id}/raters",
                       data={"csrf_token": token, "supervisor_id": ""}).status_code == 403
    assert "指派考评员" not in client.get(f"/batches/{batch.id}").get_data(as_text=True)


# --- the search: who may be assigned -------------------------------------------------------------

def test_search_lists_only_eligible_card_holders(client, login_as):
    login_as("unit")
    batch = create_batch(days=[DAY, DAY + timedelta(days=1)], level=4)
    examiner("合格甲", 1)
    examiner("高级乙", 2, level="高级考评员")
    examiner("过期丙", 3, issued_on=date(2023, 6, 10))  # valid until 2026-06-10 only
    examiner("焊工丁", 4, occupation_name="焊工")
    examiner("未领戊", 5, collected=False)
    voided = examiner("作废己", 6)
    voided.voided_on = DAY + timedelta(days=1)
    revoked = examiner("注销庚", 7)
    revoked.revoked_on = DAY
    late = examiner("晚领辛", 8, issued_on=DAY - timedelta(days=10))
    late.collected_on = DAY + timedelta(days=1)  # collected after the first exam day
    db.session.commit()

    page = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    for name in ["合格甲", "高级乙"]:
        assert name in page
    for name in ["过期丙", "焊工丁", "未领戊", "作废己", "注销庚", "晚领辛"]:
        assert name not in page, name

    senior_batch = create_batch(level=2, number="KP2026-5101-0099")
    page = client.get(f"/batches/{senior_batch.id}/candidates", headers=HX).get_data(as_text=True)
    assert "高级乙" in page and "合格甲" not in page  # a 考评员 card does not cover 二级


def test_active_search_returns_the_results_partial(client, login_as):
    login_as("unit")
    batch = create_batch()
    card = examiner("张三丰", 1)
    examiner("李四", 2)
    response = client.get(f"/batches/{batch.id}/candidates?q=张三", headers=HX)
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="candidates">') and "<html" not in body
    assert "张三丰" in body and "李四" not in body and card.number in body
    assert card.person.id_number not in body and "********" in body  # masked
    assert "HX-Request" in response.headers["Vary"]
    by_number = client.get(f"/batches/{batch.id}/candidates?q={card.number}", headers=HX)
    assert "张三丰" in by_number.get_data(as_text=True)
    full = client.get(f"/batches/{batch.id}/candidates?q=李四").get_data(as_text=True)
    assert "<html" in full and "李四" in full


def test_assigned_people_leave_the_search_and_at_most_twenty_are_listed(client, login_as):
    login_as("unit")
    batch = create_batch()
    cards = [examiner(f"考评员{i:02d}", i) for i in range(1, 23)]
    create_assignment(batch, cards[0])
    found = queries.search_candidates(batch)
    assert len(found) == 20 and cards[0] not in found


def test_sql_search_agrees_with_the_rule_on_every_boundary():
    d1, d3 = DAY, DAY + timedelta(days=2)
    batches = [create_batch(days=[d1, d1 + timedelta(days=1), d3], level=4, number="KP-A"),
               create_batch(days=[d1], level=2, number="KP-B"),
               create_batch(days=[d3], level=5, number="KP-C")]
    specs = [
        {},
        {"level": "高级考评员"},
        {"occupation_name": "焊工"},
        {"issued_on": d1, "collected_on": d1},
        {"issued_on": d1, "collected_on": d1 + timedelta(days=1)},
        {"issued_on": d1 + timedelta(days=1), "collected_on": d1 + timedelta(days=1)},
        {"issued_on": d3, "collected_on": d3},
        {"issued_on": d1 - timedelta(days=3), "collected_on": None},
        {"valid_until": d3}, {"valid_until": d3 - timedelta(days=1)},
        {"valid_until": d1}, {"valid_until": d1 - timedelta(days=1)},
        {"voided_on": d1}, {"voided_on": d3}, {"voided_on": d3 + timedelta(days=1)},
        {"revoked_on": d1 + timedelta(days=1)}, {"revoked_on": d3},
        {"revoked_on": d3 + timedelta(days=1)},
        {"superseded_on": d1}, {"superseded_on": d3}, {"superseded_on": d3 + timedelta(days=1)},
    ]
    for i, spec in enumerate(specs, start=1):
        spec = dict(spec)
        fields = {k: spec.pop(k) for k in ("collected_on", "valid_until", "voided_on",
                                           "revoked_on", "superseded_on") if k in spec}
        card = examiner(f"边界{i}", i, **spec)
        for key, value in fields.items():
            setattr(card, key, value)
        if card.valid_until <= card.issued_on:
            card.issued_on = card.valid_until - timedelta(days=400)
    db.session.commit()
    cards = db.session.scalars(select(Card)).all()
    for batch in batches:
        by_sql = set(db.session.scalars(select(Card.id).where(
            *queries.eligible_conditions(batch))))
        by_rule = {c.id for c in cards if operations.covers(c, batch) == []}
        assert by_sql == by_rule, batch.number
        assert by_rule  # each batch has someone on the right side of a boundary


# --- assigning, with warnings --------------------------------------------------------------------

def test_an_examiner_without_warnings_is_assigned_at_once(client, login_as, csrf):
    unit = login_as("unit")
    batch = create_batch()
    card = examiner("李考评", 11)
    response = client.post(f"/batches/{batch.id}/assignments",
                           data={"csrf_token": csrf("/batches/"), "card_id": card.id})
    assert response.status_code == 302  # PRG without htmx
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已指派 李考评" in page and "待答复" in page
    [assignment] = db.session.scalars(select(Assignment)).all()
    assert (assignment.answer, assignment.confirmed_warnings) == ("pending", [])
    assert assignment.assigned_by_id == unit.id and assignment.card_id == card.id
    [event] = events("assignment.create")
    assert event.after["confirmed_warnings"] == []


def test_recusal_warning_must_be_confirmed_and_is_recorded(client, login_as, csrf):
    unit = login_as("unit")
    batch = create_batch()
    card = examiner("本机构人", 12, org=unit.organisation)
    url, token = f"/batches/{batch.id}/assignments", csrf("/batches/")

    first = client.post(url, data={"csrf_token": token, "card_id": card.id}, headers=HX)
    body = first.get_data(as_text=True)
    assert first.status_code == 200 and body.lstrip().startswith('<div id="assign-panel">')
    assert "我已知悉并确认：该考评员是本批次评价机构的在职人员" in body
    assert 'name="confirm" value="recusal"' in body
    assert count(Assignment) == 0

    unticked = client.post(url, data={"csrf_token": token, "card_id": card.id,
                                      "step": "confirm"}, headers=HX)
    assert unticked.status_code == 422
    assert "请逐项勾选确认以下提示后再指派：回避" in unticked.get_data(as_text=True)
    assert count(Assignment) == 0 and events("assignment.create") == []

    done = client.post(url, data={"csrf_token": token, "card_id": card.id, "step": "confirm",
                                  "confirm": ["recusal"]}, headers=HX)
    body = done.get_data(as_text=True)
    assert done.status_code == 200 and done.headers["HX-Trigger"] == "batch-assigned"
    assert "已指派 本机构人" in body and 'id="assignments" hx-swap-oob="true"' in body
    assignment = db.session.scalars(select(Assignment)).one()
    assert assignment.confirmed_warnings == ["recusal"]
    [event] = events("assignment.create")
    assert event.actor_id == unit.id and event.after["confirmed_warnings"] == ["recusal"]
    assert "在职人员" in event.after["warnings"][0]


def test_rotation_and_double_booking_are_both_warned(client, login_as, csrf):
    unit = login_as("unit")
    org = unit.organisation
    card = examiner("常来人", 13)
    for n, days_ago in enumerate((30, 60, 90), start=1):
        past = create_batch(org, days=[DAY - timedelta(days=days_ago)], number=f"KP-P{n}")
        create_assignment(past, card, answer="accepted", with_sheet=False)
    elsewhere = create_batch(create_org("绵阳测试评价中心", "绵阳市"),
                             days=[DAY + timedelta(days=1)], number="KP2026-5107-0003")
    create_assignment(elsewhere, card)
    batch = create_batch(org, days=[DAY, DAY + timedelta(days=1)], number="KP2026-5101-0010")

    url, token = f"/batches/{batch.id}/assignments", csrf("/batches/")
    body = client.post(url, data={"csrf_token": token, "card_id": card.id},
                       headers=HX).get_data(as_text=True)
    assert "最近 3 个考评批次均在本机构" in body
    assert "KP2026-5107-0003（2026年6月11日）" in body
    partly = client.post(url, data={"csrf_token": token, "card_id": card.id, "step": "confirm",
                                    "confirm": ["rotation"]}, headers=HX)
    assert partly.status_code == 422 and "同日重复指派" in partly.get_data(as_text=True)
    assert 'value="rotation" checked' in partly.get_data(as_text=True)
    client.post(url, data={"csrf_token": token, "card_id": card.id, "step": "confirm",
                           "confirm": ["rotation", "double_booking"]}, headers=HX)
    assignment = db.session.scalars(
        select(Assignment).where(Assignment.batch_id == batch.id)).one()
    assert assignment.confirmed_warnings == ["rotation", "double_booking"]


def test_a_refused_other_batch_is_no_double_booking():
    batch = create_batch(number="KP-1")
    other = create_batch(create_org("别家"), number="KP-2")
    card = examiner("甲", 1)
    create_assignment(other, card, answer="refused", reason="有事")
    assert queries.warnings_for(batch, card.person) == []


def test_rotation_counts_only_the_last_three_batches_before_this_one():
    org = create_org()
    card = examiner("常来人", 1)
    batch = create_batch(org, days=[DAY], number="KP-NOW")
    for n, offset in enumerate((-30, -60, 30), start=1):  # one of them is later
        past = create_batch(org, days=[DAY + timedelta(days=offset)], number=f"KP-{n}")
        create_assignment(past, card, answer="accepted", with_sheet=False)
    assert queries.warnings_for(batch, card.person) == []
    earlier = create_batch(org, days=[DAY - timedelta(days=90)], number="KP-4")
    create_assignment(earlier, card, answer="accepted", with_sheet=False)
    assert [w.code for w in queries.warnings_for(batch, card.person)] == ["rotation"]
    newest_elsewhere = create_batch(create_org("别家"), days=[DAY - timedelta(days=1)],
                                    number="KP-5")
    create_assignment(newest_elsewhere, card, answer="accepted", with_sheet=False)
    assert queries.warnings_for(batch, card.person) == []


def test_without_js_the_warnings_come_as_a_full_page(client, login_as, csrf):
    unit = login_as("unit")
    batch = create_batch()
    card = examiner("本机构人", 12, org=unit.organisation)
    url, token = f"/batches/{batch.id}/assignments", csrf("/batches/")
    page = client.post(url, data={"csrf_token": token, "card_id": card.id}).get_data(as_text=True)
    assert "<html" in page and "我已知悉并确认" in page and "考评员名单" in page
    done = client.post(url, data={"csrf_token": token, "card_id": card.id, "step": "confirm",
                                  "confirm": "recusal"})
    assert done.status_code == 302 and count(Assignment) == 1


def test_an_ineligible_card_or_a_second_assignment_is_refused(client, login_as, csrf):
    login_as("unit")
    batch = create_batch()
    welder = examiner("焊工", 1, occupation_name="焊工")
    url, token = f"/batches/{batch.id}/assignments", csrf("/batches/")
    response = client.post(url, data={"csrf_token": token, "card_id": welder.id}, headers=HX)
    assert response.status_code == 422
    assert "不能用于本批次：证卡职业（工种）与本批次不符" in response.get_data(as_text=True)
    card = examiner("电工", 2)
    create_assignment(batch, card)
    again = client.post(url, data={"csrf_token": token, "card_id": card.id}, headers=HX)
    assert again.status_code == 422 and "已在本批次的考评员名单中" in again.get_data(as_text=True)
    assert client.post(url, data={"csrf_token": token, "card_id": "999999"},
                       headers=HX).status_code == 422
    assert count(Assignment) == 1


# --- answers -------------------------------------------------------------------------------------

def test_acceptance_creates_exactly_one_sheet_even_when_posted_twice(client, login_as, csrf):
    unit = login_as("unit")
    sup = create_user("sup", ["supervisor"])
    lead = create_user("lead", ["site_lead"], org=unit.organisation)
    batch = create_batch(supervisor=sup, site_lead=lead)
    assignment = create_assignment(batch, examiner("李考评", 11))
    url = f"/batches/{batch.id}/assignments/{assignment.id}/answer"
    token = csrf("/batches/")
    first = client.post(url, data={"csrf_token": token, "answer": "accepted"}, headers=HX)
    body = first.get_data(as_text=True)
    assert first.status_code == 200 and body.lstrip().startswith('<div id="assignments">')
    assert "李考评 接受指派，评价表已生成" in body and "质量督导员：0/15" in body
    sheet = db.session.scalars(select(EvaluationSheet)).one()
    assert f'/sheets/{sheet.id}"' in body
    assert {c.role: c.rater_id for c in sheet.columns} == {"supervisor": sup.id,
                                                          "site_lead": lead.id}
    second = client.post(url, data={"csrf_token": token, "answer": "accepted"})
    assert second.status_code == 302
    assert count(EvaluationSheet) == 1 and len(events("assignment.accept")) == 1
    assert len(events("sheet.create")) == 1
    assert db.session.get(Assignment, assignment.id).answer == "accepted"


def test_refusal_needs_a_reason_and_is_judged(client, login_as, csrf):
    unit = login_as("unit")
    batch = create_batch()
    assignment = create_assignment(batch, examiner("李考评", 11))
    base = f"/batches/{batch.id}/assignments/{assignment.id}"
    token = csrf("/batches/")

    missing = client.post(f"{base}/answer", data={"csrf_token": token, "answer": "refused"},
                          headers=HX)
    assert missing.status_code == 422 and "拒绝时请填写理由" in missing.get_data(as_text=True)
    assert db.session.get(Assignment, assignment.id).answer == "pending"

    client.post(f"{base}/answer", data={"csrf_token": token, "answer": "refused",
                                        "reason": "当日有生产任务"}, headers=HX)
    refused = db.session.get(Assignment, assignment.id)
    assert (refused.answer, refused.reason, refused.reason_justified) == (
        "refused", "当日有生产任务", None)
    page = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert "待认定" in page and "理由不正当" in page

    response = client.post(f"{base}/judge", data={"csrf_token": token, "justified": "no"},
                           headers=HX)
    assert "已认定 李考评 的拒绝理由不正当" in response.get_data(as_text=True)
    assert db.session.get(Assignment, assignment.id).reason_justified is False
    client.post(f"{base}/judge", data={"csrf_token": token, "justified": "yes"})
    judged = db.session.get(Assignment, assignment.id)
    assert judged.reason_justified is True and judged.judged_by_id == unit.id
    assert [e.after for e in events("assignment.judge")] == [
        {"reason_justified": False}, {"reason_justified": True}]
    assert events("assignment.refuse")[0].after["reason"] == "当日有生产任务"

    again = client.post(f"{base}/answer", data={"csrf_token": token, "answer": "accepted"})
    assert again.status_code == 422 and "不能再更改答复" in again.get_data(as_text=True)
    assert count(EvaluationSheet) == 0


def test_only_a_refusal_is_judged(client, login_as, csrf):
    login_as("unit")
    batch = create_batch()
    assignment = create_assignment(batch, examiner("李考评", 11))
    response = client.post(f"/batches/{batch.id}/assignments/{assignment.id}/judge",
                           data={"csrf_token": csrf("/batches/"), "justified": "no"})
    assert response.status_code == 422
    assert "只有已拒绝的指派才需要认定理由是否正当" in response.get_data(as_text=True)


def test_an_assignment_of_another_batch_is_404(client, login_as, csrf):
    login_as("unit")
    batch = create_batch(number="KP-1")
    other = create_batch(number="KP-2")
    assignment = create_assignment(other, examiner("李考评", 11))
    response = client.post(f"/batches/{batch.id}/assignments/{assignment.id}/answer",
                           data={"csrf_token": csrf("/batches/"), "answer": "accepted"})
    assert response.status_code == 404


# --- the examiner's recusal ----------------------------------------------------------------------

def test_examiner_declares_a_recusal_on_a_pending_assignment(client, login_as, csrf):
    me = login_as("applicant")
    batch = create_batch()
    mine = create_assignment(batch, create_card(db.session.get(Person, me.person_id)))
    other = create_assignment(batch, examiner("别人", 20))
    page = client.get("/batches/my").get_data(as_text=True)
    assert "我的考评任务" in page and batch.number in page and "申请回避" in page
    assert "别人" not in page

    token = csrf("/batches/my")
    empty = client.post(f"/batches/my/{mine.id}/recuse", data={"csrf_token": token, "reason": ""})
    assert empty.status_code == 422 and "请填写回避理由" in empty.get_data(as_text=True)
    assert client.post(f"/batches/my/{other.id}/recuse",
                       data={"csrf_token": token, "reason": "x"}).status_code == 404

    done = client.post(f"/batches/my/{mine.id}/recuse",
                       data={"csrf_token": token, "reason": "本人为该机构在职人员"})
    assert done.status_code == 302
    recused = db.session.get(Assignment, mine.id)
    assert (recused.answer, recused.reason) == ("recused", "本人为该机构在职人员")
    [event] = events("assignment.recuse")
    assert event.actor_id == me.id and event.after["answer"] == "recused"
    again = client.post(f"/batches/my/{mine.id}/recuse", data={"csrf_token": token,
                                                                "reason": "再次"})
    assert again.status_code == 302
    assert "不能再申请回避" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert db.session.get(Assignment, mine.id).reason == "本人为该机构在职人员"


def test_the_examiner_menu_is_for_applicants_only(client, login_as):
    login_as("unit")
    assert client.get("/batches/my").status_code == 403


# --- raters --------------------------------------------------------------------------------------

def test_city_officer_assigns_the_supervisor_and_open_columns_follow(client, login_as, csrf):
    officer = login_as("city")
    old, new = create_user("old_sup", ["supervisor"]), create_user("new_sup", ["supervisor"])
    batch = create_batch(create_org(), supervisor=old)
    open_sheet = create_assignment(batch, examiner("甲", 1), answer="accepted")
    done = create_assignment(batch, examiner("乙", 2), answer="accepted")
    sheet_open = db.session.scalars(select(EvaluationSheet).where(
        EvaluationSheet.assignment_id == open_sheet.id)).one()
    sheet_done = db.session.scalars(select(EvaluationSheet).where(
        EvaluationSheet.assignment_id == done.id)).one()
    sheet_done.column("supervisor").submitted_at = utcnow()
    db.session.commit()

    page = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert "指派质量督导员" in page and "评价机构考场负责人</label>" not in page
    response = client.post(f"/batches/{batch.id}/raters",
                           data={"csrf_token": csrf("/batches/"), "supervisor_id": new.id})
    assert response.status_code == 302
    assert db.session.get(EvaluationBatch, batch.id).supervisor_id == new.id
    db.session.expire_all()
    assert db.session.get(EvaluationSheet, sheet_open.id).column("supervisor").rater_id == new.id
    assert db.session.get(EvaluationSheet, sheet_done.id).column("supervisor").rater_id == old.id
    [event] = events("batch.raters")
    assert event.actor_id == officer.id and event.after["supervisor_id"] == new.id
    assert event.after["sheets"] == [sheet_open.id]
    [moved] = events("sheet.rater_change")
    assert moved.entity_id == str(sheet_open.id) and moved.after == {"supervisor": new.id}


def test_other_city_cannot_touch_the_supervisor(client, login_as, csrf):
    login_as("city")
    batch = create_batch(create_org("绵阳测试评价中心", "绵阳市"))
    response = client.post(f"/batches/{batch.id}/raters",
                           data={"csrf_token": csrf("/batches/"), "supervisor_id": ""})
    assert response.status_code == 404


def test_unit_changes_the_site_lead_only_to_one_of_its_own(client, login_as, csrf):
    unit = login_as("unit")
    lead = create_user("lead2", ["site_lead"], org=unit.organisation, display_name="新考场")
    stranger = create_user("lead3", ["site_lead"], org=create_org("别家"))
    batch = create_batch()
    token = csrf("/batches/")
    bad = client.post(f"/batches/{batch.id}/raters",
                      data={"csrf_token": token, "site_lead_id": stranger.id, "supervisor_id": ""})
    assert bad.status_code == 422 and "请从列表中选择" in bad.get_data(as_text=True)
    good = client.post(f"/batches/{batch.id}/raters",
                       data={"csrf_token": token, "site_lead_id": lead.id, "supervisor_id": ""})
    assert good.status_code == 302
    assert db.session.get(EvaluationBatch, batch.id).site_lead_id == lead.id


# --- the list --------------------------------------------------------------------------------------

def test_list_filters_by_status_year_and_occupation(client, login_as):
    login_as("province")
    waiting = create_batch(number="KP2026-5101-0001")
    create_assignment(waiting, examiner("甲", 1))
    running = create_batch(number="KP2026-5101-0002")
    create_assignment(running, examiner("乙", 2), answer="accepted")
    finished = create_batch(number="KP2025-5101-0003", days=[date(2025, 9, 1)],
                            occupation_name="焊工")
    welder = examiner("丙", 3, occupation_name="焊工", issued_on=date(2025, 3, 2))
    create_assignment(finished, welder, answer="accepted")
    sheet = db.session.scalars(select(EvaluationSheet).where(
        EvaluationSheet.batch_id == finished.id)).one()
    sheet.finalised_at, sheet.final_score, sheet.grade = utcnow(), 88, "优"
    db.session.commit()

    def listed(query: str) -> set[str]:
        body = client.get(f"/batches/?{query}", headers=HX).get_data(as_text=True)
        assert body.lstrip().startswith('<div id="batches-table">')
        return {n for n in ("KP2026-5101-0001", "KP2026-5101-0002", "KP2025-5101-0003")
                if n in body}

    assert listed("status=not_started") == {"KP2026-5101-0001"}
    assert listed("status=in_progress") == {"KP2026-5101-0002"}
    assert listed("status=done") == {"KP2025-5101-0003"}
    assert listed("year=2025") == {"KP2025-5101-0003"}
    assert listed(f"occupation={occupation('电工').id}") == {"KP2026-5101-0001",
                                                            "KP2026-5101-0002"}
    full = client.get("/batches/").get_data(as_text=True)
    assert "未开始" in full and "进行中" in full and "已完成" in full and "2025年" in full

    progress = queries.progress_for([waiting.id, running.id, finished.id])
    for p in progress.values():
        assert p.status is rules.batch_status(accepted=p.accepted, sheets=p.sheets,
                                              final=p.final)
    assert progress[running.id].accepted == 1 and progress[waiting.id].assigned == 1


def test_batch_page_shows_each_column_progress_and_the_final_grade(client, login_as):
    unit = login_as("unit")
    batch = create_batch()
    assignment = create_assignment(batch, examiner("李考评", 11), answer="accepted")
    sheet = db.session.scalars(select(EvaluationSheet)).one()
    sheet.column("site_lead").marked = 8
    sheet.column("supervisor").marked = 15
    sheet.column("supervisor").submitted_at = utcnow()
    db.session.commit()
    page = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert "质量督导员：15/15 <span class=\"ok\">已提交</span>" in page
    assert "考场负责人：8/15" in page and "最终得分" not in page
    sheet.finalised_at, sheet.final_score, sheet.grade = utcnow(), 84.5, "良"
    db.session.commit()
    page = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert "最终得分 84.5 · 良" in page
    assert unit and assignment


def test_batch_page_links_the_batch_pdf_xlsx_and_the_bulk_upload(client, login_as):
    login_as("unit")
    batch = create_batch()
    page = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert "打印全部评价表" not in page  # nothing to print before anyone accepted
    create_assignment(batch, examiner("李考评", 11), answer="accepted")
    page = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    for url in (f"/sheets/batch/{batch.id}/pdf", f"/sheets/batch/{batch.id}/xlsx",
                f"/sheets/batch/{batch.id}/import"):
        assert f'href="{url}"' in page
        assert client.get(url).status_code == 200


def test_a_rater_gets_the_exports_but_not_the_bulk_upload(client, login_as):
    sup = login_as("supervisor")
    batch = create_batch(supervisor=sup)
    create_assignment(batch, examiner("李考评", 11), answer="accepted")
    page = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert f'href="/sheets/batch/{batch.id}/xlsx"' in page
    assert "批量录入评分" not in page
    assert client.get(f"/sheets/batch/{batch.id}/import").status_code == 403


# --- CSRF ------------------------------------------------------------------------------------------

def test_every_post_needs_the_csrf_token(client, login_as):
    unit = login_as("unit")
    batch = create_batch()
    card = examiner("李考评", 11)
    assignment = create_assignment(batch, examiner("王考评", 12))
    refused = create_assignment(batch, examiner("赵考评", 13), answer="refused", reason="病")
    lead = create_user("lead", ["site_lead"], org=unit.organisation)
    before = count(AuditEvent)
    posts = [
        ("/batches/new", {"occupation_id": occupation("电工").id, "level": 4,
                          "start": "2026-06-10", "site": "考点", "candidates": 1,
                          "site_lead_id": lead.id}),
        (f"/batches/{batch.id}/assignments", {"card_id": card.id}),
        (f"/batches/{batch.id}/assignments/{assignment.id}/answer", {"answer": "accepted"}),
        (f"/batches/{batch.id}/assignments/{refused.id}/judge", {"justified": "no"}),
        (f"/batches/{batch.id}/raters", {"site_lead_id": lead.id}),
    ]
    for url, data in posts:
        for headers in ({}, HX):
            response = client.post(url, data=data, headers=headers)
            assert response.status_code == 400, url
            assert "页面已过期" in response.get_data(as_text=True)
    assert count(AuditEvent) == before and count(EvaluationBatch) == 1
    assert count(EvaluationSheet) == 0


def test_the_recusal_post_needs_the_csrf_token(client, login_as):
    me = login_as("applicant")
    mine = create_assignment(create_batch(), create_card(db.session.get(Person, me.person_id)))
    response = client.post(f"/batches/my/{mine.id}/recuse", data={"reason": "在职"})
    assert response.status_code == 400
    assert db.session.get(Assignment, mine.id).answer == "pending"
