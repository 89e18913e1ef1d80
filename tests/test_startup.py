"""The app migrates and seeds an empty database on start, and starts again without reseeding."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.auth.models import User
from portal.cards.models import Card
from portal.cards.queries import status_expr
from portal.cards.rules import CardStatus
from portal.catalogue.models import Occupation, Region
from portal.demo.seed import DEMO_PASSWORD
from portal.extensions import db
from portal.people.models import Person
from portal.setup import SchemaTooNew, prepare_database, upgrade_database
from portal.timeutil import local_today

ROOT = Path(__file__).resolve().parent.parent
DEMO_USERS = {"admin", "sheng", "chengdu", "mianyang", "jigou", "shengzhi", "dudao", "shenbao",
              "kaochang_my", "shenbao1", "shenbao2", "shenbao3", "shenbao4", "shenbao5", "shenbao6",
              "shenbao7", "shenbao8", *(f"huanzheng{i}" for i in range(1, 10))}


@pytest.fixture
def fresh_database_url(tmp_path, database_url):
    """An empty database of the same kind as the suite's (its own file, or its own PG db)."""
    if database_url.startswith("postgresql"):
        url = make_url(database_url)
        name = f"portal_fresh_{secrets.token_hex(4)}"
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"


def _app(url, tmp_path):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(tmp_path / "up"),
                       "SEED_DEMO": True, "SECRET_KEY": "x"})


def test_first_start_migrates_and_seeds_then_a_restart_does_not_reseed(fresh_database_url,
                                                                       tmp_path):
    app = _app(fresh_database_url, tmp_path)
    prepare_database(app)
    with app.app_context():
        users = set(db.session.scalars(select(User.username)))
        assert users == DEMO_USERS
        assert db.session.scalar(select(func.count()).select_from(Region)) == 22
        assert db.session.scalar(select(func.count()).select_from(Occupation)) >= 12
        people = db.session.scalar(select(func.count()).select_from(Person))
        assert 300 <= people <= 500
        cities = db.session.scalar(select(func.count(func.distinct(Person.region_id))))
        assert cities == 21  # examiners in every city/prefecture
        statuses = set(db.session.scalars(select(status_expr(local_today())).select_from(Card)))
        assert statuses == {s.value for s in CardStatus}  # every card status is represented
        cards = db.session.scalar(select(func.count()).select_from(Card))
        db.session.remove()
        db.engine.dispose()

    app2 = _app(fresh_database_url, tmp_path)
    prepare_database(app2)
    with app2.app_context():
        assert db.session.scalar(select(func.count()).select_from(Card)) == cards
        assert db.session.scalar(select(func.count()).select_from(User)) == len(DEMO_USERS)
        client = app2.test_client()
        html = client.get("/login").get_data(as_text=True)
        token = html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        response = client.post("/login", data={"username": "shenbao", "password": DEMO_PASSWORD,
                                               "csrf_token": token})
        assert response.status_code == 302
        db.session.remove()
        db.engine.dispose()


def test_a_database_from_a_newer_release_is_refused(fresh_database_url, tmp_path):
    app = _app(fresh_database_url, tmp_path)
    app.config["SEED_DEMO"] = False
    with app.app_context():
        upgrade_database()
        db.session.execute(text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
        db.session.commit()
        with pytest.raises(SchemaTooNew, match="比本程序新"):
            upgrade_database()
        db.session.remove()
        db.engine.dispose()


def test_python_app_py_serves_the_login_page(tmp_path):
    """`python app.py` starts a server on the port given (here a free one) with demo data."""
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PORT": str(port), "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
           "UPLOAD_FOLDER": str(tmp_path / "uploads"), "SECRET_KEY": "k"}
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        body = ""
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login") as r:  # noqa: S310
                    body = r.read().decode()
                break
            except OSError:
                time.sleep(0.2)
        assert "登录" in body and "考评员管理与考评评价平台" in body
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _revisions_before_head() -> list[str]:
    from portal.setup import _script

    script = _script()
    return [rev.revision for rev in script.walk_revisions() if not rev.is_head]


@pytest.mark.parametrize("start", _revisions_before_head())
def test_an_upgrade_from_an_earlier_schema_keeps_every_row(fresh_database_url, tmp_path, start):
    """A database of an earlier release, full of data, upgraded to this release: every row of
    every table it had is still there (SQLite rebuilds tables in batch migrations; with foreign
    keys enforced that fails on the first referenced table that has rows)."""
    from flask_migrate import upgrade
    from sqlalchemy import MetaData, insert
    from sqlalchemy import table as named_table

    from portal import MIGRATIONS_DIR
    from portal.demo.seed import seed_demo

    seed_demo(examiners=60)  # in the suite's database, at this release's schema
    db.session.commit()
    source = {t.name: [dict(r._mapping) for r in db.session.execute(select(t))]
              for t in db.metadata.sorted_tables}
    old = _app(fresh_database_url, tmp_path)
    with old.app_context():
        upgrade(directory=str(MIGRATIONS_DIR), revision=start)
        schema = MetaData()
        schema.reflect(bind=db.engine)
        copied = {}
        with db.engine.begin() as target:
            if target.dialect.name == "sqlite":
                target.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
            for table in db.metadata.sorted_tables:  # parents before children
                old_table = schema.tables.get(table.name)
                if old_table is None:
                    continue  # the earlier release did not have it
                rows = [{k: v for k, v in row.items() if k in old_table.c}
                        for row in source[table.name]]
                if rows:
                    target.execute(insert(old_table), rows)
                copied[table.name] = len(rows)
        assert copied["card"] > 50 and copied["person"] > 50
        upgrade_database()
        for name, count in copied.items():
            counted = db.session.scalar(select(func.count()).select_from(named_table(name)))
            assert counted == count, name
        db.session.remove()
        db.engine.dispose()
