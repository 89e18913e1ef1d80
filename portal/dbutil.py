"""Transactions for writes that must never fail under concurrent use."""

from collections.abc import Iterator
from contextlib import contextmanager

from portal.extensions import db


def begin_write() -> None:
    """End the current (read) transaction and start a write transaction.

    On SQLite this is BEGIN IMMEDIATE: the writer lock is taken up front and a concurrent
    writer waits (busy timeout) instead of the transaction failing when it upgrades from
    reading to writing. On PostgreSQL it is an ordinary transaction; row locks taken by the
    first UPDATE serialise concurrent writers of the same row.
    """
    db.session.commit()
    db.session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


@contextmanager
def kept_loaded() -> Iterator[None]:
    """Commits inside the block leave loaded objects as they are instead of expiring them.

    For a hot write whose guard is in the statement itself (a conditional UPDATE on a version
    column) and whose response is drawn from the objects it has just written: neither the
    commit of the read transaction in :func:`begin_write` nor the final commit then makes
    the ORM load everything again. Use it only where that guard exists.
    """
    session = db.session()
    previous = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = previous
