"""Measures of the branches and volunteers of one county, for the rankings within it.

Built from the same registers as the county facts (state.py), in one pass per county and
period: a volunteer's hours, the activities they served in and the wishes they fulfilled;
a branch's certification level, its members' activity and hours, the activities it
organised and the wishes it fulfilled.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from services.scoring.domain.facts import Measure, Period
from services.scoring.domain.moves import last_day
from services.scoring.domain.state import ScoringState

VOLUNTEER_MEASURES = frozenset({"service_hours", "activities_served", "wishes_fulfilled"})
BRANCH_MEASURES = frozenset({"certification_points", "members_active", "member_hours",
                             "activities_organised", "wishes_fulfilled"})


@dataclass(frozen=True)
class Entity:
    """A branch or volunteer with its measures."""

    entity_id: str
    name: str
    measures: Mapping[str, Measure]
    level: str | None = None  # a branch's certification level

    def measures_for(self, level_weights: Mapping[str, Decimal] | None) -> Mapping[str, Measure]:
        """The measures, with the level's points under an indicator's level weights."""
        if level_weights is None:
            return self.measures
        points = Decimal(level_weights.get(self.level, 0)) if self.level else Decimal(0)
        return {**self.measures, "certification_points": Measure(points)}


def _hours_of(state: ScoringState, vid: str, period: Period, county: str | None = None
              ) -> tuple[Decimal, set[str]]:
    """A volunteer's hours served in the period (in `county`, if named: a transferred
    volunteer's hours count where they were served), and the activities they served in."""
    total, served = Decimal(0), set()
    hours = state.by_kind.get("hours", {})
    for entry in state.counted_entries_of(vid):  # with records merged into theirs
        r = hours[entry]
        amount, day = r.get("hours"), r.get("day")
        if amount is None or day is None or date.fromisoformat(day) not in period:
            continue
        if county is not None and state.county_of_volunteer_on(r.get("volunteer"),
                                                               day) != county:
            continue
        value = Decimal(amount)
        total += value
        if value > 0 and r.get("activity"):
            served.add(r.get("activity"))
    return total, served


def _wishes_by_claimant(state: ScoringState, period: Period) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for _, r in state.of_kind("wish"):
        day, claimant = r.get("day"), r.get("claimant")
        if day is not None and claimant and date.fromisoformat(day) in period:
            counts[claimant] += 1
    return counts


def volunteers_of(state: ScoringState, county: str, period: Period) -> list[Entity]:
    """The county's registered volunteers with their measures."""
    wishes = _wishes_by_claimant(state, period)
    entities, end = [], last_day(period)  # ranked in the county they belong to at its end
    for vid, r in state.of_kind("volunteer"):
        if (state.county_of_volunteer_on(vid, end) != county or not r.get("registered")
                or r.get("merged_into")):
            continue  # a merged record is its survivor, who is ranked with its hours
        hours, served = _hours_of(state, vid, period, county)
        entities.append(Entity(vid, r.get("name") or "", {
            "service_hours": Measure(hours),
            "activities_served": Measure(Decimal(len(served))),
            "wishes_fulfilled": Measure(Decimal(wishes.get(f"volunteer:{vid}", 0))),
        }))
    return entities


def branches_of(state: ScoringState, county: str, period: Period) -> list[Entity]:
    """The county's party organisations still alive, with their measures."""
    wishes = _wishes_by_claimant(state, period)
    organised: dict[str, int] = defaultdict(int)
    for _, r in state.of_kind("activity"):
        day = r.get("day")
        if (r.get("county") == county and r.get("completed") and day
                and date.fromisoformat(day) in period):
            organised[r.get("organiser") or ""] += 1
    entities = []
    for bid, r in state.of_kind("branch"):
        if r.get("county") != county or not r.get("alive"):
            continue
        level_register = state.register("level", bid)
        level = level_register.get("level") if level_register else None
        member_hours = [_hours_of(state, vid, period)[0] for vid in state.members_of(bid)]
        active = sum(1 for h in member_hours if h > 0)
        entities.append(Entity(bid, r.get("name") or "", {
            "certification_points": Measure(Decimal(0)),  # see Entity.measures_for
            "members_active": Measure(Decimal(active), Decimal(len(member_hours))),
            "member_hours": Measure(sum(member_hours, Decimal(0))),
            "activities_organised": Measure(Decimal(organised.get(f"branch:{bid}", 0))),
            "wishes_fulfilled": Measure(Decimal(wishes.get(f"branch:{bid}", 0))),
        }, level=level))
    return entities
