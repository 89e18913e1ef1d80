"""Logging in and out, lockout after repeated failures, first-login password change."""

from datetime import timedelta

from factories import PASSWORD, create_user, get_csrf, login
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth.models import LoginAttempt, User
from portal.extensions import db


def test_login_lands_on_home_and_logout_is_a_post(client):
    create_user("zhang", ["province"], display_name="张审核")
    response = login(client, "zhang")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "您好，张审核" in home and "退出" in home

    assert client.get("/logout").status_code == 405  # never log out on a GET (link prefetch)
    response = client.post("/logout", data={"csrf_token": get_csrf(client, "/")})
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # back to the login page
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "auth.login" in actions and "auth.logout" in actions


def test_wrong_password_is_refused_with_a_chinese_message(client):
    create_user("zhang", ["province"])
    response = login(client, "zhang", "wrong-password1")
    assert response.status_code == 422
    assert "用户名或密码不正确" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_disabled_account_cannot_log_in(client):
    create_user("gone", ["city"], city="成都市", active=False)
    response = login(client, "gone")
    assert "该账户已停用" in response.get_data(as_text=True)


def test_five_failures_lock_the_account_at_that_address_for_15_minutes(client, app):
    create_user("zhang", ["province"])
    for _ in range(4):
        assert "用户名或密码不正确" in login(client, "zhang", "bad-pass-1").get_data(as_text=True)
    fifth = login(client, "zhang", "bad-pass-1").get_data(as_text=True)
    assert "登录失败次数过多" in fifth and "15 分钟" in fifth
    # Even the right password is refused while locked, and the refusal is not recorded.
    locked = login(client, "zhang", PASSWORD)
    assert "登录失败次数过多" in locked.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.lockout"))

    # Another address is not locked out.
    other = app.test_client()
    token = get_csrf(other)
    response = other.post("/login", data={"username": "zhang", "password": PASSWORD,
                                          "csrf_token": token},
                          environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.status_code == 302

    # 15 minutes later the lock has expired.
    for attempt in db.session.scalars(select(LoginAttempt)):
        attempt.at -= timedelta(minutes=16)
    db.session.commit()
    assert login(client, "zhang", PASSWORD).status_code == 302


def test_a_success_resets_the_failure_count(client):
    create_user("zhang", ["province"])
    for _ in range(4):
        login(client, "zhang", "bad-pass-1")
    assert login(client, "zhang").status_code == 302
    client.post("/logout", data={"csrf_token": get_csrf(client, "/")})
    for _ in range(4):
        login(client, "zhang", "bad-pass-1")
    assert login(client, "zhang").status_code == 302


def test_new_user_must_change_the_initial_password_first(client):
    create_user("newbie", ["city"], city="成都市", must_change=True)
    response = login(client, "newbie")
    assert response.headers["Location"] == "/password"
    # Every other page sends them back to the password form.
    assert client.get("/").headers["Location"] == "/password"
    assert client.get("/orgs/").headers["Location"] == "/password"

    token = get_csrf(client, "/password")
    page = client.get("/password").get_data(as_text=True)
    assert "首次登录" in page
    weak = client.post("/password", data={"current": PASSWORD, "new": "short",
                                          "confirm": "short", "csrf_token": token})
    assert weak.status_code == 422 and "密码至少 8 位" in weak.get_data(as_text=True)
    same = client.post("/password", data={"current": PASSWORD, "new": PASSWORD,
                                          "confirm": PASSWORD, "csrf_token": token})
    assert "新密码不能与当前密码相同" in same.get_data(as_text=True)
    wrong = client.post("/password", data={"current": "nope-1234", "new": "Better@2027",
                                           "confirm": "Better@2027", "csrf_token": token})
    assert "当前密码不正确" in wrong.get_data(as_text=True)

    ok = client.post("/password", data={"current": PASSWORD, "new": "Better@2027",
                                        "confirm": "Better@2027", "csrf_token": token})
    assert ok.status_code == 302 and ok.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    user = db.session.scalars(select(User).where(User.username == "newbie")).one()
    assert not user.must_change_password and user.check_password("Better@2027")
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "auth.password_change")
    )


def test_password_change_ends_other_sessions(app, client):
    create_user("zhang", ["province"])
    other = app.test_client()
    login(client, "zhang")
    login(other, "zhang")
    token = get_csrf(client, "/password")
    client.post("/password", data={"current": PASSWORD, "new": "Better@2027",
                                   "confirm": "Better@2027", "csrf_token": token})
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302  # the other browser is logged out


def test_login_redirects_only_to_local_paths(client):
    create_user("zhang", ["province"])
    token = get_csrf(client)
    response = client.post("/login?next=https://evil.example/x",
                           data={"username": "zhang", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_session_cookie_flags(client):
    create_user("zhang", ["province"])
    response = login(client, "zhang")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
