"""Timestamps as AWS hands them over (boto3 datetimes, ISO text with `Z`, epoch seconds) and as restore-sync
writes them."""

from __future__ import annotations

from datetime import UTC, datetime


def instant(value: datetime | str | float) -> datetime:
    """An aware UTC datetime from a boto3 datetime, ISO text, or seconds since the epoch."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso(moment: datetime) -> str:
    """UTC with milliseconds and `Z`: the settings history's format, which sorts as it reads."""
    utc = instant(moment).astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
