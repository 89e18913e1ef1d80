"""Every change to a user account: set, flush, audit. The caller commits."""

from portal.audit.operations import record, snapshot
from portal.auth.models import User
from portal.extensions import db

FIELDS = ("display_name", "phone", "region_id", "organisation_id", "active")


class UserError(ValueError):
    """A move the rules do not allow; the message is Chinese, for the user."""


def _state(user: User) -> dict:
    return {**snapshot(user, FIELDS), "roles": sorted(user.roles)}


def create_user(*, username, display_name, phone, roles, region_id, organisation_id, password):
    user = User(username=username.strip(), display_name=display_name.strip(),
                phone=(phone or "").strip(), region_id=region_id,
                organisation_id=organisation_id)
    user.set_password(password, temporary=True)
    user.set_roles(set(roles))
    db.session.add(user)
    db.session.flush()
    record("user.create", user, after={"username": user.username, **_state(user)})
    return user


def update_user(user: User, *, display_name, phone, roles, region_id, organisation_id, actor):
    if user.id == actor.id and "admin" in user.roles and "admin" not in roles:
        raise UserError("不能取消自己的系统管理员角色")
    before = _state(user)
    user.display_name = display_name.strip()
    user.phone = (phone or "").strip()
    user.region_id = region_id
    user.organisation_id = organisation_id
    user.set_roles(set(roles))
    db.session.flush()
    record("user.update", user, before=before, after=_state(user))


def set_active(user: User, active: bool, *, actor) -> None:
    if user.id == actor.id and not active:
        raise UserError("不能停用自己的账户")
    if user.active == active:
        return
    user.active = active
    if not active:
        user.rotate_session()
    record("user.enable" if active else "user.disable", user,
           before={"active": not active}, after={"active": active})


def reset_password(user: User, temporary_password: str) -> None:
    """Set a temporary password; the user must change it at next login. Ends their sessions."""
    user.set_password(temporary_password, temporary=True)
    record("user.password_reset", user, after={"must_change_password": True})
