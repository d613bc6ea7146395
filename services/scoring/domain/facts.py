"""The facts scoring keeps per county, and the fold of the other services' events into them.

Every fact is stored keyed by the id of the thing it is about (volunteer, ledger entry,
branch, activity, wish) and each event *sets* that entry rather than adding to a counter.
Measures (sums, shares, medians) are derived when asked for. This makes the fold:

- order-independent across streams: events of different streams touch different keys, and
  cross-stream joins (an activity's theme and its completion live in one stream; a branch's
  type and its certification live in two) are done at read time, never at apply time;
- tolerant of a duplicate delivered right after the original (setting a key twice is a no-op),
  but NOT of a stale duplicate arriving after a later event of the same stream (a
  `CertificationGranted` redelivered after `CertificationRevoked` would re-grant).

So the projection must guarantee, per stream, that each event is applied once and in stream
order: dedupe by event_id (the kernel's inbox claims) and apply in stream version order
(the inbox's per-stream ordering). `fold` below does the dedupe for pure use and tests.

The county comes from the event's `county_code` when it carries one, otherwise from the
`county_of(stream_id)` lookup the caller passes (the projection keeps that map from the
registration events it has seen or from a directory replica). An event whose county cannot
be resolved raises `UnknownCounty`: the projection dead-letters it, it never guesses.
"""
from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

# Branch types that count as 建制性 (formal) branches; see reference/branches.yaml.
FORMAL_BRANCH_TYPES = frozenset({"formal"})
CERTIFIED_STRUCTURE = "branch"  # 支部: 党总支 and 党工委 are not certified
# Certification levels, lowest first; 达标 and everything above it count as certified.
CERTIFIED_LEVELS = ("standard", "county_demo", "city_demo", "province_demo")

SECONDS_PER_DAY = Decimal(86400)

CountyLookup = Callable[[str], str | None]


class UnknownCounty(Exception):
    """The event names no county and the lookup knows none for its stream."""

    def __init__(self, event_type: str, stream_id: str) -> None:
        super().__init__(f"{event_type} on {stream_id}: county unknown")
        self.event_type = event_type
        self.stream_id = stream_id


@dataclass(frozen=True)
class Period:
    """Half-open interval of dates [start, end)."""

    start: date
    end: date

    def __contains__(self, day: date) -> bool:
        return self.start <= day < self.end


@dataclass(frozen=True)
class Measure:
    """A raw value and, for shares, its denominator. `value` None: nothing to measure."""

    value: Decimal | None
    denominator: Decimal | None = None


