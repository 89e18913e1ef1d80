"""Backups and restores: the database and every uploaded file, with a manifest to verify by.

A backup is one folder, ``portal-backup-YYYYMMDD-HHMMSS/``::

    database.sqlite3   SQLite, copied with SQLite's online backup API (consistent while the
                       portal runs and writes)
    database.pgdump    or PostgreSQL, ``pg_dump --format=custom`` (consistent: one snapshot)
    uploads/ab/abcd…   every stored upload, under its SHA-256 as in the live folder
    manifest.json      when, the schema revision, row counts per table, each file's SHA-256

A restore goes into an **empty** instance only (a database without users, an upload folder
without files): it never merges into or overwrites live data. Afterwards it counts the rows
of every table and hashes every file again and compares them with the manifest — the
checksum report the command prints; any difference fails the command.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import func, inspect, select, table, text

from portal.extensions import db
from portal.timeutil import utcnow

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
PREFIX = "portal-backup-"


class BackupError(RuntimeError):
    """A backup or restore that cannot be done safely; the message is Chinese."""


@dataclass
class Report:
    """What a restore (or a check of a live instance against a manifest) found."""

    tables_checked: int = 0
    files_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def row_counts() -> dict[str, int]:
    """Rows in every table of the live database (the portal's tables and alembic_version)."""
    names = sorted(inspect(db.engine).get_table_names())
    return {name: db.session.scalar(select(func.count()).select_from(table(name)))
            for name in names}


def upload_files(root: Path) -> dict[str, str]:
    """Every file under the upload folder: relative path → SHA-256 of its content."""
    if not root.is_dir():
        return {}
    return {p.relative_to(root).as_posix(): sha256_of(p)
            for p in sorted(root.rglob("*")) if p.is_file()}


def _libpq_url(url) -> str:
    """The database URL as pg_dump/pg_restore understand it (no ``+driver``)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _schema_revision() -> list[str]:
    return sorted(db.session.scalars(text("SELECT version_num FROM alembic_version")))


def create_backup(target_dir: Path, *, now: datetime | None = None) -> Path:
    """Back up the database and the uploads into a new folder under ``target_dir``."""
    url = db.engine.url
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    folder = target_dir / f"{PREFIX}{stamp}"
    if folder.exists():
        raise BackupError(f"备份目录已存在：{folder}")
    work = target_dir / f".{PREFIX}{stamp}.partial"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        counts = row_counts()
        revision = _schema_revision()
        db.session.rollback()
        if url.get_backend_name() == "sqlite":
            database_file = SQLITE_FILE
            source = sqlite3.connect(url.database)
            dest = sqlite3.connect(work / SQLITE_FILE)
            try:
                source.backup(dest)
            finally:
                dest.close()
                source.close()
        elif url.get_backend_name() == "postgresql":
            database_file = PG_FILE
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                  "--file", str(work / PG_FILE), _libpq_url(url)], "pg_dump")
        else:
            raise BackupError(f"不支持的数据库：{url.get_backend_name()}")
        uploads_root = Path(current_app.config["UPLOAD_FOLDER"])
        if uploads_root.is_dir():
            shutil.copytree(uploads_root, work / "uploads")
        manifest = {
            "created_at": utcnow().isoformat(timespec="seconds") + "Z",
            "database": url.get_backend_name(),
            "database_file": database_file,
            "database_sha256": sha256_of(work / database_file),
            "schema_revision": revision,
            "row_counts": counts,
            "files": upload_files(work / "uploads"),
        }
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1),
                                     encoding="utf-8")
        work.rename(folder)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return folder


def prune(target_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups in ``target_dir``; return what was deleted."""
    backups = sorted(p for p in target_dir.glob(f"{PREFIX}*") if (p / MANIFEST).is_file())
    doomed = backups[:-keep] if keep > 0 else []
    for path in doomed:
        shutil.rmtree(path)
    return doomed


def read_manifest(folder: Path) -> dict:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"不是有效的备份目录（缺少或无法读取 {MANIFEST}）：{folder}") from exc


def verify(manifest: dict, uploads_root: Path) -> Report:
    """Compare the live database and upload folder with ``manifest``."""
    report = Report()
    live = row_counts()
    for name, expected in sorted(manifest["row_counts"].items()):
        report.tables_checked += 1
        if live.get(name) != expected:
            report.problems.append(f"表 {name}：备份 {expected} 行，现有 {live.get(name)} 行")
    files = upload_files(uploads_root)
    for path, digest in sorted(manifest["files"].items()):
        report.files_checked += 1
        if files.get(path) != digest:
            report.problems.append(f"文件 {path}：内容与备份不符或缺失")
    return report


def restore_backup(folder: Path) -> Report:
    """Restore ``folder`` into this (empty) instance and verify it against the manifest."""
    manifest = read_manifest(folder)
    database_file = folder / manifest["database_file"]
    if sha256_of(database_file) != manifest["database_sha256"]:
        raise BackupError("备份中的数据库文件校验值不符，备份已损坏，未恢复。")
    for path, digest in manifest["files"].items():
        source = folder / "uploads" / path
        if not source.is_file() or sha256_of(source) != digest:
            raise BackupError(f"备份中的文件 {path} 缺失或已损坏，未恢复。")
    url = db.engine.url
    if url.get_backend_name() != manifest["database"]:
        raise BackupError(f"备份来自 {manifest['database']}，当前数据库是 "
                          f"{url.get_backend_name()}；请恢复到同类数据库。")
    uploads_root = Path(current_app.config["UPLOAD_FOLDER"])
    _refuse_unless_empty(uploads_root)
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(database_file)
        dest = sqlite3.connect(url.database)
        try:
            source.backup(dest)
        finally:
            dest.close()
            source.close()
    else:
        _run(["pg_restore", "--no-owner", "--no-privileges", "--clean", "--if-exists",
              "--single-transaction", "--dbname", _libpq_url(url), str(database_file)],
             "pg_restore")
    if (folder / "uploads").is_dir():
        shutil.copytree(folder / "uploads", uploads_root, dirs_exist_ok=True)
    return verify(manifest, uploads_root)


def _refuse_unless_empty(uploads_root: Path) -> None:
    names = set(inspect(db.engine).get_table_names())
    if "user_account" in names and db.session.scalar(
            select(func.count()).select_from(table("user_account"))):
        raise BackupError("目标数据库中已有数据。恢复只能在空的数据库上进行（请新建一个空数据库，"
                          "用 DATABASE_URL 指向它后再恢复），不会覆盖现有数据。")
    if upload_files(uploads_root):
        raise BackupError(f"上传文件夹 {uploads_root} 中已有文件；恢复只能在空的上传文件夹中进行。")


def _run(command: list[str], tool: str) -> None:
    if shutil.which(tool) is None:
        raise BackupError(f"找不到 {tool}：请安装 PostgreSQL 客户端（Debian：apt-get install "
                          "postgresql-client），版本不低于服务器。")
    result = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy(),  # noqa: S603
                            check=False)
    if result.returncode != 0:
        raise BackupError(f"{tool} 失败：{result.stderr.strip()[:500]}")

