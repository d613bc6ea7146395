"""A county's activities over time and its micro-wish funnel, read from the views.

Months are the city's (an activity belongs to the month of its local start day); only
completed activities count, as they are the ones that happened.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from statistics import median
from typing import Any

from pymongo.database import Database

from contracts.activities.catalog import load_activity_catalog
from yinfa.city_time import local_day

FUNNEL_STEPS = ("posted", "claimed", "fulfilled", "confirmed")


def county_trends(db: Database, county_code: str) -> dict[str, Any]:
    """Per month: completed activities by theme, hours credited, audience reached."""
    catalog = load_activity_catalog()
    themes: dict[str, Counter] = defaultdict(Counter)
    hours: dict[str, Decimal] = defaultdict(Decimal)
    audience: Counter = Counter()
    wanted = {"county_code": county_code, "status": "completed"}
    for doc in db["activity_view"].find(wanted, {"starts_at": 1, "theme": 1, "total_hours": 1,
                                                 "audience_reached": 1}):
        month = local_day(doc["starts_at"], catalog.zone).strftime("%Y-%m")
        themes[month][doc["theme"]] += 1
        hours[month] += Decimal(doc["total_hours"])
        audience[month] += doc["audience_reached"]
    months = [{"month": month, "activities": sum(themes[month].values()),
               "by_theme": dict(themes[month]), "hours": str(hours[month]),
               "audience": audience[month]} for month in sorted(themes)]
    return {"county_code": county_code, "themes": dict(catalog.themes), "months": months}


def wish_funnel(db: Database, county_code: str) -> dict[str, Any]:
    """How many wishes reached each step (posted → claimed → fulfilled → confirmed), how
    many expired, and how long fulfilment took (hours from posting)."""
    reached: Counter = Counter()
    expired = 0
    seconds: list[int] = []
    for doc in db["wish_view"].find({"county_code": county_code},
                                    {"status": 1, "claimed_at": 1, "fulfilled_at": 1,
                                     "confirmed_at": 1, "seconds_to_fulfil": 1}):
        reached["posted"] += 1
        for step in FUNNEL_STEPS[1:]:
            reached[step] += doc.get(f"{step}_at") is not None
        expired += doc["status"] == "expired"
        if doc.get("seconds_to_fulfil") is not None:
            seconds.append(doc["seconds_to_fulfil"])
    return {"county_code": county_code,
            "steps": [{"step": step, "count": reached[step]} for step in FUNNEL_STEPS],
            "expired": expired,
            "median_hours_to_fulfil": _hours(median(seconds)) if seconds else None,
            "mean_hours_to_fulfil": _hours(sum(seconds) / len(seconds)) if seconds else None}


def _hours(seconds: float) -> str:
    return str(round(Decimal(seconds) / 3600, 1))
