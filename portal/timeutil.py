"""Time in one place: UTC stored, China Standard Time shown."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """The current time as a naive UTC datetime (how every timestamp column stores it)."""
    return datetime.now(UTC).replace(tzinfo=None)


def local_today() -> date:
    """Today's date in China Standard Time (the date on the clerk's wall calendar)."""
    return datetime.now(LOCAL_TZ).date()


def to_local(value: datetime) -> datetime:
    """Convert a stored naive-UTC datetime to China Standard Time."""
    return value.replace(tzinfo=UTC).astimezone(LOCAL_TZ)


def cn_date(value: date | datetime | str | None) -> str:
    """Format a date the Chinese way: 2026年3月28日 (no zero padding). Empty for None.

    Also accepts an ISO date string (as dates are kept in audit events' JSON)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if isinstance(value, datetime):
        value = to_local(value).date()
    return f"{value.year}年{value.month}月{value.day}日"


def cn_datetime(value: datetime | None) -> str:
    """Format a stored UTC datetime as local 2026年3月28日 09:05."""
    if value is None:
        return ""
    local = to_local(value)
    return f"{cn_date(local.date())} {local:%H:%M}"
