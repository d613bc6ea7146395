"""The events behind a score: for one subject (county, branch, volunteer) and one measure,
the registers the measure was computed from, and so the ids of the events that wrote them.
"""
from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from datetime import date

from services.scoring.domain.facts import CERTIFIED_STRUCTURE, FORMAL_BRANCH_TYPES, Period
from services.scoring.domain.moves import last_day
from services.scoring.domain.state import Key, Register, ScoringState

# an agency is an assessed unit like a county: its facts are found the same way
SUBJECTS = ("county", "agency", "branch", "volunteer")


def _in(period: Period, r: Register) -> bool:
    day = r.get("day")
    return day is not None and date.fromisoformat(day) in period


def _volunteers(state: ScoringState, county: str, period: Period) -> set[str]:
    """The county's volunteers: those who belong to it on the period's last day."""
    end = last_day(period)
    return {vid for vid, _ in state.of_kind("volunteer")
            if state.county_of_volunteer_on(vid, end) == county}


def _county_hours(state: ScoringState, county: str, period: Period) -> Iterator[Key]:
    """The entries served in the county in the period (by whoever served them)."""
    facts = state.facts.get(county)
    for entry, (_, _, day) in (facts.hour_entries.items() if facts else ()):
        if day in period:
            yield ("hours", entry)


def _hours_of(state: ScoringState, volunteers: set[str], period: Period) -> Iterator[Key]:
    for entry, r in state.of_kind("hours"):
        if r.get("volunteer") in volunteers and _in(period, r):
            yield ("hours", entry)


def _county_keys(state: ScoringState, county: str, measure: str, period: Period
                 ) -> Iterator[Key]:
    if measure in ("formal_branches_certified", "demonstration_points"):
        for bid, r in state.of_kind("branch"):
            if (r.get("county") == county and r.get("branch_type") in FORMAL_BRANCH_TYPES
                    and r.get("structure") == CERTIFIED_STRUCTURE):
                yield ("branch", bid)
                if state.register("level", bid) is not None:
                    yield ("level", bid)
    elif measure in ("volunteers_registered", "volunteers_active"):
        yield from (("volunteer", vid) for vid in _volunteers(state, county, period))
        if measure == "volunteers_active":
            yield from _county_hours(state, county, period)
    elif measure == "service_hours":
        yield from _county_hours(state, county, period)
    elif measure in ("themes_covered", "audience_reached", "endorsements"):
        for aid, r in state.of_kind("activity"):
            if r.get("county") == county and r.get("completed") and _in(period, r):
                yield ("activity", aid)
    elif measure in ("wishes_fulfilled", "median_days_to_fulfil"):
        for wid, r in state.of_kind("wish"):
            if r.get("county") == county and r.get("seconds") is not None and _in(period, r):
                yield ("wish", wid)
    elif measure == "reports_on_time":
        for rid, r in state.of_kind("report"):
            if (r.get("unit") == county and r.get("on_time")
                    and date(int(r.get("year")), 1, 1) in period):
                yield ("report", rid)


def _claimed_by(state: ScoringState, claimant: str, period: Period) -> Iterator[Key]:
    for wid, r in state.of_kind("wish"):
        if r.get("claimant") == claimant and _in(period, r):
            yield ("wish", wid)


def _volunteer_keys(state: ScoringState, vid: str, measure: str, period: Period
                    ) -> Iterator[Key]:
    if measure in ("service_hours", "activities_served"):
        county = state.county_of_volunteer_on(vid, last_day(period))
        yield from (key for key in _hours_of(state, {vid}, period)
                    if state.county_of_volunteer_on(vid, state.by_kind["hours"][key[1]]
                                                    .get("day")) == county)
    elif measure == "wishes_fulfilled":
        yield from _claimed_by(state, f"volunteer:{vid}", period)


def _branch_keys(state: ScoringState, bid: str, measure: str, period: Period
                 ) -> Iterator[Key]:
    if measure == "certification_points":
        yield ("branch", bid)
        if state.register("level", bid) is not None:
            yield ("level", bid)
    elif measure in ("members_active", "member_hours"):
        members = set()
        for key, r in state.of_kind("member"):
            if r.get("branch") == bid and r.get("on"):
                members.add(r.get("volunteer"))
                yield ("member", key)
        yield from _hours_of(state, members, period)
    elif measure == "activities_organised":
        for aid, r in state.of_kind("activity"):
            if r.get("organiser") == f"branch:{bid}" and r.get("completed") and _in(period, r):
                yield ("activity", aid)
    elif measure == "wishes_fulfilled":
        yield from _claimed_by(state, f"branch:{bid}", period)


_BY_SUBJECT: dict[str, Callable[[ScoringState, str, str, Period], Iterator[Key]]] = {
    "county": _county_keys, "agency": _county_keys, "branch": _branch_keys,
    "volunteer": _volunteer_keys,
}


def event_ids(state: ScoringState, subject: str, subject_id: str, measure: str,
              period: Period) -> list[str]:
    """Sorted ids of the events behind one measure of one subject."""
    ids: set[str] = set()
    for key in _BY_SUBJECT[subject](state, subject_id, measure, period):
        register = state.registers.get(key)
        if register is not None:
            ids.update(register.events)
    return sorted(ids)


def page(ids: list[str], after: str | None, limit: int) -> tuple[list[str], str | None]:
    """Keyset paging over sorted ids: the ids after `after`, and the next cursor."""
    start = 0
    if after:
        start = bisect.bisect_right(ids, after)
    chunk = ids[start:start + limit]
    more = start + limit < len(ids)
    return chunk, (chunk[-1] if more and chunk else None)
