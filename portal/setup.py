"""Bringing a database up to date on start: migrate, refuse a newer schema, seed the demo."""

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select

from portal.extensions import db


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer release than this code."""


def _script() -> ScriptDirectory:
    from portal import MIGRATIONS_DIR

    return ScriptDirectory(str(MIGRATIONS_DIR))


def current_revisions() -> set[str]:
    with db.engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def head_revisions() -> set[str]:
    """The revisions this release's migrations end at."""
    return set(_script().get_heads())


def upgrade_database() -> None:
    """Apply pending migrations. Migrations only add; they never drop data.

    Refuses (SchemaTooNew) when the database carries a revision this release does not know.
    """
    script = _script()
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = current_revisions() - known
    if unknown:
        raise SchemaTooNew(
            f"数据库版本（{', '.join(sorted(unknown))}）比本程序新，请升级程序后再启动。"
            " The database was migrated by a newer release; upgrade the application."
        )
    from portal import MIGRATIONS_DIR

    upgrade(directory=str(MIGRATIONS_DIR))


def database_is_empty() -> bool:
    from portal.auth.models import User

    return db.session.scalar(select(func.count()).select_from(User)) == 0


def prepare_database(app: Flask) -> None:
    """Migrate, then seed demo data when the database has no users and seeding is on."""
    with app.app_context():
        upgrade_database()
        if app.config["SEED_DEMO"] and database_is_empty():
            from portal.demo.seed import seed_demo

            seed_demo()
