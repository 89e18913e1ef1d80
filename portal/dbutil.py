"""Transactions for writes that must never fail under concurrent use."""

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
