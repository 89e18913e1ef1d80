"""A per-process memo of dashboard figures (and the rendered board), invalidated by any
recorded change.

The province's figures aggregate every card, sheet and application (tens of milliseconds
each on 80,000 cards and 200,000 sheets); between two changes they are the same. Every state
change in the portal writes an audit event (CONVENTIONS.md; :func:`portal.audit.operations
.record`), so the newest audit event id — one primary-key lookup — tells whether anything
changed (events that change no figure, such as a level click, are skipped:
:data:`NO_FIGURE_ACTIONS`). A figure is reused only while that id, the local date (card statuses and working
days depend on it), the viewer and the filters are the same, and for at most
``DASHBOARD_CACHE_SECONDS`` (app config, else the environment variable, default 300) as a
safety net for a change that bypasses the audit log
(a bulk import run from the command line). ``DASHBOARD_CACHE_SECONDS = 0`` turns it off.

Each gunicorn worker has its own memo (a bounded dict, least recently used dropped first):
no shared state, nothing to configure, and a stale figure is impossible once the change is
audited.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app, g
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.extensions import db

#: Entries kept per process; a rendered province board is ~270 kB, so at most ~35 MB.
MAX_ENTRIES = 128
_lock = threading.Lock()


def _store() -> OrderedDict:
    return current_app.extensions.setdefault("dashboard_memo", OrderedDict())


#: Audited actions that change no dashboard figure. The busiest of them — a level click on an
#: exam day, a login — would otherwise recompute every board on nearly every visit. A level is
#: not a figure: the boards count sheets once finalised (``sheet.finalise``), and a rater's
#: columns to rate are counted per request, outside the memo.
NO_FIGURE_ACTIONS = ("sheet.level", "auth.login", "auth.logout", "auth.lockout",
                     "registry.export", "upload.create")


def change_marker() -> int:
    """The newest id of an audit event that may change a figure (0 for none), read once per
    request: the newest ids read backwards on the primary key, skipping
    :data:`NO_FIGURE_ACTIONS`, so it stops at the first relevant event."""
    if "dashboard_marker" not in g:
        g.dashboard_marker = db.session.scalar(
            select(AuditEvent.id).where(AuditEvent.action.not_in(NO_FIGURE_ACTIONS))
            .order_by(AuditEvent.id.desc()).limit(1)) or 0
    return g.dashboard_marker


def remember(key: Hashable, compute: Callable[[], Any]) -> Any:
    """``compute()``, or the value computed for ``key`` since the last recorded change."""
    ttl = current_app.config.get("DASHBOARD_CACHE_SECONDS",
                                 int(os.environ.get("DASHBOARD_CACHE_SECONDS", "300")))
    if not ttl:
        return compute()
    full = (key, change_marker())
    now = time.monotonic()
    store = _store()
    with _lock:
        hit = store.get(full)
        if hit is not None and now - hit[0] < ttl:
            store.move_to_end(full)
            return hit[1]
    value = compute()
    with _lock:
        store[full] = (now, value)
        store.move_to_end(full)
        while len(store) > MAX_ENTRIES:
            store.popitem(last=False)
    return value
