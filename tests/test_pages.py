"""Security headers, Chinese error pages, each role's home page, and the card status figures."""

from datetime import date, timedelta

import pytest
from factories import create_card, create_org, create_person, login
from sqlalchemy import select

from portal import create_app
from portal.cards.models import Card
from portal.cards.queries import status_counts, status_expr
from portal.demo.seed import seed_demo
from portal.extensions import db
from portal.people.models import Person
from portal.timeutil import local_today


def test_every_response_carries_the_security_headers(client):
    for response in (client.get("/login"), client.get("/nowhere"),
                     client.get("/static/css/portal.css")):
        h = response.headers
        assert "script-src 'self'" in h["Content-Security-Policy"]
        assert "unsafe-inline" not in h["Content-Security-Policy"]
        assert h["X-Frame-Options"] == "DENY"
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "same-origin"
        response.close()


def test_pages_have_no_inline_script_and_load_vendored_htmx(client, login_as):
    login_as("admin")
    html = client.get("/").get_data(as_text=True)
    assert '<script src="/static/vendor/htmx-2.0.11.min.js"' in html
    assert "<script>" not in html and "cdn" not in html.lower()
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert '<html lang="zh-CN">' in html


@pytest.mark.parametrize("code, title", [(404, "页面不存在"), (405, "请求方式不支持")])
def test_error_pages_are_chinese(client, code, title):
    response = client.get("/nowhere") if code == 404 else client.get("/logout")
    assert response.status_code == code
    assert title in response.get_data(as_text=True)


@pytest.fixture
def error_app(app):
    """A second app on the same database with routes that fail the ways real code can."""
    from flask import abort

    other = create_app({**{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI",
                                                     "UPLOAD_FOLDER", "SECRET_KEY")},
                        "SEED_DEMO": False})

    @other.get("/__fail/<int:code>")
    def fail(code):
        if code == 500:
            raise RuntimeError("an unexpected bug")
        abort(code)

    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("code, title", [(400, "请求无效"), (403, "无权操作"),
                                         (404, "页面不存在"), (413, "文件过大"),
                                         (500, "系统出错了")])
def test_error_pages_are_chinese_full_pages_or_htmx_alerts(error_app, code, title):
    client = error_app.test_client()
    response = client.get(f"/__fail/{code}")
    assert response.status_code == code
    page = response.get_data(as_text=True)
    assert title in page and '<html lang="zh-CN">' in page and "返回首页" in page
    partial = client.get(f"/__fail/{code}", headers={"HX-Request": "true"})
    assert partial.status_code == code and partial.headers["HX-Retarget"] == "#htmx-alert"
    assert title in partial.get_data(as_text=True)
    assert "<html" not in partial.get_data(as_text=True)


def test_sql_and_python_card_status_agree_on_every_demo_card():
    today = local_today()
    seed_demo(examiners=120)
    for card, sql_status in db.session.execute(select(Card, status_expr(today))):
        assert card.status(today).value == sql_status, card.number
    # The boundary days of "expiring within 90 days" agree too.
    card = db.session.scalars(select(Card)).first()
    for offset in (89, 90, 91, 0, -1):
        card.valid_until = today + timedelta(days=offset)
        card.collected_on = min(card.issued_on, today)
        card.voided_on = card.revoked_on = None
        db.session.flush()
        sql = db.session.scalar(select(status_expr(today)).where(Card.id == card.id))
        assert card.status(today).value == sql, offset


def test_city_home_counts_only_its_city(client, login_as):
    chengdu = create_person("成都人", "成都市", seq=1)
    mianyang = create_person("绵阳人", "绵阳市", seq=2)
    create_card(chengdu, issued_on=local_today() - timedelta(days=400))
    create_card(mianyang, issued_on=local_today() - timedelta(days=400))
    create_card(mianyang, issued_on=local_today() - timedelta(days=3), collected=False,
                number="川考评-2026-999999")
    officer = login_as("city")
    counts = status_counts(officer, local_today())
    assert counts["有效"] == 1 and counts["待领取"] == 0
    html = client.get("/").get_data(as_text=True)
    assert "成都市考评员证卡" in html and "成都人" not in html.split("待领取证卡")[1][:2000]
    assert "绵阳人" not in html


def test_province_home_has_a_row_per_city_with_cards(client, login_as):
    create_card(create_person("成都人", "成都市", seq=1), issued_on=date(2025, 1, 6))
    create_card(create_person("甘孜人", "甘孜藏族自治州", seq=2), issued_on=date(2025, 1, 6))
    login_as("province")
    html = client.get("/").get_data(as_text=True)
    assert "全省考评员证卡" in html and "各市（州）证卡情况" in html
    assert "<td>成都市</td>" in html and "<td>甘孜藏族自治州</td>" in html


def test_unit_home_shows_its_people_and_pending_cards(client, login_as):
    user = login_as("unit")
    org = user.organisation
    mine = create_person("本单位人", "成都市", org=org, seq=1)
    other = create_person("外单位人", "成都市", org=create_org("别的单位"), seq=2)
    create_card(mine, issued_on=local_today() - timedelta(days=2), collected=False)
    create_card(other, issued_on=local_today() - timedelta(days=2), collected=False,
                number="川考评-2026-888888")
    html = client.get("/").get_data(as_text=True)
    assert "本机构人员的考评员证卡" in html and "本单位人" in html and "外单位人" not in html
    assert "110" not in html.split("本单位人")[1][:60]  # ID numbers are masked in lists
    assert "********" in html


def test_applicant_home_lists_own_cards_with_status(client, login_as):
    user = login_as("applicant")
    person = db.session.get(Person, user.person_id)
    create_card(person, issued_on=local_today() - timedelta(days=3 * 365 - 30))
    html = client.get("/").get_data(as_text=True)
    assert "我的考评员证卡" in html and "即将到期" in html


def test_supervisor_home_shows_the_account_and_recent_logins(client, login_as):
    login_as("supervisor")
    html = client.get("/").get_data(as_text=True)
    assert "质量督导员" in html and "最近登录" in html and "成功" in html


def test_demo_accounts_all_log_in_to_a_chinese_home(app, client):
    seed_demo(examiners=60)
    for username in ["admin", "sheng", "chengdu", "mianyang", "jigou", "shengzhi", "dudao",
                     "shenbao"]:
        browser = app.test_client()
        assert login(browser, username, "Demo@2026").status_code == 302
        html = browser.get("/").get_data(as_text=True)
        assert "您好，" in html and "我的账户" in html, username
