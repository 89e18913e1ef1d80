"""Counting requests per client across every app process: a fixed-window rate limit kept in
the database, so the limit holds behind several servers (gunicorn workers, hosts).

:func:`hit` counts one request of ``client`` (an IP address) under ``scope`` (what is
limited, e.g. ``card_check``) in the current window and says whether it is allowed. One
atomic ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` (SQLite ≥ 3.35 and PostgreSQL) per
request: two processes counting at once never lose a hit. Windows are aligned to the epoch
(10:00–10:10, 10:10–10:20 …): at most ``limit`` requests per window, so a client spreading
requests over a window boundary may make up to twice ``limit`` in one window's length — the
usual trade of a fixed window for one row per client. Rows of past windows are removed as
new windows start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import DateTime, Index, Integer, String, delete
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.timeutil import utcnow

__all__ = ["RateCounter", "Verdict", "hit", "verdict", "window_start"]


class RateCounter(db.Model):
    """Requests of one client under one scope in one window."""

    __tablename__ = "rate_counter"
    __table_args__ = (Index("ix_rate_counter_window_start", "window_start"),)

    scope: Mapped[str] = mapped_column(String(30), primary_key=True)
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=1)


@dataclass(frozen=True)
class Verdict:
    """Whether a request is allowed; ``hits`` counts it; ``retry_at`` is when the window
    ends (naive UTC), ``retry_after`` the seconds until then."""

    allowed: bool
    hits: int
    limit: int
    retry_at: datetime
    retry_after: int


def window_start(now: datetime, window: timedelta) -> datetime:
    """The start of the fixed window holding ``now`` (windows aligned to 1970-01-01)."""
    epoch = datetime(1970, 1, 1)
    seconds = int(window.total_seconds())
    elapsed = int((now - epoch).total_seconds())
    return epoch + timedelta(seconds=elapsed - elapsed % seconds)


def verdict(hits: int, *, limit: int, now: datetime, window: timedelta) -> Verdict:
    """The :class:`Verdict` for the ``hits``-th request of a window (pure)."""
    end = window_start(now, window) + window
    return Verdict(hits <= limit, hits, limit, end, max(1, int((end - now).total_seconds())))


def hit(scope: str, client: str, *, limit: int, window: timedelta,
        now: datetime | None = None) -> Verdict:
    """Count one request of ``client`` under ``scope`` and judge it.

    Runs in the caller's transaction (on SQLite start it with
    :func:`portal.dbutil.begin_write`, so the increment waits for a concurrent writer instead
    of failing); the caller commits. The first hit of a new window also removes every row of
    ``scope`` from past windows.
    """
    now = now or utcnow()
    start = window_start(now, window)
    table = RateCounter.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = (
        insert(table).values(scope=scope, client=client[:64], window_start=start, hits=1)
        .on_conflict_do_update(index_elements=["scope", "client", "window_start"],
                               set_={"hits": table.c.hits + 1})
        .returning(table.c.hits)
    )
    hits = db.session.execute(statement).scalar_one()
    if hits == 1:
        db.session.execute(delete(table).where(table.c.scope == scope,
                                               table.c.window_start < start))
    return verdict(hits, limit=limit, now=now, window=window)
