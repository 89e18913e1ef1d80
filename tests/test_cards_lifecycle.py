"""A card's life through the pages: the province issues it by hand, its page shows the dates,
the deadline with working days left and the derived status; the holder or the city centre
records collection; the province revokes it and lifts bans; every page is scoped and every
POST needs the CSRF token; every change is audited; holders and units get reminders."""

from datetime import date, timedelta

import pytest
from factories import create_card, create_org, create_person, create_user, login, occupation
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.cards import queries
from portal.cards.models import Card, PersonBan
from portal.cards.operations import issue_card, sweep
from portal.cards.rules import collection_deadline
from portal.extensions import db
from portal.people.models import Person
from portal.timeutil import cn_date, local_today
from portal.workdays import WorkdayCalendar, add_years, deadline_after_workdays


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def fresh_card(person, *, days_ago=0, number=None) -> Card:
    """A card issued ``days_ago`` days ago through the one issuing function, uncollected."""
    card = issue_card(person, occupation("电工"), "考评员", local_today() - timedelta(days=days_ago),
                      origin="training", actor_id=None, number=number)
    db.session.commit()
    return card


def banned_person(name="被禁者", seq=300, city="成都市") -> tuple[Person, PersonBan]:
    person = create_person(name, city, seq=seq)
    for n, issued in ((1, date(2024, 1, 8)), (2, date(2024, 4, 1))):
        create_card(person, issued_on=issued, collected=False,
                    number=f"川考评-2024-{seq * 10 + n:06d}")
    sweep(date(2025, 1, 6))
    db.session.commit()
    return person, queries.active_ban(person.id)


# --- issuing by hand ---------------------------------------------------------------------------

def test_province_issues_a_card_and_its_page_shows_the_dates(client, login_as, csrf):
    login_as("province")
    person = create_person("韩发证", seq=101)
    today = local_today()
    found = client.get("/cards/new/people?q=韩发", headers={"HX-Request": "true"})
    assert found.status_code == 200 and "韩发证" in found.get_data(as_text=True)
    assert "<html" not in found.get_data(as_text=True)

    response = client.post("/cards/new", data={
        "csrf_token": csrf("/cards/new"), "person_id": person.id,
        "occupation_id": occupation("电工").id, "level": "高级考评员", "origin": "training",
        "issued_on": today.isoformat()})
    [card] = db.session.scalars(select(Card).where(Card.person_id == person.id)).all()
    assert response.status_code == 302 and response.headers["Location"] == f"/cards/{card.id}"

    page = client.get(f"/cards/{card.id}").get_data(as_text=True)
    deadline = deadline_after_workdays(today, 60)
    assert card.number.startswith(f"川考评-{today.year}-") and card.number in page
    assert "韩发证" in page and "电工" in page and "高级考评员" in page
    assert f"发证日期</dt><dd>{cn_date(today)}" in page
    assert f"有效期至</dt><dd>{cn_date(add_years(today, 3))}" in page
    assert cn_date(deadline.day) in page
    assert ("（预计）" in page) is deadline.provisional
    assert "还剩 60 个工作日" in page  # on the issue day the whole window is left
    assert "培训考核" in page and "badge card-pending\">待领取" in page
    assert "发放证卡" in page  # the history shows the issue event
    [event] = events("card.issue")
    assert event.actor_id is not None and event.after["number"] == card.number


def test_issuing_to_a_banned_person_is_refused_in_chinese(client, login_as, csrf):
    login_as("province")
    person, ban = banned_person()
    before = count(Card)
    response = client.post("/cards/new", data={
        "csrf_token": csrf("/cards/new"), "person_id": person.id,
        "occupation_id": occupation("焊工").id, "level": "考评员", "origin": "training",
        "issued_on": local_today().isoformat()})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "被禁者 因连续两次未领取证卡" in page and "不能发放证卡" in page
    assert count(Card) == before


def test_the_person_picker_flags_banned_people(client, login_as):
    login_as("province")
    banned_person("禁者乙", seq=310)
    html = client.get("/cards/new?q=禁者").get_data(as_text=True)
    assert "禁者乙" in html and "已禁止申报" in html and " disabled" in html


