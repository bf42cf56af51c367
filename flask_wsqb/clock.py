"""Time as the extension stores it: aware, in UTC."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import overload


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: None) -> None: ...
def aware(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back without their zone; everything we store is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def parse_time(value: object) -> datetime | None:
    """A time QuickBooks wrote (ISO 8601, "Z" or an offset such as its "-08:00"), in UTC (SQLite
    keeps a time without its offset: stored in any other zone, it would be read back hours off);
    None when it is missing or malformed (a bad timestamp must not stop what reads it)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return aware(datetime.fromisoformat(value.replace("Z", "+00:00"))).astimezone(timezone.utc)
    except ValueError:
        return None
