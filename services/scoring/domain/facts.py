"""Per-county facts and the measures derived from them.

`county_facts` groups the registers of `ScoringState` (see state.py: an order-independent,
idempotent fold of the other services' events) by the county each counts for; the
measures (sums, shares, medians) are derived from those facts for a period when asked.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import tzinfo

from services.scoring.domain.county import (  # noqa: F401 - re-exported
    CERTIFIED_LEVELS,
    CERTIFIED_STRUCTURE,
    FORMAL_BRANCH_TYPES,
    MEASURES,
    CountyFacts,
    Measure,
    Period,
)
from services.scoring.domain.state import ScoringState, SourceEvent


def county_facts(state: ScoringState) -> dict[str, CountyFacts]:
    """The facts of each county, as the fold keeps them."""
    return state.facts


def fold(events: Iterable[SourceEvent], zone: tzinfo) -> dict[str, CountyFacts]:
    """County facts of a history, in any order, duplicates included."""
    return county_facts(ScoringState(zone).apply_all(events))
