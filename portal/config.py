"""Configuration from the environment, with safe defaults for the self-hosted demo."""

import os
import secrets
from pathlib import Path


def _secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one generated once into instance/ and reused."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def load_config(instance_path: Path) -> dict:
    """Build the Flask config mapping. ``instance_path`` must exist."""
    upload_max_mb = int(os.environ.get("UPLOAD_MAX_MB", "10"))
    production = os.environ.get("PORTAL_ENV", "").lower() == "production"
    return {
        "PRODUCTION": production,
        "SECRET_KEY_FROM_ENV": bool(os.environ.get("SECRET_KEY")),
        "DEBUG": os.environ.get("FLASK_DEBUG") == "1",
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL")
        or f"sqlite:///{instance_path / 'portal.db'}",
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER") or str(instance_path / "uploads"),
        "UPLOAD_MAX_MB": upload_max_mb,
        # How many reverse proxies stand in front (nginx: 1). Only then are X-Forwarded-*
        # headers believed, and only that many hops of them (werkzeug ProxyFix).
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", "0")),
        "BACKUP_DIR": os.environ.get("BACKUP_DIR") or str(instance_path / "backups"),
        # A little headroom over the file limit for the multipart envelope and form fields;
        # the upload service itself enforces the exact per-file limit with a form error.
        "MAX_CONTENT_LENGTH": (upload_max_mb + 1) * 1024 * 1024,
        # A sheet or a form may stay open for a whole working day (and then some) on site.
        "WTF_CSRF_TIME_LIMIT": 12 * 3600,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # The demo data is for trying the portal out: never by default in production.
        "SEED_DEMO": os.environ.get("SEED_DEMO", "0" if production else "1") == "1",
        "PASSWORD_HASH_METHOD": "scrypt",
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_LOCK_MINUTES": 15,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "PDF_FONT_PATH": os.environ.get("PDF_FONT_PATH")
        or str(Path(__file__).resolve().parent.parent / "static" / "fonts" / "wqy-microhei.ttc"),
    }