@pytest.mark.parametrize("field, value, message", [
    ("issued_on", "tomorrow", "发证日期不能晚于今天"),
    ("issued_on", "2025-01-06", "已过"),
    ("person_id", "", "请先搜索并选择持证人"),
])
def test_issue_form_errors(client, login_as, csrf, field, value, message):
    login_as("province")
    person = create_person("表单人", seq=120)
    data = {"csrf_token": csrf("/cards/new"), "person_id": person.id,
            "occupation_id": occupation("电工").id, "level": "考评员", "origin": "training",
            "issued_on": local_today().isoformat()}
    data[field] = (local_today() + timedelta(days=1)).isoformat() if value == "tomorrow" else value
    response = client.post("/cards/new", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert count(Card) == 0


def test_a_second_live_card_of_the_same_kind_is_refused(client, login_as, csrf):
    login_as("province")
    person = create_person("重复者", seq=130)
    existing = fresh_card(person, days_ago=3)
    response = client.post("/cards/new", data={
        "csrf_token": csrf("/cards/new"), "person_id": person.id,
        "occupation_id": occupation("电工").id, "level": "考评员", "origin": "training",
        "issued_on": local_today().isoformat()})
    assert response.status_code == 422
    assert f"已持有电工考评员证卡 {existing.number}" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["city", "unit", "applicant", "admin"])
def test_only_the_province_issues(client, login_as, role):
    login_as(role)
    assert client.get("/cards/new").status_code == 403
    assert client.get("/cards/new/people?q=张").status_code == 403


# --- the card page and its scope ---------------------------------------------------------------

def test_a_mianyang_officer_gets_404_on_a_chengdu_card(client, login_as, csrf):
    card = fresh_card(create_person("成都人", seq=140))
    login_as("city")  # 成都市
    assert client.get(f"/cards/{card.id}").status_code == 200
    create_user("mianyang", ["city"], city="绵阳市")
    client.post("/logout", data={"csrf_token": csrf()})
    login(client, "mianyang")
    assert client.get(f"/cards/{card.id}").status_code == 404
    response = client.post(f"/cards/{card.id}/collect", data={
        "csrf_token": csrf(), "collected_on": local_today().isoformat()})
    assert response.status_code == 404
    assert card.collected_on is None
    assert "成都人" not in client.get("/cards/").get_data(as_text=True)


def test_the_holder_and_their_unit_see_the_card_others_do_not(client, login_as):
    org = create_org()  # 成都测试评价中心, the unit's organisation
    card = fresh_card(create_person("单位人", seq=150, org=org))
    login_as("unit")
    assert client.get(f"/cards/{card.id}").status_code == 200
    other = fresh_card(create_person("别家人", seq=151, org=create_org("别家机构")),
                       number="川考评-2020-000151")
    assert client.get(f"/cards/{other.id}").status_code == 404
    assert client.get("/cards/999999").status_code == 404


def test_the_card_list_is_for_the_province_and_city_centres(client, login_as):
    login_as("unit")
    assert client.get("/cards/").status_code == 403


# --- collection --------------------------------------------------------------------------------

def own_card(user, **kw) -> Card:
    person = db.session.get(Person, user.person_id)
    return fresh_card(person, **kw)


def test_the_holder_records_collection_and_the_status_becomes_valid(client, login_as, csrf):
    holder = login_as("applicant")
    card = own_card(holder, days_ago=2)
    page = client.get(f"/cards/{card.id}").get_data(as_text=True)
    assert "登记领取" in page and "尚未领取" in page
    response = client.post(f"/cards/{card.id}/collect", data={
        "csrf_token": csrf(f"/cards/{card.id}"), "collected_on": local_today().isoformat()})
    assert response.status_code == 302
    assert card.collected_on == local_today() and card.collected_by_id == holder.id
    page = client.get(f"/cards/{card.id}").get_data(as_text=True)
    assert "badge card-valid\">有效" in page
    assert f"{cn_date(local_today())} 已领取，{holder.display_name} 登记" in page
    assert f'action="/cards/{card.id}/collect"' not in page  # collected once
    [event] = events("card.collect")
    assert event.actor_id == holder.id
    assert event.after["collected_on"] == local_today().isoformat()


def test_the_city_centre_records_collection_for_a_holder_of_its_city(client, login_as, csrf):
    officer = login_as("city")
    card = fresh_card(create_person("代领人", seq=160), days_ago=5)
    day = local_today() - timedelta(days=1)
    response = client.post(f"/cards/{card.id}/collect", data={
        "csrf_token": csrf(f"/cards/{card.id}"), "collected_on": day.isoformat()})
    assert response.status_code == 302
    assert (card.collected_on, card.collected_by_id) == (day, officer.id)


@pytest.mark.parametrize("days, message", [
    (1, "领取日期不能晚于今天"),
    (-10, "领取日期不能早于发证日期"),
])
def test_collection_dates_are_checked(client, login_as, csrf, days, message):
    holder = login_as("applicant")
    card = own_card(holder, days_ago=5)
    response = client.post(f"/cards/{card.id}/collect", data={
        "csrf_token": csrf(f"/cards/{card.id}"),
        "collected_on": (local_today() + timedelta(days=days)).isoformat()})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert card.collected_on is None and events("card.collect") == []


