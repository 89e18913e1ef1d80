"""Public card check (issue 5): no login, only the masked public fields, one neutral answer
for unknown and malformed numbers, rate-limited per client address across processes."""

import re
from datetime import date, datetime, timedelta

import pytest
from factories import create_card, create_org, create_person
from sqlalchemy import select

from portal import ratelimit
from portal.cardcheck.rules import lookup_numbers, mask_name, public_card
from portal.extensions import db
from portal.people.idcard import mask_id_number
from portal.ratelimit import RateCounter
from portal.timeutil import local_today


# --- pure rules ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name, masked", [
    ("张明", "张*"), ("张晓明", "张*明"), ("欧阳晓明", "欧**明"), ("司马相如", "司**如"),
    ("阿依古丽·买买提", "阿******提"), ("王", "*"), (" 李四 ", "李*"), ("", ""), (None, ""),
])
def test_mask_name(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize("text, numbers", [
    ("川考评-2026-000123", ("川考评-2026-000123",)),
    (" 川考评－２０２６－０００１２３ ", ("川考评-2026-000123",)),  # full-width, as an IME types
    ("川考评 - 2026 - 000123", ("川考评-2026-000123",)),
    ("2026-000123", ("2026-000123", "川考评-2026-000123")),
    ("SC-OLD-2019-000042", ("SC-OLD-2019-000042",)),
    ("x" * 100, ("x" * 40,)),
    ("", ()), ("   ", ()), (None, ()),
])
def test_lookup_numbers_depend_on_the_text_only(text, numbers):
    assert lookup_numbers(text) == numbers


def test_the_public_view_masks_the_name_and_derives_the_status():
    view = public_card(number="N1", holder_name="周晓川", level="考评员", occupation="电工",
                       issued_on=date(2025, 3, 2), valid_until=date(2028, 3, 2),
                       collected_on=None, voided_on=date(2025, 6, 1), revoked_on=None,
                       today=date(2026, 1, 1))
    assert (view.holder, view.status.value) == ("周*川", "已作废")
    assert set(vars(view)) == {"number", "holder", "level", "occupation", "issued_on",
                               "valid_until", "status", "replaced_by"}
    assert view.replaced_by is None


def test_a_renewed_card_is_shown_as_renewed_with_the_new_number_from_that_day():
    def view(today):
        return public_card(number="N1", holder_name="周晓川", level="考评员", occupation="电工",
                           issued_on=date(2023, 4, 1), valid_until=date(2026, 4, 1),
                           collected_on=date(2023, 4, 3), voided_on=None, revoked_on=None,
                           today=today, superseded_on=date(2026, 5, 20), superseded_by="N2")
    assert (view(date(2026, 5, 20)).status.value, view(date(2026, 5, 20)).replaced_by) == (
        "已换证", "N2")
    assert (view(date(2026, 5, 19)).status.value, view(date(2026, 5, 19)).replaced_by) == (
        "已过期", None)


def test_rate_limit_windows_are_fixed_and_aligned():
    window = timedelta(minutes=10)
    assert ratelimit.window_start(datetime(2026, 11, 28, 10, 17, 5), window) == datetime(
        2026, 11, 28, 10, 10)
    v = ratelimit.verdict(21, limit=20, now=datetime(2026, 11, 28, 10, 17, 5), window=window)
    assert not v.allowed and v.retry_at == datetime(2026, 11, 28, 10, 20)
    assert v.retry_after == 175
    assert ratelimit.verdict(20, limit=20, now=datetime(2026, 11, 28, 10, 17), window=window
                             ).allowed


# --- the page -----------------------------------------------------------------------------------
@pytest.fixture
def card():
    org = create_org("绵阳科技城职业技能评价中心", city="绵阳市")
    person = create_person("周晓川", city="绵阳市", org=org, mobile="13912345678",
                           address="绵阳市涪城区某街1号")
    return create_card(person, occupation_name="焊工", issued_on=date(2025, 3, 2),
                       number="川考评-2025-000123", level="高级考评员")


def check(client, number=None, htmx=False, ip="10.1.1.1"):
    query = {} if number is None else {"number": number}
    headers = {"HX-Request": "true"} if htmx else {}
    return client.get("/check", query_string=query, headers=headers,
                      environ_base={"REMOTE_ADDR": ip})


def test_no_login_is_needed_and_the_login_page_links_the_check(client):
    response = client.get("/check")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "考评员证卡查验" in html and 'name="number"' in html and 'method="get"' in html
    assert 'name="csrf_token"' not in html.split('class="check-form"')[1].split("</form>")[0]
    assert '/check' in client.get("/login").get_data(as_text=True)
    assert "查验考评员证卡（无需登录）" in client.get("/login").get_data(as_text=True)


def test_a_known_card_shows_only_the_masked_public_fields(client, card):
    response = check(client, "川考评-2025-000123")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    result = html[html.index('id="check-result"'):]
    fields = dict(re.findall(r"<dt>([^<]+)</dt><dd[^>]*>(.*?)</dd>", result, re.S))
    assert list(fields) == ["证卡编号", "持证人", "证卡级别", "职业（工种）", "发证日期",
                            "有效期至", "状态"]
    assert fields["持证人"] == "周*川" and fields["证卡级别"] == "高级考评员"
    assert fields["职业（工种）"] == "焊工"
    assert fields["发证日期"] == "2025年3月2日" and fields["有效期至"] == "2028年3月2日"
    assert '<span class="status status-有效">有效</span>' in fields["状态"]
    person = card.person
    for secret in (person.name, person.id_number, person.id_number[:6], person.id_number[-4:],
                   mask_id_number(person.id_number), "绵阳", person.employer, person.mobile,
                   person.address, "科技城", person.gender + "<"):
        assert secret not in html, secret


def test_the_number_may_be_typed_without_its_prefix_or_full_width(client, card):
    for typed in ("2025-000123", "川考评－２０２５－０００１２３"):
        assert "周*川" in check(client, typed).get_data(as_text=True)


@pytest.mark.parametrize("change, status", [
    ({"collected_on": None}, "待领取"),
    ({"voided_on": date(2025, 6, 2), "collected_on": None}, "已作废"),
    ({"revoked_on": date(2026, 1, 5), "revoke_reason": "复核不合格"}, "已注销"),
    ({"superseded_on": date(2026, 1, 5)}, "已换证"),
])
def test_the_status_is_derived(client, card, change, status):
    for key, value in change.items():
        setattr(card, key, value)
    db.session.commit()
    assert f'status-{status}">{status}<' in check(client, card.number).get_data(as_text=True)


def test_unknown_and_malformed_numbers_get_the_same_neutral_answer(client, card):
    answers = []
    for typed in ("川考评-2025-999999", "<script>alert(1)</script>", "12", "川考评-2025-00012"):
        response = check(client, typed, htmx=True)
        assert response.status_code == 200
        answers.append(response.get_data(as_text=True))
    assert len(set(answers)) == 1
    assert "未查到该证卡" in answers[0] and "<dl" not in answers[0]
    page = check(client, "川考评-2025-999999").get_data(as_text=True)
    assert "未查到该证卡" in page and "周" not in page.split('id="check-result"')[1]


def test_the_htmx_form_gets_the_result_alone(client, card):
    response = check(client, card.number, htmx=True)
    body = response.get_data(as_text=True)
    assert body.startswith('<div id="check-result"') or body.lstrip().startswith(
        '<div id="check-result"')
    assert "<html" not in body and "周*川" in body
    assert "HX-Request" in response.headers["Vary"]


def test_logged_in_users_may_check_too(client, login_as, card):
    login_as("unit")
    assert "周*川" in check(client, card.number).get_data(as_text=True)


# --- the rate limit -----------------------------------------------------------------------------
@pytest.fixture
def limit_3(app, monkeypatch):
    monkeypatch.setitem(app.config, "CARD_CHECK_LIMIT", 3)


def test_the_rate_limit_answers_429_in_chinese(client, card, limit_3):
    for _ in range(3):
        assert check(client, card.number).status_code == 200
    response = check(client, "川考评-2025-999999")
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "查验过于频繁：每个网络地址每 10 分钟最多查验 3 次。请于" in html and "后再试" in html
    assert "周*川" not in html and "未查到" not in html
    assert 1 <= int(response.headers["Retry-After"]) <= 600
    assert response.headers["Cache-Control"] == "no-store"
    htmx = check(client, card.number, htmx=True)
    assert htmx.status_code == 429 and "查验过于频繁" in htmx.get_data(as_text=True)
    # Another address is counted on its own; opening the form alone is not a lookup.
    assert check(client, card.number, ip="10.9.9.9").status_code == 200
    assert check(client).status_code == 200


def test_the_count_is_kept_in_the_database_for_every_process(app, card, limit_3):
    # Two clients stand for two app processes: the count is shared through the database.
    first, second = app.test_client(), app.test_client()
    assert check(first, card.number).status_code == 200
    assert check(second, card.number).status_code == 200
    assert check(first, card.number).status_code == 200
    assert check(second, card.number).status_code == 429
    [row] = db.session.scalars(select(RateCounter))
    assert (row.scope, row.client, row.hits) == ("card_check", "10.1.1.1", 4)


def test_a_new_window_starts_afresh_and_clears_old_counts(app):
    window = timedelta(minutes=10)
    start = datetime(2026, 11, 28, 10, 0)
    for _ in range(3):
        ratelimit.hit("card_check", "10.1.1.1", limit=2, window=window, now=start)
    ratelimit.hit("card_check", "10.2.2.2", limit=2, window=window, now=start)
    assert not ratelimit.hit("card_check", "10.1.1.1", limit=2, window=window,
                             now=start + timedelta(minutes=9)).allowed
    later = ratelimit.hit("card_check", "10.1.1.1", limit=2, window=window,
                          now=start + timedelta(minutes=10))
    assert later.allowed and later.hits == 1
    db.session.commit()
    rows = db.session.execute(select(RateCounter.client, RateCounter.window_start)).all()
    assert rows == [("10.1.1.1", start + timedelta(minutes=10))]


def test_today_is_the_local_date_in_the_result(client, card):
    html = check(client, card.number).get_data(as_text=True)
    today = local_today()
    assert f"（截至{today.year}年{today.month}月{today.day}日）" in html


def test_a_busy_database_lets_the_check_through_uncounted(client, card, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def busy(*args, **kwargs):
        raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))

    monkeypatch.setattr(ratelimit, "hit", busy)
    response = check(client, card.number)
    assert response.status_code == 200 and "周*川" in response.get_data(as_text=True)
    assert db.session.scalars(select(RateCounter)).all() == []


def test_a_renewed_card_names_the_new_card_to_check(client, card):
    new = create_card(card.person, occupation_name="焊工", issued_on=date(2026, 5, 20),
                      number="川考评-2026-000777", level="高级考评员")
    card.superseded_on, card.superseded_by_id = date(2026, 5, 20), new.id
    db.session.commit()
    html = check(client, card.number).get_data(as_text=True)
    assert 'status-已换证">已换证<' in html
    assert "换发新证卡 <span class=\"mono\">川考评-2026-000777</span>" in html
    assert "已换证" not in check(client, new.number, ip="10.1.1.2").get_data(as_text=True)
