"""Answers show instants on the city's clock. Services keep and answer instants in UTC;
a bureau reads "2026-01-01T07:30:00+08:00", not the previous day's date in UTC."""
from __future__ import annotations

import re
from datetime import tzinfo
from typing import Any

from yinfa.city_time import in_city_time
from yinfa.reference import load_city

# an instant as the services write it: ISO date-time in UTC (dates and other text untouched)
UTC_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:\+00:00|Z)")


def city_zone() -> tzinfo:
    return load_city().zone


def on_city_clock(body: Any, zone: tzinfo | None = None) -> Any:
    """`body` with every UTC instant in it shown in the city's zone, with the offset."""
    zone = zone or city_zone()
    if isinstance(body, str):
        return in_city_time(body, zone) if UTC_INSTANT.fullmatch(body) else body
    if isinstance(body, dict):
        return {key: on_city_clock(value, zone) for key, value in body.items()}
    if isinstance(body, list | tuple):
        return [on_city_clock(value, zone) for value in body]
    return body