def test_a_voided_card_cannot_be_collected(client, login_as, csrf):
    login_as("province")
    person = create_person("作废者", seq=170)
    card = create_card(person, issued_on=date(2025, 3, 3), collected=False,
                       number="川考评-2025-000170")
    page = client.get(f"/cards/{card.id}").get_data(as_text=True)  # the lazy sweep voids it
    void_day = collection_deadline(card.issued_on) + timedelta(days=1)
    assert card.voided_on == void_day
    assert "badge card-voided\">已作废" in page and f"{cn_date(void_day)} 起作废" in page
    assert "证卡作废（逾期未领取）" in page  # in the card's history, by 系统
    response = client.post(f"/cards/{card.id}/collect", data={
        "csrf_token": csrf(f"/cards/{card.id}"), "collected_on": "2025-04-01"})
    assert response.status_code == 422
    assert "作废（逾期未领取），不能再登记领取" in response.get_data(as_text=True)
    assert card.collected_on is None


def test_the_holders_unit_sees_the_card_but_does_not_record_collection(client, login_as,
                                                                       csrf):
    org = create_org()
    card = fresh_card(create_person("旁人", seq=180, org=org))
    login_as("unit")
    assert "登记领取" not in client.get(f"/cards/{card.id}").get_data(as_text=True)
    response = client.post(f"/cards/{card.id}/collect", data={
        "csrf_token": csrf(f"/cards/{card.id}"), "collected_on": local_today().isoformat()})
    assert response.status_code == 403 and card.collected_on is None


# --- revocation and bans -----------------------------------------------------------------------

def test_the_province_revokes_with_a_reason(client, login_as, csrf):
    login_as("province")
    card = create_card(create_person("注销者", seq=190), issued_on=local_today() - timedelta(days=400),
                       number="川考评-2019-000190")
    token = csrf(f"/cards/{card.id}")
    empty = client.post(f"/cards/{card.id}/revoke", data={
        "csrf_token": token, "revoked_on": local_today().isoformat(), "reason": " "})
    assert empty.status_code == 422 and "请填写注销理由" in empty.get_data(as_text=True)
    response = client.post(f"/cards/{card.id}/revoke", data={
        "csrf_token": token, "revoked_on": local_today().isoformat(),
        "reason": "复核换证复审不合格"})
    assert response.status_code == 302
    assert card.revoked_on == local_today() and card.revoke_reason == "复核换证复审不合格"
    page = client.get(f"/cards/{card.id}").get_data(as_text=True)
    assert "badge card-revoked\">已注销" in page and "理由：复核换证复审不合格" in page
    [event] = events("card.revoke")
    assert event.after["revoke_reason"] == "复核换证复审不合格"


@pytest.mark.parametrize("role", ["city", "applicant", "unit"])
def test_only_the_province_revokes(client, login_as, csrf, role):
    user = login_as(role)
    person = (db.session.get(Person, user.person_id) if role == "applicant"
              else create_person("他人", seq=200, org=user.organisation))
    card = create_card(person, issued_on=local_today() - timedelta(days=400),
                       number="川考评-2019-000200")
    assert "注销证卡" not in client.get(f"/cards/{card.id}").get_data(as_text=True)
    response = client.post(f"/cards/{card.id}/revoke", data={
        "csrf_token": csrf(f"/cards/{card.id}"), "revoked_on": local_today().isoformat(),
        "reason": "无权"})
    assert response.status_code == 403 and card.revoked_on is None


