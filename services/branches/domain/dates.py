"""Calendar arithmetic for validity periods and review dates, on the city's clock."""
from __future__ import annotations

import calendar
from datetime import date, datetime

from yinfa.city_time import local_day
from yinfa.reference import load_city


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the 31st becomes the last day of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def local_date(now: date | datetime) -> date:
    """The bureau's calendar day at `now`; a naive datetime is taken as already local."""
    if isinstance(now, datetime):
        return local_day(now, load_city().zone) if now.tzinfo else now.date()
    return now
