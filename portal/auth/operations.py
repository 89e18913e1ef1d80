"""Login bookkeeping and password changes (each writes its audit event)."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from portal.audit.operations import record
from portal.auth.models import LoginAttempt, User
from portal.auth.rules import locked_until
from portal.extensions import db
from portal.timeutil import utcnow


def lock_end(username: str, ip: str):
    """The end of the current lock for this user name and address, or None."""
    now = utcnow()
    minutes = current_app.config["LOGIN_LOCK_MINUTES"]
    rows = db.session.execute(
        select(LoginAttempt.at, LoginAttempt.success).where(
            LoginAttempt.username == username,
            LoginAttempt.ip == ip,
            LoginAttempt.at > now - timedelta(minutes=minutes),
        )
    ).all()
    return locked_until(
        [(r.at, r.success) for r in rows],
        now,
        max_failures=current_app.config["LOGIN_MAX_FAILURES"],
        lock_minutes=minutes,
    )


def authenticate(username: str, password: str, ip: str) -> tuple[User | None, str | None]:
    """Check credentials and record the attempt. Returns (user, None) or (None, message).

    The caller commits. A disabled account is reported only after a correct password.
    """
    user = db.session.scalars(select(User).where(User.username == username)).first()
    ok = user is not None and user.check_password(password)
    db.session.add(LoginAttempt(username=username, ip=ip, success=ok and user.active))
    if ok and not user.active:
        return None, "该账户已停用，请联系系统管理员"
    if not ok:
        db.session.flush()
        end = lock_end(username, ip)
        if end is not None:
            if user is not None:
                record("auth.lockout", user, after={"ip": ip, "until": end}, actor_id=None)
            return None, lockout_message(end)
        return None, "用户名或密码不正确"
    user.last_login_at = utcnow()
    record("auth.login", user, after={"ip": ip}, actor_id=user.id)
    return user, None


def lockout_message(end) -> str:
    from portal.timeutil import to_local

    return (
        f"登录失败次数过多，此账户在当前地址已被锁定 "
        f"{current_app.config['LOGIN_LOCK_MINUTES']} 分钟，请于 {to_local(end):%H:%M} 后再试"
    )


def change_password(user: User, new_password: str) -> None:
    """Set a password the user chose; ends their other sessions; audited (no hashes kept)."""
    was_temporary = user.must_change_password
    user.set_password(new_password, temporary=False)
    record(
        "auth.password_change",
        user,
        before={"must_change_password": was_temporary},
        after={"must_change_password": False},
    )