def test_the_ban_shows_on_the_card_and_only_the_province_lifts_it(client, login_as, csrf):
    person, ban = banned_person()
    login_as("city")
    page = client.get(f"/cards/{ban.first_card_id}").get_data(as_text=True)
    assert "已禁止申报" in page and ban.second_card.number in page
    assert "解除禁止申报</summary>" not in page
    response = client.post(f"/cards/bans/{ban.id}/lift", data={
        "csrf_token": csrf(), "reason": "城市无权解除"})
    assert response.status_code == 403 and ban.active

    client.post("/logout", data={"csrf_token": csrf()})
    province = create_user("sheng", ["province"])
    login(client, "sheng")
    page = client.get(f"/cards/{ban.second_card_id}").get_data(as_text=True)
    assert "解除禁止申报</summary>" in page
    response = client.post(f"/cards/bans/{ban.id}/lift", data={
        "csrf_token": csrf(), "reason": ""})
    assert response.status_code == 422 and "请填写解除理由" in response.get_data(as_text=True)
    response = client.post(f"/cards/bans/{ban.id}/lift", data={
        "csrf_token": csrf(), "reason": "经核实第二张证卡已按期发放", "next": "//evil.example"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/cards/{ban.second_card_id}"
    assert not ban.active and ban.lifted_by_id == province.id
    assert not queries.is_banned(person.id)
    page = client.get(f"/cards/{ban.second_card_id}").get_data(as_text=True)
    assert "已解除的禁止申报" in page and "经核实第二张证卡已按期发放" in page
    assert "解除 被禁者 的禁止申报；理由：经核实第二张证卡已按期发放" in page  # the history
    [event] = events("person_ban.lift")
    assert event.actor_id == province.id


def test_a_mianyang_officer_cannot_reach_a_chengdu_ban(client, login_as, csrf):
    _, ban = banned_person()
    create_user("mianyang", ["city"], city="绵阳市")
    login(client, "mianyang")
    response = client.post(f"/cards/bans/{ban.id}/lift", data={
        "csrf_token": csrf(), "reason": "越权"})
    assert response.status_code == 404
    assert "被禁者" not in client.get("/cards/?status=bans").get_data(as_text=True)


def test_the_desk_lists_bans_and_filters_by_name_or_number(client, login_as):
    login_as("city")
    person, ban = banned_person()
    first = fresh_card(create_person("待领甲", seq=210))
    fresh_card(create_person("待领乙", seq=211), number="川考评-2021-000211")
    html = client.get("/cards/?status=bans").get_data(as_text=True)
    assert "被禁者" in html and ban.first_card.number in html
    html = client.get("/cards/?status=待领取&q=待领乙", headers={"HX-Request": "true"})
    body = html.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="cards-list">')
    assert "待领乙" in body and "待领甲" not in body and "还剩" in body
    by_number = client.get(f"/cards/?q={first.number}").get_data(as_text=True)
    assert "待领甲" in by_number and "待领乙" not in by_number


# --- CSRF and audit ------------------------------------------------------------------------------

def test_every_post_needs_the_csrf_token(client, login_as):
    login_as("province")
    person, ban = banned_person()
    card = fresh_card(create_person("令牌", seq=220))
    before = count(AuditEvent)
    for path, data in [
        (f"/cards/{card.id}/collect", {"collected_on": local_today().isoformat()}),
        (f"/cards/{card.id}/revoke", {"revoked_on": local_today().isoformat(),
                                      "reason": "测试"}),
        (f"/cards/bans/{ban.id}/lift", {"reason": "测试"}),
        ("/cards/new", {"person_id": card.person_id, "occupation_id": occupation("焊工").id,
                        "level": "考评员", "origin": "training",
                        "issued_on": local_today().isoformat()}),
    ]:
        response = client.post(path, data=data)
        assert response.status_code == 400, path
        assert "页面已过期" in response.get_data(as_text=True)
    assert count(AuditEvent) == before
    assert card.collected_on is None and card.revoked_on is None and ban.active
    assert count(Card) == 3


# --- reminders -----------------------------------------------------------------------------------

def test_the_holder_sees_reminders_on_home_and_profile(client, login_as):
    holder = login_as("applicant")
    person = db.session.get(Person, holder.person_id)
    pending = fresh_card(person, days_ago=1)
    expiring = create_card(person, occupation_name="焊工",
                           issued_on=add_years(local_today(), -3) + timedelta(days=30),
                           number="川考评-2000-000001")
    for path in ("/", "/me"):
        html = client.get(path).get_data(as_text=True)
        assert "证卡提醒" in html, path
        assert pending.number in html and "待领取" in html
        assert f"还剩 {pending.workdays_left(local_today(), WorkdayCalendar())} 个工作日" in html
        assert expiring.number in html and "还有 30 天" in html
        assert f'href="/cards/{pending.id}"' in html


def test_the_holder_sees_their_ban(client, login_as):
    holder = login_as("applicant")
    person = db.session.get(Person, holder.person_id)
    for n, issued in ((1, date(2024, 1, 8)), (2, date(2024, 4, 1))):
        create_card(person, issued_on=issued, collected=False,
                    number=f"川考评-2024-{900 + n:06d}")
    html = client.get("/").get_data(as_text=True)  # the home page sweeps: void, void, ban
    assert "自 " in html and "被取消考评员申报资格" in html
    assert "川考评-2024-000901、川考评-2024-000902" in html
    assert "被取消考评员申报资格" in client.get("/me").get_data(as_text=True)


def test_the_unit_home_shows_its_peoples_cards_to_collect_with_days_left(client, login_as):
    org = create_org()
    card = fresh_card(create_person("单位待领", seq=230, org=org))
    fresh_card(create_person("外单位", seq=231, org=create_org("外单位机构")),
               number="川考评-2021-000231")
    login_as("unit")
    html = client.get("/").get_data(as_text=True)
    assert "单位待领" in html and "还剩 60 个工作日" in html and "外单位" not in html
    assert f'href="/cards/{card.id}"' in html
