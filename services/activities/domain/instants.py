"""Points in time as the domain takes them (aware datetimes) and stores them (ISO, UTC)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from yinfa.errors import DomainRuleViolated

MICROSECOND = timedelta(microseconds=1)


def instant(value: datetime | str, field: str) -> datetime:
    """An aware datetime in UTC; a time without an offset is ambiguous and refused."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        raise DomainRuleViolated("a time needs its UTC offset", field=field)
    return moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def ratio(part: timedelta, whole: timedelta) -> Decimal:
    """part / whole, exactly (timedeltas count whole microseconds)."""
    return Decimal(part // MICROSECOND) / Decimal(whole // MICROSECOND)


def as_hours(span: timedelta) -> Decimal:
    return Decimal(span // MICROSECOND) / Decimal(3_600_000_000)
