"""A per-process memo of dashboard figures (and the rendered board), invalidated by the
recorded changes that can alter them.

The province's figures aggregate every card, sheet and application (hundreds of
milliseconds on 80,000 cards and 200,000 sheets); between two relevant changes they are the
same. Every state change in the portal writes an audit event (CONVENTIONS.md;
:func:`portal.audit.operations.record`), so the audit events written since the last look —
a primary-key range, usually a handful of rows — tell which figures may have changed.

Figures come in families, named by the first element of their memo key: ``cards``,
``applications``, ``renewals``, ``sheets``, ``risk`` (renewal rules 1–2) and ``board`` (the
rendered page, which also shows an institution's batches). :data:`FAMILIES_OF` says which
families an action may change: a level click changes none (the boards count sheets once
finalised), a review step only the waiting tables, a finalised sheet only the board (the
sheet and risk families hold the days before today; today's finalisations are counted afresh
on each build); an action it does not list may change any. Each family has a generation number
in the process; a figure is reused only while its family's generation, the local date (card
statuses and working days depend on it), the viewer and the filters are the same, and for at
most ``DASHBOARD_CACHE_SECONDS`` (app config, else the environment variable, default 300) as
a safety net for a change that bypasses the audit log (a bulk load from the command line).
``DASHBOARD_CACHE_SECONDS = 0`` turns it off.

On PostgreSQL two transactions may commit their audit events out of id order; the last
:data:`OVERLAP` ids are therefore read again on each look (ids already counted are skipped),
so an event that commits late is still seen.

Each gunicorn worker has its own memo (a bounded dict, least recently used dropped first):
no shared state and nothing to configure.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app, g
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.extensions import db

#: Entries kept per process; a rendered province board is ~270 kB, so at most ~35 MB.
MAX_ENTRIES = 128
_lock = threading.Lock()


def _store() -> OrderedDict:
    return current_app.extensions.setdefault("dashboard_memo", OrderedDict())


#: The figure families an audited action may change, by the action or by its entity prefix
#: (``"sheet."``); the action itself is looked up first. An action not listed may change any.
FAMILIES_OF: dict[str, tuple[str, ...]] = {
    # No figure: a level is not a figure; logins, exports and stored files count nowhere.
    "sheet.level": (), "auth.": (), "registry.export": (), "upload.create": (),
    # The sheet and risk figures keep the days before today; today's finalisations are
    # counted afresh on each build, so finalising (or rating, submitting) redraws the board only.
    "sheet.finalise": ("board",), "sheet.create": ("board",), "sheet.submit": ("board",),
    "sheet.scan": ("board",),
    "sheet.": ("sheets", "risk", "board"),  # reopened, imported, raters changed
    "assignment.": ("risk", "board"),  # refusals (rule 2) and an institution's batches
    "batch.": ("board",),
    "card.": ("cards", "board"),
    "application.": ("applications", "board"), "summary_table.": ("applications", "board"),
    # A renewal decision that issues or revokes a card records card.* events as well.
    "renewal.": ("renewals", "board"), "renewal_summary_table.": ("renewals", "board"),
}
FAMILIES = ("cards", "applications", "renewals", "sheets", "risk", "board")
#: Audit ids read again on each look, for events committed out of id order.
OVERLAP = 200


def families_of(action: str) -> tuple[str, ...]:
    """The figure families ``action`` may change (:data:`FAMILIES_OF`)."""
    if action in FAMILIES_OF:
        return FAMILIES_OF[action]
    return FAMILIES_OF.get(action.split(".", 1)[0] + ".", FAMILIES)


class _Generations:
    """Per process: the newest audit id looked at, the ids of the last :data:`OVERLAP`
    already counted, and each family's generation."""

    def __init__(self) -> None:
        self.last_id: int | None = None
        self.seen: set[int] = set()
        self.generation = dict.fromkeys(FAMILIES, 0)

    def look(self) -> dict[str, int]:
        if self.last_id is None:  # a fresh process: nothing memoised yet
            self.last_id = db.session.scalar(select(func.max(AuditEvent.id))) or 0
            self.seen = set(db.session.scalars(select(AuditEvent.id).where(
                AuditEvent.id > self.last_id - OVERLAP)))
            return dict(self.generation)
        floor = max(0, self.last_id - OVERLAP)
        rows = db.session.execute(select(AuditEvent.id, AuditEvent.action)
                                  .where(AuditEvent.id > floor).order_by(AuditEvent.id)).all()
        for event_id, action in rows:
            if event_id in self.seen or event_id <= floor:
                continue
            self.seen.add(event_id)
            for family in families_of(action):
                self.generation[family] += 1
            self.last_id = max(self.last_id, event_id)
        self.seen = {i for i in self.seen if i > self.last_id - OVERLAP}
        return dict(self.generation)


def generations() -> dict[str, int]:
    """Each family's generation in this process, brought up to date once per request."""
    if "dashboard_generations" not in g:
        state = current_app.extensions.setdefault("dashboard_generations", _Generations())
        with _lock:
            g.dashboard_generations = state.look()
    return g.dashboard_generations


def remember(key: Hashable, compute: Callable[[], Any]) -> Any:
    """``compute()``, or the value computed for ``key`` since the last recorded change that
    may alter it (its family is ``key[0]``; an unknown family depends on every change)."""
    ttl = current_app.config.get("DASHBOARD_CACHE_SECONDS",
                                 int(os.environ.get("DASHBOARD_CACHE_SECONDS", "300")))
    if not ttl:
        return compute()
    marks = generations()
    family = key[0] if isinstance(key, tuple) and key and key[0] in marks else None
    full = (key, marks[family] if family else tuple(sorted(marks.items())))
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
