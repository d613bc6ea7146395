"""The events behind a score: exactly the events a measure was computed from, for a
county, a branch and a volunteer, and keyset paging that yields each of them once."""
from __future__ import annotations

from typing import Any

import pytest
from scoring_builders import CITY_CLOCK
from test_entities import COUNTY, RULEBOOK, county_history, flat

from services.scoring.domain.evidence import event_ids, page
from services.scoring.domain.state import ScoringState


def ids_of(named: dict[str, Any], *names: str) -> list[str]:
    return sorted(e.event_id for e in flat({n: named[n] for n in names}))


@pytest.fixture(scope="module")
def history() -> tuple[dict[str, Any], ScoringState]:
    named = county_history()
    return named, ScoringState(CITY_CLOCK).apply_all(flat(named))


def test_a_county_measure_rests_on_its_volunteers_hours_of_the_period(history) -> None:
    named, state = history
    # every 2026 entry of the county's volunteers (a withdrawn one's included, as the
    # county's service hours count them), with its correction; not the 2025 entry, not
    # the neighbour county's
    expected = ids_of(named, "h1", "h2", "h3", "h3-corrected", "h4", "h6", "h-withdrawn")

    assert event_ids(state, "county", COUNTY, "service_hours", RULEBOOK.period) == expected


def test_a_branch_measure_rests_on_its_members_and_their_hours(history) -> None:
    named, state = history
    # the branch's current members (ev3 was added and removed: neither event counts) and
    # their 2026 hour entries
    expected = ids_of(named, "mem-eb3-ev1", "mem-eb3-ev2", "mem-eb3-ev4", "mem-eb3-ev5",
                      "mem-eb3-ev8", "h1", "h2", "h3", "h3-corrected", "h4")

    assert event_ids(state, "branch", "eb3", "members_active", RULEBOOK.period) == expected


def test_a_volunteer_measure_rests_on_the_wishes_they_fulfilled_in_the_period(history) -> None:
    named, state = history
    expected = ids_of(named, "wish-ev3-0", "wish-ev3-1", "wish-ev3-2")  # posted + confirmed

    assert len(expected) == 6
    assert event_ids(state, "volunteer", "ev3", "wishes_fulfilled", RULEBOOK.period) == expected
    assert event_ids(state, "volunteer", "ev4", "wishes_fulfilled", RULEBOOK.period) == ids_of(
        named, "wish-ev4")


def test_a_branch_certification_rests_on_its_establishment_and_grant(history) -> None:
    named, state = history
    assert event_ids(state, "branch", "eb1", "certification_points", RULEBOOK.period) == ids_of(
        named, "est-eb1", "cert-eb1")


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 100])
def test_keyset_paging_yields_every_id_once_in_order(history, limit) -> None:
    _, state = history
    ids = event_ids(state, "branch", "eb3", "members_active", RULEBOOK.period)
    seen: list[str] = []
    after = None
    for _ in range(len(ids) + 2):  # bounded: one page per id at most
        chunk, after = page(ids, after, limit)
        assert len(chunk) <= limit
        seen.extend(chunk)
        if after is None:
            break

    assert seen == ids
    assert len(set(seen)) == len(ids) == 10


def test_a_page_after_the_last_id_is_empty() -> None:
    assert page(["a", "b"], "b", 5) == ([], None)
    assert page([], None, 5) == ([], None)
    assert page(["a", "b", "c"], None, 3) == (["a", "b", "c"], None)
