"""``/healthz`` (the process answers) and ``/readyz`` (it can serve: database reachable,
migrations current, PDF font and upload folder present) for a proxy or a monitor.

Both are public (no session, no CSRF: GET only) and say nothing secret: each check is named
with ok true/false and, when false, a short reason. ``/readyz`` answers 503 when any check
fails, so a load balancer takes the server out of rotation.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from portal.extensions import db

bp = Blueprint("ops", __name__)


def readiness() -> dict[str, dict]:
    """Every readiness check by name: ``{"ok": bool, "detail": str}``."""
    checks: dict[str, dict] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = {"ok": True, "detail": db.engine.dialect.name}
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        db.session.rollback()
        checks["database"] = {"ok": False, "detail": type(exc).__name__}
    if checks["database"]["ok"]:
        from portal.setup import current_revisions, head_revisions

        current, heads = current_revisions(), head_revisions()
        checks["migrations"] = {
            "ok": current == heads,
            "detail": "current" if current == heads
            else f"database at {sorted(current) or 'none'}, code at {sorted(heads)}",
        }
    else:
        checks["migrations"] = {"ok": False, "detail": "database unreachable"}
    font = Path(current_app.config["PDF_FONT_PATH"])
    checks["pdf_font"] = {"ok": font.is_file(), "detail": font.name}
    uploads = Path(current_app.config["UPLOAD_FOLDER"])
    writable = uploads.is_dir() and os.access(uploads, os.W_OK | os.X_OK)
    checks["upload_folder"] = {"ok": writable, "detail": "writable" if writable
                               else "missing or not writable"}
    return checks


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    checks = readiness()
    ready = all(c["ok"] for c in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503
