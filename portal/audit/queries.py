"""Filtering the audit trail (admin only)."""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, select

from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.timeutil import LOCAL_TZ


def _utc_start(day: date) -> datetime:
    """Start of a local (China) day as naive UTC, for comparing with stored timestamps."""
    local = datetime.combine(day, time.min, tzinfo=LOCAL_TZ)
    return local.astimezone(UTC).replace(tzinfo=None)


def search_events(
    *, actor: str = "", action: str = "", entity_type: str = "", entity_id: str = "",
    since: date | None = None, until: date | None = None,
) -> Select:
    stmt = select(AuditEvent)
    if actor:
        ids = select(User.id).where(User.username == actor.strip())
        stmt = stmt.where(AuditEvent.actor_id.in_(ids))
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if entity_type:
        stmt = stmt.where(AuditEvent.entity_type == entity_type)
    if entity_id:
        stmt = stmt.where(AuditEvent.entity_id == entity_id.strip())
    if since:
        stmt = stmt.where(AuditEvent.at >= _utc_start(since))
    if until:
        stmt = stmt.where(AuditEvent.at < _utc_start(until + timedelta(days=1)))
    return stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
