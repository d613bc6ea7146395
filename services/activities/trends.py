"""A county's activities over time and its micro-wish funnel: live from the views, or as
of an instant.

Months are the city's (an activity belongs to the month of its local start day); only
completed activities count, as they are the ones that happened. As of an instant, each of
the county's activities and wishes is folded again from the events recorded by then (the
facts the service knew at that moment, as scoring's as-of ranking reads them) and made
into the document its view would have held.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from statistics import median
from typing import Any

from marshmallow import ValidationError, fields
from pymongo.database import Database

from contracts.activities.catalog import load_activity_catalog
from services.activities.views import ActivityView, WishView
from yinfa.city_time import local_day
from yinfa.errors import ValidationFailed
from yinfa.projections import StreamView
from yinfa.store.event_store import EventStore

FUNNEL_STEPS = ("posted", "claimed", "fulfilled", "confirmed")
ACTIVITY_FIGURES = ("starts_at", "theme", "total_hours", "audience_reached")
WISH_FIGURES = ("status", "claimed_at", "fulfilled_at", "confirmed_at", "seconds_to_fulfil")
STREAMS_PER_READ = 500
_instant = fields.AwareDateTime(required=True)


def parse_as_of(value: Any) -> datetime | None:
    """None (live) or an aware instant; anything else is refused naming `as_of`."""
    if value is None:
        return None
    try:
        return _instant.deserialize(value)
    except ValidationError as error:
        raise ValidationFailed({"as_of": error.messages}) from error


def county_trends(db: Database, store: EventStore, county_code: str,
                  as_of: datetime | None = None) -> dict[str, Any]:
    """Per month: completed activities by theme, hours credited, audience reached."""
    catalog = load_activity_catalog()
    themes: dict[str, Counter] = defaultdict(Counter)
    hours: dict[str, Decimal] = defaultdict(Decimal)
    audience: Counter = Counter()
    completed = county_documents(ActivityView(), db, store, county_code, as_of,
                                 {"status": "completed"}, ACTIVITY_FIGURES)
    for doc in completed:
        month = local_day(doc["starts_at"], catalog.zone).strftime("%Y-%m")
        themes[month][doc["theme"]] += 1
        hours[month] += Decimal(doc["total_hours"])
        audience[month] += doc["audience_reached"]
    months = [{"month": month, "activities": sum(themes[month].values()),
               "by_theme": dict(themes[month]), "hours": str(hours[month]),
               "audience": audience[month]} for month in sorted(themes)]
    return {"county_code": county_code, "as_of": _iso(as_of),
            "themes": dict(catalog.themes), "months": months}


def wish_funnel(db: Database, store: EventStore, county_code: str,
                as_of: datetime | None = None) -> dict[str, Any]:
    """How many wishes reached each step (posted → claimed → fulfilled → confirmed), how
    many expired, and how long fulfilment took (hours from posting)."""
    reached: Counter = Counter()
    expired = 0
    seconds: list[int] = []
    for doc in county_documents(WishView(), db, store, county_code, as_of, {}, WISH_FIGURES):
        reached["posted"] += 1
        for step in FUNNEL_STEPS[1:]:
            reached[step] += doc.get(f"{step}_at") is not None
        expired += doc["status"] == "expired"
        if doc.get("seconds_to_fulfil") is not None:
            seconds.append(doc["seconds_to_fulfil"])
    return {"county_code": county_code, "as_of": _iso(as_of),
            "steps": [{"step": step, "count": reached[step]} for step in FUNNEL_STEPS],
            "expired": expired,
            "median_hours_to_fulfil": _hours(median(seconds)) if seconds else None,
            "mean_hours_to_fulfil": _hours(sum(seconds) / len(seconds)) if seconds else None}


def county_documents(view: StreamView, db: Database, store: EventStore, county_code: str,
                     as_of: datetime | None, matching: dict[str, Any],
                     figures: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """The view's documents of the county that hold `matching` (equalities), with at least
    their `figures`: as stored (live), or as of `as_of`, each made from its stream's
    events recorded by then (a stream begun later has none)."""
    wanted = {"county_code": county_code}
    if as_of is None:
        yield from db[view.collection].find({**wanted, **matching}, dict.fromkeys(figures, 1))
        return
    # a county is set when its activity or wish is first recorded and never changes
    stream_ids = [doc["_id"] for doc in db[view.collection].find(wanted, {"_id": 1})]
    for chunk in _chunks(stream_ids, STREAMS_PER_READ):
        for events in store.read_streams(chunk).values():
            known = [event for event in events if event.recorded_at <= as_of]
            doc = view.document(known) if known else None
            if doc is not None and all(doc[k] == v for k, v in matching.items()):
                yield doc


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _hours(seconds: float) -> str:
    return str(round(Decimal(seconds) / 3600, 1))
