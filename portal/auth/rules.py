"""Pure rules for accounts: password strength and login lockout."""

from collections.abc import Sequence
from datetime import datetime, timedelta

MIN_PASSWORD_LENGTH = 8


def password_problems(password: str, *, username: str = "") -> list[str]:
    """Chinese reasons why ``password`` is too weak (empty list when acceptable).

    At least 8 characters with letters and digits, and not the user name itself.
    """
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        problems.append("密码须同时包含字母和数字")
    if username and password.lower() == username.lower():
        problems.append("密码不能与用户名相同")
    return problems


def locked_until(
    attempts: Sequence[tuple[datetime, bool]],
    now: datetime,
    *,
    max_failures: int = 5,
    lock_minutes: int = 15,
) -> datetime | None:
    """When the account+address is locked, the time the lock ends; else None.

    ``attempts`` are (time, success) pairs for one user name from one address, any order.
    Failures since the last success within the last ``lock_minutes`` count; once there are
    ``max_failures`` of them the pair is refused until ``lock_minutes`` after the
    ``max_failures``-th one. Attempts refused while locked are not recorded, so they do not
    extend the lock.
    """
    window_start = now - timedelta(minutes=lock_minutes)
    recent = sorted(a for a in attempts if a[0] > window_start)
    failures: list[datetime] = []
    for at, success in recent:
        failures = [] if success else [*failures, at]
    if len(failures) < max_failures:
        return None
    return failures[max_failures - 1] + timedelta(minutes=lock_minutes)
