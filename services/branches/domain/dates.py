"""Calendar arithmetic for validity periods and review dates, in China Standard Time."""
from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta, timezone

CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the 31st becomes the last day of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def local_date(now: date | datetime) -> date:
    """The bureau's calendar day at `now`; a naive datetime is taken as already local."""
    if isinstance(now, datetime):
        return (now.astimezone(CHINA_STANDARD_TIME) if now.tzinfo else now).date()
    return now


def as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
