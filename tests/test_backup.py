"""Backup and restore: a backup taken from a live instance, restored into a fresh, empty one,
brings back every row and every uploaded file (row counts per table and SHA-256 per file), on
SQLite and on PostgreSQL alike; a restore never lands on an instance that has data."""

import io
import json
import os
from pathlib import Path

import pytest
from factories import create_card, create_person, create_user
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.datastructures import FileStorage

from portal import create_app
from portal.extensions import db
from portal.ops import backup
from portal.setup import upgrade_database
from portal.uploads import service


def png_bytes(shade: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (shade, 0, 0)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def fresh_instance(app, tmp_path):
    """An empty, migrated instance on the same kind of database as the suite, with its own
    upload folder: what an operator restoring onto a new machine starts from."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    drop = None
    if url.get_backend_name() == "postgresql":
        name = f"portal_restore_{os.getpid()}"
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        target = url.set(database=name).render_as_string(hide_password=False)

        def drop():
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        target = f"sqlite:///{tmp_path / 'restored.db'}"
    other = create_app({"SQLALCHEMY_DATABASE_URI": target, "SEED_DEMO": False,
                        "UPLOAD_FOLDER": str(tmp_path / "restored-uploads"),
                        "SECRET_KEY": "restore-test"})
    with other.app_context():
        upgrade_database()
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()
    if drop:
        drop()


def some_records():
    person = create_person("王备份", seq=31)
    create_card(person)
    create_user("clerk1", ["unit"])
    for shade in (10, 20):
        service.store(FileStorage(io.BytesIO(png_bytes(shade)), filename=f"照片{shade}.png"))
    db.session.commit()


def test_backup_then_restore_into_a_fresh_instance_equals_the_original(app, fresh_instance,
                                                                       tmp_path):
    some_records()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["backup", "--to", str(tmp_path / "backups")])
    assert result.exit_code == 0, result.output
    [folder] = (tmp_path / "backups").glob("portal-backup-*")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    original_counts = backup.row_counts()
    original_files = backup.upload_files(Path(app.config["UPLOAD_FOLDER"]))
    assert manifest["row_counts"] == original_counts
    assert manifest["files"] == original_files and len(original_files) == 2
    assert original_counts["person"] == 1 and original_counts["upload"] == 2

    with fresh_instance.app_context():  # the command runs in the fresh instance
        restored = fresh_instance.test_cli_runner().invoke(args=["restore", str(folder)])
        assert restored.exit_code == 0, restored.output
        assert "恢复完成，全部一致" in restored.output
        assert backup.row_counts() == original_counts
        assert backup.upload_files(Path(fresh_instance.config["UPLOAD_FOLDER"])) == original_files
        name = db.session.scalar(text("SELECT name FROM person"))
        assert name == "王备份"


def test_restore_refuses_an_instance_that_has_data(app, tmp_path):
    some_records()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", "--to", str(tmp_path)]).exit_code == 0
    [folder] = tmp_path.glob("portal-backup-*")
    result = runner.invoke(args=["restore", str(folder)])
    assert result.exit_code != 0 and "只能在空的数据库上进行" in result.output
    assert backup.row_counts()["person"] == 1  # untouched


def test_a_damaged_backup_is_refused_before_anything_is_written(app, fresh_instance, tmp_path):
    some_records()
    assert app.test_cli_runner().invoke(args=["backup", "--to", str(tmp_path)]).exit_code == 0
    [folder] = tmp_path.glob("portal-backup-*")
    victim = next(p for p in (folder / "uploads").rglob("*") if p.is_file())
    victim.write_bytes(b"tampered")
    with fresh_instance.app_context():
        result = fresh_instance.test_cli_runner().invoke(args=["restore", str(folder)])
        assert result.exit_code != 0 and "缺失或已损坏" in result.output
        assert backup.row_counts()["user_account"] == 0


def test_keep_prunes_the_oldest_backups(app, tmp_path):
    from datetime import datetime

    for day in (1, 2, 3):
        backup.create_backup(tmp_path, now=datetime(2026, 11, day, 2, 0))
    deleted = backup.prune(tmp_path, keep=2)
    assert [p.name for p in deleted] == ["portal-backup-20261101-020000"]
    assert sorted(p.name for p in tmp_path.glob("portal-backup-*")) == [
        "portal-backup-20261102-020000", "portal-backup-20261103-020000"]
