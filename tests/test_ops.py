"""Operations: health and readiness checks, one JSON log line per request with a request id,
and the id shown on the 500 page so a user's report can be found in the log."""

import json
import logging

import pytest
from sqlalchemy import text

from portal import create_app
from portal.extensions import db


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_checks_database_migrations_font_and_uploads(client):
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "migrations", "pdf_font", "upload_folder"}
    assert all(check["ok"] for check in body["checks"].values())


def test_readyz_fails_when_the_database_is_down(app, tmp_path):
    broken = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/x",
                         "UPLOAD_FOLDER": str(tmp_path), "SEED_DEMO": False,
                         "SECRET_KEY": "x", "SQLALCHEMY_ENGINE_OPTIONS": {}})
    response = broken.test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 503 and body["status"] == "not ready"
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["migrations"]["ok"] is False


def test_readyz_fails_on_a_database_behind_the_code(client):
    db.session.execute(text("UPDATE alembic_version SET version_num = 'd4a099b77390'"))
    db.session.commit()
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert "d4a099b77390" in response.get_json()["checks"]["migrations"]["detail"]
    finally:
        from portal.setup import head_revisions

        [head] = head_revisions()
        db.session.execute(text("UPDATE alembic_version SET version_num = :h"), {"h": head})
        db.session.commit()


def test_every_request_logs_one_json_line_with_user_route_status_duration(
        client, login_as, caplog):
    user = login_as("city")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="portal.request"):
        response = client.get("/", headers={"X-Request-ID": "proxy-given-id-123"})
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "portal.request"]
    assert len(lines) == 1, lines
    [line] = lines
    assert line["request_id"] == "proxy-given-id-123"
    assert response.headers["X-Request-ID"] == "proxy-given-id-123"
    assert line["user_id"] == user.id and line["route"] == "home.index"
    assert line["status"] == 200 and line["method"] == "GET" and line["duration_ms"] >= 0


def test_a_strange_request_id_from_outside_is_replaced(client):
    response = client.get("/healthz", headers={"X-Request-ID": "bad id; <script>"})
    assert response.headers["X-Request-ID"] != "bad id; <script>"
    assert len(response.headers["X-Request-ID"]) == 16


@pytest.fixture
def failing_app(app):
    other = create_app({**{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI",
                                                     "UPLOAD_FOLDER", "SECRET_KEY")},
                        "SEED_DEMO": False})

    @other.get("/__bug")
    def bug():
        raise RuntimeError("an unexpected bug")

    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_500_page_shows_the_request_id_that_the_error_log_carries(failing_app, caplog):
    with caplog.at_level(logging.INFO):
        response = failing_app.test_client().get("/__bug")
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    assert f"错误编号：<span class=\"mono\">{request_id}</span>" in response.get_data(as_text=True)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and f"[request {request_id}]" in errors[0].getMessage()
    assert errors[0].exc_info is not None


def test_create_admin_prompts_for_a_strong_password_and_refuses_a_second(app):
    from sqlalchemy import select

    from portal.auth.models import User

    runner = app.test_cli_runner()
    weak = runner.invoke(args=["create-admin", "--username", "root1"], input="short\nshort\n")
    assert weak.exit_code != 0 and "密码至少 8 位" in weak.output
    ok = runner.invoke(args=["create-admin", "--username", "root1"],
                       input="Strong#2026x\nStrong#2026x\n")
    assert ok.exit_code == 0, ok.output
    assert "Strong#2026x" not in ok.output  # never echoed
    user = db.session.scalars(select(User).where(User.username == "root1")).one()
    assert user.roles == {"admin"} and user.check_password("Strong#2026x")
    assert not user.must_change_password
    again = runner.invoke(args=["create-admin", "--username", "root1"],
                          input="Strong#2026x\nStrong#2026x\n")
    assert again.exit_code != 0 and "已存在" in again.output


@pytest.mark.parametrize("secret, debug, refused", [
    (None, "0", True),                      # the generated instance/secret_key
    ("short", "0", True),
    ("x" * 40, "1", True),                  # debug on
    ("test-secret", "0", True),
    ("f3" * 20, "0", False),
])
def test_production_mode_refuses_an_unsafe_secret_or_debug(monkeypatch, tmp_path, secret, debug,
                                                          refused):
    from portal.ops.production import UnsafeConfiguration

    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("FLASK_DEBUG", debug)
    monkeypatch.setenv("UPLOAD_FOLDER", str(tmp_path / "uploads"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    if secret is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", secret)
    if refused:
        with pytest.raises(UnsafeConfiguration, match="拒绝以生产模式启动"):
            create_app()
    else:
        assert create_app().config["SEED_DEMO"] is False  # no demo unless asked


def _remote_addr_app(app, proxy_count):
    other = create_app({**{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI",
                                                     "UPLOAD_FOLDER", "SECRET_KEY")},
                        "SEED_DEMO": False, "PROXY_COUNT": proxy_count})

    @other.get("/__addr")
    def addr():
        from flask import request

        return f"{request.remote_addr} {request.scheme}"

    return other


@pytest.mark.parametrize("proxy_count, expected", [(0, "127.0.0.1 http"),
                                                   (1, "203.0.113.9 https")])
def test_forwarded_headers_are_believed_only_behind_a_configured_proxy(app, proxy_count,
                                                                       expected):
    other = _remote_addr_app(app, proxy_count)
    response = other.test_client().get("/__addr", headers={
        "X-Forwarded-For": "198.51.100.1, 203.0.113.9", "X-Forwarded-Proto": "https"})
    assert response.get_data(as_text=True) == expected
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_daily_jobs_run_from_one_command_and_twice_is_harmless(app):
    from datetime import date, timedelta

    from factories import create_card, create_person
    from sqlalchemy import select

    from portal.calendar.models import CalendarYear
    from portal.cards.models import Card
    from portal.timeutil import local_today

    # The renewal-plan job needs this year's working-day calendar; confirm it, so that the
    # test does not start failing on the first 28 March the package does not cover.
    db.session.add(CalendarYear(year=local_today().year, note="测试"))
    card = create_card(create_person("逾期未领", seq=71), issued_on=date(2025, 3, 3))
    card.collected_on = None
    card.collection_deadline = local_today() - timedelta(days=5)
    card.deadline_provisional = False
    db.session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["jobs", "daily"])
    assert first.exit_code == 0, first.output
    assert "[完成] 证卡清理" in first.output and "作废逾期未领取的证卡 1 张" in first.output
    assert "[完成] 复核换证计划" in first.output
    second = runner.invoke(args=["jobs", "daily"])
    assert second.exit_code == 0 and "作废逾期未领取的证卡 0 张" in second.output
    voided = db.session.scalars(select(Card.voided_on)).one()
    assert voided == card.collection_deadline + timedelta(days=1)