@dataclass
class CountyFacts:
    county_code: str
    # volunteer id -> still registered (False once withdrawn)
    volunteers: dict[str, bool] = field(default_factory=dict)
    # ledger entry id -> (volunteer id, hours, served on)
    hour_entries: dict[str, tuple[str, Decimal, date]] = field(default_factory=dict)
    # branch id -> formal and still alive (False once dissolved or merged away)
    formal_branches: dict[str, bool] = field(default_factory=dict)
    # branch id -> certification level held now (None once revoked or expired)
    certifications: dict[str, str | None] = field(default_factory=dict)
    # activity id -> (theme, day it starts)
    activities: dict[str, tuple[str, date]] = field(default_factory=dict)
    completed: set[str] = field(default_factory=set)
    audience: dict[str, int] = field(default_factory=dict)
    endorsed: dict[str, bool] = field(default_factory=dict)
    # wish id -> (seconds from posting to confirmation, day confirmed)
    wishes_fulfilled: dict[str, tuple[int, date]] = field(default_factory=dict)

    # --- derived measures -------------------------------------------------------------
    def alive_formal_branches(self) -> set[str]:
        return {b for b, alive in self.formal_branches.items() if alive}

    def level_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(CERTIFIED_LEVELS, 0)
        for branch_id in self.alive_formal_branches():
            level = self.certifications.get(branch_id)
            if level in counts:
                counts[level] += 1
        return counts

    def measures(self, period: Period, level_weights: Mapping[str, Decimal] | None = None
                 ) -> dict[str, Measure]:
        formal = self.alive_formal_branches()
        certified = sum(1 for b in formal if self.certifications.get(b) in CERTIFIED_LEVELS)
        counts = self.level_counts()
        weights = level_weights or {}
        demo_points = sum((Decimal(weights.get(level, 0)) * n for level, n in counts.items()),
                          Decimal(0))
        registered = {v for v, on in self.volunteers.items() if on}
        in_period = [(v, h) for v, h, day in self.hour_entries.values() if day in period]
        active = {v for v, h in in_period if h > 0 and v in registered}
        hours = sum((h for _, h in in_period), Decimal(0))
        done = [a for a in self.completed if a in self.activities
                and self.activities[a][1] in period]
        themes = {self.activities[a][0] for a in done}
        audience = sum(self.audience.get(a, 0) for a in done)
        endorsements = sum(1 for a in done if self.endorsed.get(a))
        wish_seconds = [s for s, day in self.wishes_fulfilled.values() if day in period]
        median_days = (Decimal(str(statistics.median(wish_seconds))) / SECONDS_PER_DAY
                       if wish_seconds else None)
        return {
            "formal_branches_certified": Measure(Decimal(certified), Decimal(len(formal))),
            "demonstration_points": Measure(demo_points),
            "volunteers_registered": Measure(Decimal(len(registered))),
            "volunteers_active": Measure(Decimal(len(active)), Decimal(len(registered))),
            "service_hours": Measure(hours),
            "themes_covered": Measure(Decimal(len(themes))),
            "audience_reached": Measure(Decimal(audience)),
            "wishes_fulfilled": Measure(Decimal(len(wish_seconds))),
            "median_days_to_fulfil": Measure(median_days),
            "endorsements": Measure(Decimal(endorsements)),
        }


MEASURES = frozenset({
    "formal_branches_certified", "demonstration_points", "volunteers_registered",
    "volunteers_active", "service_hours", "themes_covered", "audience_reached",
    "wishes_fulfilled", "median_days_to_fulfil", "endorsements",
})

FactsByCounty = MutableMapping[str, CountyFacts]


def _entity(stream_id: str) -> str:
    return stream_id.split("-", 1)[1] if "-" in stream_id else stream_id


def _day(instant: str) -> date:
    return datetime.fromisoformat(instant).date()


def _no_lookup(stream_id: str) -> str | None:
    return None


def _facts(facts_by_county: FactsByCounty, county: str) -> CountyFacts:
    if county not in facts_by_county:
        facts_by_county[county] = CountyFacts(county)
    return facts_by_county[county]


def _set_level(f: CountyFacts, branch_id: str, level: str | None) -> None:
    f.certifications[branch_id] = level


# Each handler: (facts, entity id, data) -> None.
Handler = Callable[[CountyFacts, str, Mapping[str, Any]], None]


def _registered(f: CountyFacts, vid: str, d: Mapping[str, Any]) -> None:
    f.volunteers.setdefault(vid, True)


def _withdrawn(f: CountyFacts, vid: str, d: Mapping[str, Any]) -> None:
    f.volunteers[vid] = False


def _hours_recorded(f: CountyFacts, vid: str, d: Mapping[str, Any]) -> None:
    f.hour_entries[d["entry_id"]] = (vid, Decimal(d["hours"]), date.fromisoformat(d["served_on"]))


def _hours_corrected(f: CountyFacts, vid: str, d: Mapping[str, Any]) -> None:
    entry = f.hour_entries.get(d["entry_id"])
    if entry is not None:
        f.hour_entries[d["entry_id"]] = (entry[0], Decimal(d["hours"]), entry[2])


