"""The city's clock: which calendar day, and so which assessment year, an instant falls on.

Instants are stored in UTC; periods, deadlines and the dates people read are the city's
(Asia/Shanghai for Yancheng, from the reference file). A talk at 07:00 on 1 January,
Beijing time, is 23:00 on 31 December in UTC and belongs to the new year: every fact is
placed by `local_day`, never by the date prefix of a UTC timestamp.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo


def as_instant(value: str | datetime) -> datetime:
    """An aware instant; a naive one is taken as UTC, the zone every stored instant is in."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def local_day(instant: str | datetime, zone: tzinfo) -> date:
    """The city's calendar day at `instant`."""
    return as_instant(instant).astimezone(zone).date()


def local_year(instant: str | datetime, zone: tzinfo) -> int:
    return local_day(instant, zone).year


def in_city_time(instant: str | datetime, zone: tzinfo) -> str:
    """ISO text of the instant on the city's clock, with its offset (+08:00)."""
    return as_instant(instant).astimezone(zone).isoformat()


def day_ends_at(day: date, zone: tzinfo) -> datetime:
    """The last second of the city's calendar day (an as-of date means its end)."""
    return datetime.combine(day, time(23, 59, 59), zone)
