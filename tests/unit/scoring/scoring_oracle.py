"""The test oracle of the fold's incremental placement: the same county facts worked out
by one plain pass over every register (test_facts.py compares the two)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.scoring.domain.county import (
    CERTIFIED_STRUCTURE,
    FORMAL_BRANCH_TYPES,
    CountyFacts,
)
from services.scoring.domain.state import ScoringState


def county_facts_scanned(state: ScoringState) -> dict[str, CountyFacts]:
    """The same facts worked out by one pass over every register: the plain statement of
    what the fold's incremental placement must produce (the tests compare the two).
    Registers not placed yet (their county comes with an event not folded yet) are
    left out."""
    by_county: dict[str, CountyFacts] = {}

    def facts(county: str) -> CountyFacts:
        if county not in by_county:
            by_county[county] = CountyFacts(county)
        return by_county[county]

    volunteer_county: dict[str, str] = {}
    for vid, r in state.of_kind("volunteer"):
        county = r.get("county")
        if county is None:
            continue
        volunteer_county[vid] = county
        facts(county).volunteers[vid] = bool(r.get("registered"))
    for entry, r in state.of_kind("hours"):
        vid, amount, day = r.get("volunteer"), r.get("hours"), r.get("day")
        county = volunteer_county.get(vid or "")
        if county and amount is not None and day is not None:
            facts(county).hour_entries[entry] = (vid, Decimal(amount), date.fromisoformat(day))
    branch_county: dict[str, str] = {}
    for bid, r in state.of_kind("branch"):
        county = r.get("county")
        if county is None:
            continue
        branch_county[bid] = county
        # coverage counts formal 支部, the level that is certified (as branches does)
        if r.get("branch_type") in FORMAL_BRANCH_TYPES and r.get("structure") == (
                CERTIFIED_STRUCTURE):
            facts(county).formal_branches[bid] = bool(r.get("alive"))
    for bid, r in state.of_kind("level"):
        county = branch_county.get(bid)
        if county:
            facts(county).certifications[bid] = r.get("level")
    for aid, r in state.of_kind("activity"):
        county, theme, day = r.get("county"), r.get("theme"), r.get("day")
        if not county or theme is None:
            continue
        f = facts(county)
        f.activities[aid] = (theme, date.fromisoformat(day))
        if r.get("completed"):
            f.completed.add(aid)
            f.audience[aid] = int(r.get("audience", 0))
            f.endorsed[aid] = bool(r.get("endorsed"))
    for wid, r in state.of_kind("wish"):
        county, seconds = r.get("county"), r.get("seconds")
        if county and seconds is not None:
            facts(county).wishes_fulfilled[wid] = (int(seconds), date.fromisoformat(r.get("day")))
    return by_county
