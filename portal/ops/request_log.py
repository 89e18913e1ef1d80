"""One log line per request, and a request id that ties the line, any error logged while
serving it and the 500 page the user sees together.

The id comes from the reverse proxy's ``X-Request-ID`` when it is a plain token (nginx:
``proxy_set_header X-Request-ID $request_id``), else it is made here; it is sent back in the
``X-Request-ID`` response header. Each line is JSON on the ``portal.request`` logger::

    {"request_id": "8f1c…", "user_id": 12, "method": "POST", "route": "sheets.save_level",
     "path": "/sheets/5/columns/supervisor/items/3", "status": 200, "duration_ms": 7.4}

The user id is read from the session cookie, so logging never costs a database query.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time

from flask import Flask, g, request, session

log = logging.getLogger("portal.request")

_TOKEN = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id() -> str | None:
    """The current request's id (None outside a request)."""
    return g.get("request_id")


def _session_user_id() -> int | None:
    uid = str(session.get("_user_id") or "").partition(".")[0]
    return int(uid) if uid.isdigit() else None


def log_line(status: int) -> dict:
    """What is logged for the current request, finished with ``status``."""
    started = g.get("request_started")
    return {
        "request_id": request_id(),
        "user_id": _session_user_id(),
        "method": request.method,
        "route": request.endpoint,
        "path": request.path,
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
    }


def init_app(app: Flask) -> None:
    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.propagate = False  # not again through Flask's handler on the "portal" logger
    log.setLevel(logging.INFO)

    @app.before_request
    def start() -> None:
        g.request_started = time.perf_counter()
        offered = request.headers.get("X-Request-ID", "")
        g.request_id = offered if _TOKEN.match(offered) else secrets.token_hex(8)

    @app.after_request
    def finish(response):
        response.headers["X-Request-ID"] = request_id() or ""
        log.info(json.dumps(log_line(response.status_code), ensure_ascii=False))
        return response

    app.logger.addFilter(_tag_with_request_id)


def _tag_with_request_id(record: logging.LogRecord) -> bool:
    """Prefix the app's own log records (Flask logs an unhandled exception with its traceback
    there) with the request id the user sees on the 500 page."""
    from flask import has_request_context

    if has_request_context() and request_id() and not getattr(record, "request_id", None):
        record.request_id = request_id()
        record.msg = f"[request {request_id()}] {record.msg}"
    return True