def _branch_established(f: CountyFacts, bid: str, d: Mapping[str, Any]) -> None:
    # coverage counts formal 支部, the level that is certified (as the branches service does)
    if d["branch_type"] in FORMAL_BRANCH_TYPES and d.get("level", CERTIFIED_STRUCTURE) == (
        CERTIFIED_STRUCTURE
    ):
        f.formal_branches[bid] = True


def _branch_gone(f: CountyFacts, bid: str, d: Mapping[str, Any]) -> None:
    if bid in f.formal_branches:
        f.formal_branches[bid] = False


def _granted(f: CountyFacts, bid: str, d: Mapping[str, Any]) -> None:
    _set_level(f, bid, d["level"])


def _lost(f: CountyFacts, bid: str, d: Mapping[str, Any]) -> None:
    # Revoked, failed its re-review or expired: the branch holds nothing, not even a level
    # below, and climbs again from the first (see branches' certification aggregate).
    _set_level(f, bid, None)


def _published(f: CountyFacts, aid: str, d: Mapping[str, Any]) -> None:
    f.activities[aid] = (d["theme"], _day(d["starts_at"]))


def _completed(f: CountyFacts, aid: str, d: Mapping[str, Any]) -> None:
    f.completed.add(aid)
    f.audience[aid] = d["audience_reached"]
    f.endorsed[aid] = bool(d["endorsed"])


def _completion_corrected(f: CountyFacts, aid: str, d: Mapping[str, Any]) -> None:
    if d.get("audience_reached") is not None:
        f.audience[aid] = d["audience_reached"]
    if d.get("endorsed") is not None:
        f.endorsed[aid] = bool(d["endorsed"])


def _wish_confirmed(f: CountyFacts, wid: str, d: Mapping[str, Any]) -> None:
    f.wishes_fulfilled[wid] = (d["seconds_to_fulfil"], _day(d["confirmed_at"]))


HANDLERS: dict[str, Handler] = {
    "VolunteerRegistered": _registered,
    "VolunteerWithdrawn": _withdrawn,
    "HoursRecorded": _hours_recorded,
    "HoursCorrected": _hours_corrected,
    "BranchEstablished": _branch_established,
    "BranchDissolved": _branch_gone,
    "BranchMerged": _branch_gone,
    "CertificationGranted": _granted,
    "CertificationRevoked": _lost,
    "ReviewFailed": _lost,
    "CertificationExpired": _lost,
    "ActivityPublished": _published,
    "ActivityCompleted": _completed,
    "CompletionCorrected": _completion_corrected,
    "WishConfirmed": _wish_confirmed,
}
# Events scoring subscribes to. WishPosted carries the wish's county: the projection learns
# the wish stream's county from it (for the lookup) even though no fact changes.
SUBSCRIBED = frozenset(HANDLERS) | {"WishPosted"}


def apply(facts_by_county: FactsByCounty, event_type: str, data: Mapping[str, Any],
          stream_id: str, county_of: CountyLookup = _no_lookup) -> str | None:
    """Fold one event into the facts; returns the county it counted for (None: ignored)."""
    handler = HANDLERS.get(event_type)
    if handler is None:
        return None
    county = data.get("county_code") or county_of(stream_id)
    if not county:
        raise UnknownCounty(event_type, stream_id)
    handler(_facts(facts_by_county, county), _entity(stream_id), data)
    return county


@dataclass(frozen=True)
class Event:
    event_id: str
    event_type: str
    stream_id: str
    data: Mapping[str, Any]


def fold(events: Iterable[Event], county_of: CountyLookup = _no_lookup,
         facts_by_county: FactsByCounty | None = None) -> FactsByCounty:
    """Fold events, skipping any event_id already applied (what the inbox's claims do)."""
    facts: FactsByCounty = {} if facts_by_county is None else facts_by_county
    seen: set[str] = set()
    for event in events:
        if event.event_id in seen:
            continue
        seen.add(event.event_id)
        apply(facts, event.event_type, event.data, event.stream_id, county_of)
    return facts
