"""Scoring after a transfer between counties: hours count in the county and period where
they were served; the volunteer counts in the county they belong to at the period's end."""
from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from scoring_builders import established, event, fold_all, fresh_state, hours, registered
from test_state_properties import ListJournal, live_over, outcome

from services.scoring.domain.entities import volunteers_of
from services.scoring.domain.evidence import event_ids
from services.scoring.domain.facts import Period

TINGHU, YANDU, DAFENG = "320902", "320903", "320904"
Y2025 = Period(date(2025, 1, 1), date(2026, 1, 1))
Y2026 = Period(date(2026, 1, 1), date(2027, 1, 1))
# released just after midnight of New Year's Day, Beijing time: 2026 on the city's clock
NEW_YEAR = "2025-12-31T16:30:00+00:00"


def transferred(vid: str, transfer: str, from_county: str, to_county: str, at: str):
    return event("VolunteerTransferred", f"volunteer-{vid}", {
        "transfer_id": transfer, "from_county": from_county, "to_county": to_county,
        "to_city": None, "effective_at": at})


def wang_moves_to_yandu():
    """王建国 serves 10 hours in 亭湖区 in 2025, moves to 盐都区 at New Year, serves 6 there."""
    return [registered("wang", TINGHU),
            hours("wang", "wang-2025", "10", served_on="2025-05-04"),
            transferred("wang", "t1", TINGHU, YANDU, NEW_YEAR),
            hours("wang", "wang-2026", "6", served_on="2026-03-01"),
            hours("wang", "wang-new-year", "2", served_on="2026-01-01")]


def measure(facts, county, period, name):
    return facts[county].measures(period)[name].value


def test_hours_count_in_the_county_and_period_they_were_served():
    facts = fold_all(wang_moves_to_yandu())

    assert measure(facts, TINGHU, Y2025, "service_hours") == 10
    assert measure(facts, YANDU, Y2025, "service_hours") == 0
    assert measure(facts, TINGHU, Y2026, "service_hours") == 0
    assert measure(facts, YANDU, Y2026, "service_hours") == 8  # the release day is Yandu's


def test_the_volunteer_counts_where_they_belong_at_the_end_of_each_period():
    facts = fold_all(wang_moves_to_yandu())

    assert measure(facts, TINGHU, Y2025, "volunteers_registered") == 1
    assert measure(facts, YANDU, Y2025, "volunteers_registered") == 0
    assert measure(facts, TINGHU, Y2026, "volunteers_registered") == 0
    assert measure(facts, YANDU, Y2026, "volunteers_registered") == 1
    assert measure(facts, TINGHU, Y2025, "volunteers_active") == 1
    assert measure(facts, YANDU, Y2026, "volunteers_active") == 1


def test_the_volunteer_ranking_of_each_county_counts_the_hours_served_there():
    state = fresh_state().apply_all(wang_moves_to_yandu())

    [in_tinghu] = volunteers_of(state, TINGHU, Y2025)
    [in_yandu] = volunteers_of(state, YANDU, Y2026)
    assert in_tinghu.measures["service_hours"].value == Decimal(10)
    assert in_yandu.measures["service_hours"].value == Decimal(8)
    assert volunteers_of(state, YANDU, Y2025) == []
    assert volunteers_of(state, TINGHU, Y2026) == []


def test_the_evidence_of_a_county_names_the_hours_served_there():
    history = wang_moves_to_yandu()
    state = fresh_state().apply_all(history)
    recorded_2026 = {history[3].event_id, history[4].event_id}

    assert recorded_2026 <= set(event_ids(state, "county", YANDU, "service_hours", Y2026))
    assert not recorded_2026 & set(event_ids(state, "county", TINGHU, "service_hours",
                                             Y2026))


def test_any_order_of_the_events_gives_the_same_facts():
    history = wang_moves_to_yandu()
    expected = fold_all(history)
    for order in itertools.permutations(history):
        assert fold_all(list(order)) == expected


def test_a_transfer_back_and_forth_places_each_entry_by_its_day():
    history = [registered("li", TINGHU),
               transferred("li", "t1", TINGHU, YANDU, "2026-03-01T02:00:00+00:00"),
               hours("li", "li-march", "3", served_on="2026-03-15"),
               transferred("li", "t2", YANDU, DAFENG, "2026-06-01T02:00:00+00:00"),
               hours("li", "li-february", "4", served_on="2026-02-10"),
               hours("li", "li-july", "5", served_on="2026-07-10")]
    for order in (history, list(reversed(history)), history[::2] + history[1::2]):
        facts = fold_all(order)
        assert [measure(facts, c, Y2026, "service_hours") for c in (TINGHU, YANDU, DAFENG)] \
            == [4, 3, 5]
        assert [measure(facts, c, Y2026, "volunteers_registered")
                for c in (TINGHU, YANDU, DAFENG)] == [0, 0, 1]


@pytest.mark.parametrize("cut", range(6))
def test_live_scoring_equals_a_rebuild_from_scratch(cut):
    at = datetime(2026, 3, 1, tzinfo=UTC)
    history = [replace(e, recorded_at=at + timedelta(minutes=n))
               for n, e in enumerate(wang_moves_to_yandu())]
    journal = ListJournal()
    live = live_over(journal)
    for message in history[cut:] + history[:cut]:
        journal.keep(message)
        live.catch_up()

    assert outcome(live.current()) == outcome(fresh_state().apply_all(history))


def test_a_member_moved_between_branches_counts_in_the_new_branch_only():

    moved = {"volunteer_id": "wang", "from_branch_id": "b1", "to_branch_id": "b2"}
    history = [established("b1", TINGHU), established("b2", TINGHU),
               event("MemberAdded", "branch-b1", {"volunteer_id": "wang"}),
               event("MemberMoved", "branch-b1", {**moved, "side": "out"}),
               event("MemberMoved", "branch-b2", {**moved, "side": "in"})]
    for order in itertools.permutations(history):
        state = fresh_state().apply_all(list(order))
        assert (state.members_of("b1"), state.members_of("b2")) == (set(), {"wang"})
