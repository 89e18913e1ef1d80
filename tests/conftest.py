"""Test fixtures: a migrated database per test session, emptied after every test, factory
functions for records, and ``login_as(role)``.

The suite runs on SQLite by default. With ``TEST_DATABASE_URL`` set to a PostgreSQL URL it
creates its own throwaway database on that server, runs there, and drops it at the end.
"""

import contextvars
import os
import secrets
import shutil
import tempfile
from pathlib import Path

import pytest
from factories import ROLE_SCOPE, create_org, create_person, create_user, get_csrf, login
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.auth.models import User
from portal.demo.seed import ensure_reference_data
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.setup import upgrade_database


def _postgres_database(base_url: str):
    """Create a uniquely named database on the server of ``base_url``; return (url, drop)."""
    url = make_url(base_url)
    name = f"portal_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def database_url():
    base = os.environ.get("TEST_DATABASE_URL")
    if base and base.startswith("postgresql"):
        url, drop = _postgres_database(base)
        yield url
        drop()
        return
    folder = tempfile.mkdtemp(prefix="portal-test-")
    yield base or f"sqlite:///{folder}/test.db"
    shutil.rmtree(folder, ignore_errors=True)


class IsolatedClient(FlaskClient):
    """A test client whose requests run like real ones: in a fresh context, so they get their
    own app context, ``g`` and database session rather than the test's. Afterwards the test's
    session ends its transaction, so the test sees what the request committed."""

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            db.session.commit()
            db.session.expire_all()
        return response


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    uploads = tmp_path_factory.mktemp("uploads")
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_FOLDER": str(uploads),
            "SEED_DEMO": False,
            "SECRET_KEY": "test-secret",
            # scrypt with a small work factor: the same algorithm, a fraction of the time.
            "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
            "UPLOAD_MAX_MB": 1,
            "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        }
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade_database()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _empty_database() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        # Break the one foreign-key cycle (person → upload → user → person) first.
        db.session.execute(text("UPDATE person SET photo_upload_id = NULL"))
        for t in tables:
            db.session.execute(t.delete())
    db.session.commit()


@pytest.fixture(autouse=True)
def _clean(request):
    """Each test starts with reference data only and leaves nothing behind. Tests of pure
    rules (marked ``pure``) touch neither the app nor the database and skip this: on
    PostgreSQL the cleanup costs ~0.15 s a test."""
    if request.node.get_closest_marker("pure"):
        yield
        return
    app = request.getfixturevalue("app")
    ctx = app.app_context()
    ctx.push()
    _empty_database()
    ensure_reference_data()
    db.session.commit()
    yield
    db.session.remove()
    _empty_database()
    db.session.remove()
    ctx.pop()
    upload_root = Path(app.config["UPLOAD_FOLDER"])
    for child in upload_root.iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login_as(client):
    """``login_as("city")`` creates a user holding that role (with its usual scope), logs the
    test client in as it, and returns the user."""

    def _login_as(*roles: str, username: str | None = None) -> User:
        scope: dict = {}
        for role in roles:
            for key, value in ROLE_SCOPE.get(role, {}).items():
                scope[key] = value
        org = None
        if "org" in scope:
            org = db.session.scalars(
                select(Organisation).where(Organisation.name == scope["org"])
            ).first() or create_org(scope["org"])
        person = create_person("申报人甲", seq=900) if "applicant" in roles else None
        user = create_user(username or "_".join(roles), roles, city=scope.get("city"),
                           org=org, person=person)
        response = login(client, user.username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return _login_as


@pytest.fixture
def csrf(client):
    """``csrf()`` returns a valid token for the logged-in client."""
    return lambda path="/": get_csrf(client, path)
