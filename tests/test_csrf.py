"""Every POST needs the CSRF token; without it: 400 in Chinese, and nothing is written."""

from factories import create_user
from sqlalchemy import func, select

from portal.auth.models import User
from portal.catalogue.models import Occupation
from portal.extensions import db


def count_users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_form_post_without_token_is_refused_and_writes_nothing(client, login_as):
    login_as("admin")
    before = count_users()
    response = client.post("/admin/users/new", data={
        "username": "sneaky", "display_name": "偷偷", "roles": ["province"],
        "password": "Sneaky@2026",
    })
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "页面已过期" in page and "刷新页面" in page
    assert count_users() == before


def test_form_post_with_a_stale_token_is_refused(client, login_as):
    login_as("admin")
    response = client.post("/admin/users/new", data={
        "username": "sneaky", "display_name": "偷偷", "roles": ["province"],
        "password": "Sneaky@2026", "csrf_token": "not-a-real-token",
    })
    assert response.status_code == 400
    assert count_users() == 1


def test_htmx_post_without_token_gets_a_partial_aimed_at_the_alert_area(client, login_as):
    login_as("admin")
    occ = db.session.scalars(select(Occupation).where(Occupation.name == "电工")).one()
    response = client.post(f"/admin/occupations/{occ.id}/toggle",
                           headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#htmx-alert"
    body = response.get_data(as_text=True)
    assert "页面已过期" in body and "<html" not in body
    db.session.refresh(occ)
    assert occ.active  # nothing changed


def test_htmx_post_with_the_header_token_succeeds(client, login_as, csrf):
    login_as("admin")
    occ = db.session.scalars(select(Occupation).where(Occupation.name == "电工")).one()
    token = csrf("/admin/occupations/")
    response = client.post(f"/admin/occupations/{occ.id}/toggle",
                           headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.startswith(f'<tr id="occupation-{occ.id}">') and "已停用" in body
    db.session.refresh(occ)
    assert not occ.active


def test_login_form_needs_the_token_too(client):
    create_user("zhang", ["province"])
    response = client.post("/login", data={"username": "zhang", "password": "Test@2026x"})
    assert response.status_code == 400


def test_token_lifetime_covers_a_working_day(app):
    assert app.config["WTF_CSRF_TIME_LIMIT"] >= 10 * 3600
