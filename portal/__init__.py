"""Examiner Portal (考评员管理与考评评价平台): the application factory."""

from pathlib import Path

from flask import Flask, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import joinedload

from portal import errors, pdf, security
from portal.config import load_config
from portal.extensions import csrf, db, login_manager, migrate
from portal.ops import production, request_log

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app. ``test_config`` overrides settings (tests point it at their database)."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(load_config(Path(app.instance_path)))
    if test_config:
        app.config.from_mapping(test_config)
    if app.config["PRODUCTION"]:
        production.check(app.config, secret_from_environment=app.config["SECRET_KEY_FROM_ENV"])
    Path(app.config["UPLOAD_FOLDER"]).mkdir(parents=True, exist_ok=True)

    if hops := app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    request_log.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    _init_login(app)
    security.init_app(app)
    errors.init_app(app)
    pdf.init_app(app)
    _register_models()
    _register_blueprints(app)
    _register_template_helpers(app)
    _register_cli(app)
    return app


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """Foreign keys on, WAL journal, and a busy timeout for every SQLite connection.

    The sqlite3 driver's own transaction handling is switched off (isolation_level None) so
    that SQLAlchemy emits BEGIN itself (:func:`_sqlite_begin`), as SQLAlchemy documents."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    """BEGIN, or BEGIN IMMEDIATE for a write transaction (see :func:`portal.dbutil.begin_write`):
    a transaction that reads first and writes later would otherwise fail under contention
    instead of waiting its turn."""
    if conn.dialect.name == "sqlite":
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


def _register_models() -> None:
    """Import every model module so metadata (and Alembic) knows every table."""
    from portal import ratelimit as _ratelimit  # noqa: F401
    from portal.applications import models as _applications  # noqa: F401
    from portal.audit import models as _audit  # noqa: F401
    from portal.auth import models as _auth  # noqa: F401
    from portal.batches import models as _batches  # noqa: F401
    from portal.calendar import models as _calendar  # noqa: F401
    from portal.cards import models as _cards  # noqa: F401
    from portal.catalogue import models as _catalogue  # noqa: F401
    from portal.orgs import models as _orgs  # noqa: F401
    from portal.people import models as _people  # noqa: F401
    from portal.renewals import models as _renewals  # noqa: F401
    from portal.sheets import models as _sheets  # noqa: F401
    from portal.uploads import models as _uploads  # noqa: F401


def _init_login(app: Flask) -> None:
    from portal.auth.models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str):
        uid, _, token = user_id.partition(".")
        if not uid.isdigit():
            return None
        # One statement per request: the user with their roles (not get + a selectin).
        user = db.session.scalars(
            select(User).options(joinedload(User.role_rows)).where(User.id == int(uid))
        ).unique().first()
        if user is None or not user.active or user.session_token != token:
            return None
        return user

    @app.before_request
    def force_password_change():
        """A user with a temporary password may do nothing else until they change it."""
        allowed = {"auth.change_password", "auth.logout", "static"}
        if (
            current_user.is_authenticated
            and current_user.must_change_password
            and request.endpoint not in allowed
        ):
            return redirect(url_for("auth.change_password"))
        return None


def _register_blueprints(app: Flask) -> None:
    from portal.applications.apply_routes import bp as apply_bp
    from portal.applications.review_routes import bp as applications_bp
    from portal.audit.routes import bp as audit_bp
    from portal.auth.routes import bp as auth_bp
    from portal.batches.routes import bp as batches_bp
    from portal.calendar.routes import bp as calendar_bp
    from portal.card_import.routes import bp as card_import_bp
    from portal.cardcheck.routes import bp as cardcheck_bp
    from portal.cards.routes import bp as cards_bp
    from portal.catalogue.routes import bp as catalogue_bp
    from portal.dashboards.routes import bp as dashboards_bp
    from portal.home.routes import bp as home_bp
    from portal.ops.health import bp as ops_bp
    from portal.orgs.routes import bp as orgs_bp
    from portal.people.routes import bp as people_bp
    from portal.registry.routes import bp as registry_bp
    from portal.renewals.apply_routes import bp as renew_bp
    from portal.renewals.plan_routes import bp as renewal_plans_bp
    from portal.renewals.review_routes import bp as renewals_bp
    from portal.renewals.summary_routes import bp as renewal_tables_bp
    from portal.sheets.import_routes import bp as sheet_imports_bp
    from portal.sheets.routes import bp as sheets_bp
    from portal.training.result_import_routes import bp as training_results_bp
    from portal.training.routes import bp as training_bp
    from portal.training.session_routes import bp as training_sessions_bp
    from portal.uploads.routes import bp as uploads_bp
    from portal.users.routes import bp as users_bp
    from portal.violations.routes import bp as violations_bp

    for bp in (auth_bp, home_bp, users_bp, orgs_bp, catalogue_bp, calendar_bp, audit_bp,
               uploads_bp, people_bp, batches_bp, sheets_bp, sheet_imports_bp, ops_bp,
               cards_bp, card_import_bp, cardcheck_bp, training_bp):
        app.register_blueprint(bp)
    app.register_blueprint(registry_bp)
    app.register_blueprint(training_sessions_bp)
    app.register_blueprint(training_results_bp)
    app.register_blueprint(applications_bp)
    app.register_blueprint(apply_bp)
    app.register_blueprint(dashboards_bp)
    app.register_blueprint(renew_bp)
    app.register_blueprint(renewals_bp)
    app.register_blueprint(violations_bp)
    app.register_blueprint(renewal_tables_bp)
    app.register_blueprint(renewal_plans_bp)


def _register_template_helpers(app: Flask) -> None:
    from portal.audit.operations import ACTION_LABELS
    from portal.auth.access import nav_for
    from portal.people.idcard import mask_id_number
    from portal.timeutil import cn_date, cn_datetime

    app.jinja_env.filters["cn_date"] = cn_date
    app.jinja_env.filters["cn_datetime"] = cn_datetime
    app.jinja_env.filters["mask_id"] = mask_id_number
    app.jinja_env.globals["nav_for"] = nav_for
    app.jinja_env.globals["action_label"] = lambda code: ACTION_LABELS.get(code, code)
    app.jinja_env.filters["reject_key"] = lambda d, key: {k: v for k, v in d.items() if k != key}
    app.jinja_env.globals["HTMX_JS"] = "vendor/htmx-2.0.11.min.js"


def _register_cli(app: Flask) -> None:
    from portal.cli import register

    register(app)
