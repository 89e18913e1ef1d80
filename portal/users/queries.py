"""Scoped read queries for users."""

from sqlalchemy import Select, or_, select

from portal.auth.models import User, UserRole
from portal.scope import visible


def search_users(viewer: User, *, q: str = "", role: str = "", status: str = "") -> Select:
    stmt = select(User).where(visible(User, viewer))
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(User.username.ilike(like), User.display_name.ilike(like)))
    if role:
        stmt = stmt.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    if status == "active":
        stmt = stmt.where(User.active)
    elif status == "disabled":
        stmt = stmt.where(~User.active)
    elif status == "must_change":
        stmt = stmt.where(User.must_change_password)
    return stmt.order_by(User.username)
