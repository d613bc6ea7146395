"""Properties of merging two records of one person, with any interleaving of the two
records' events: some recorded before the merge, some after it (a completion that credits
the retired record reaches its survivor), the same activity credited to both or not.

- the survivor counts every entry once: each activity once, every bureau entry;
- scoring's fold of both streams, in any delivery order, counts one volunteer and the same
  hours, and ranks the survivor with them;
- an undo gives each record its own ledger back, and scoring counts two people again.
"""
from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings, strategies as st

from contracts.volunteers.catalog import load_volunteer_catalog
from services.scoring.domain.entities import volunteers_of
from services.scoring.domain.facts import Period
from services.scoring.domain.state import ScoringState, SourceEvent
from services.volunteers.domain import commands as c, merge, volunteer as v
from yinfa.errors import AlreadyExists
from yinfa.reference import load_city

TINGHU = "320902"
A, B = "a0000000-0000-4000-8000-00000000000a", "b0000000-0000-4000-8000-00000000000b"
MERGE_ID = "c0000000-0000-4000-8000-00000000000c"
YEAR = Period(date(2026, 1, 1), date(2027, 1, 1))
ACTIVITIES = ["talk", "clinic", "mediation", "pairing", "wish"]
ACTIVITY_HOURS = {a: Decimal(n + 1) for n, a in enumerate(ACTIVITIES)}  # a session's length
CATALOG = load_volunteer_catalog()
AT = datetime(2026, 12, 3, tzinfo=UTC)

# one line: (the record it names, the activity or None for a bureau entry, hours of a
# bureau entry, recorded after the merge?)
lines = st.lists(st.tuples(st.sampled_from([A, B]), st.sampled_from([*ACTIVITIES, None]),
                           st.integers(1, 8), st.booleans()), max_size=14)


class Streams:
    """Two volunteer streams: their states and every event as scoring would receive it."""

    def __init__(self) -> None:
        self.state: dict[str, v.Volunteer | None] = {A: None, B: None}
        self.events: list[SourceEvent] = []
        self.version = {A: 0, B: 0}

    def append(self, vid: str, decided: list) -> None:
        for event in decided:
            self.version[vid] += 1
            self.events.append(SourceEvent(f"{vid}-{self.version[vid]}", event.type,
                                           f"volunteer-{vid}", self.version[vid],
                                           dict(event.data)))
        self.state[vid] = v.replay(decided, self.state[vid])

    def decide(self, vid: str, decision, command) -> None:
        self.append(vid, decision(self.state[vid], command, CATALOG))


def registered_and_verified(streams: Streams) -> None:
    for vid in (A, B):
        streams.decide(vid, v.register, c.RegisterVolunteer(
            name="王建国", gender="male", birth_year=1956, id_number="x", phone="x",
            county_code=TINGHU, retirement_status="tuixiu"))
        streams.decide(vid, v.verify, c.VerifyVolunteer(vid, TINGHU))


def entry(n: int, activity: str | None, amount: int) -> c.LedgerEntry:
    hours = ACTIVITY_HOURS[activity] if activity else Decimal(amount)
    return c.LedgerEntry(entry_id=f"entry-{n}", hours=hours, served_on=date(2026, 5, 4),
                         source="activity" if activity else "bureau", activity_id=activity)


def live(all_lines: list) -> Streams:
    """Both records' lines before the merge, the merge, the lines after it: a line naming
    the retired record goes to the survivor, as the service's ledger handler sends it."""
    streams = Streams()
    registered_and_verified(streams)
    credited: set[tuple[str, str]] = set()  # an activity credits a record once
    for phase in (False, True):
        if phase:
            decided = merge.merge(streams.state[A], streams.state[B], c.MergeVolunteers(
                A, B, "同一人重复登记", MERGE_ID), merge.Pair("n", "n"), AT, CATALOG)
            streams.append(B, decided.duplicate)
            streams.append(A, decided.survivor)
        for n, (vid, activity, amount, after) in enumerate(all_lines):
            if after != phase or (activity and (vid, activity) in credited):
                continue
            if activity:
                credited.add((vid, activity))
            target = A if phase else vid
            try:
                streams.append(target, merge.record_hours(
                    streams.state[target], entry(n, activity, amount), CATALOG,
                    followed=phase and vid == B))
            except AlreadyExists:
                pass  # a repeat: the activity counts on the survivor already
    return streams


def expected_hours(all_lines: list) -> Decimal:
    """Every bureau entry, and each activity once (whoever was credited, whenever)."""
    bureau = sum((Decimal(amount) for _, activity, amount, _ in all_lines if not activity),
                 Decimal(0))
    activities = {activity for _, activity, _, _ in all_lines if activity}
    return bureau + sum((ACTIVITY_HOURS[a] for a in activities), Decimal(0))


def fold(events: list[SourceEvent], seed: int) -> ScoringState:
    shuffled = random.Random(seed).sample(events, len(events))
    return ScoringState(load_city().zone).apply_all(shuffled)


def county(state: ScoringState) -> tuple[Decimal | None, Decimal | None]:
    m = state.facts[TINGHU].measures(YEAR)
    return m["volunteers_registered"].value, m["service_hours"].value


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines, st.integers(0, 10_000))
def test_the_survivor_counts_every_entry_once_in_any_interleaving(all_lines, seed):
    streams = live(all_lines)
    survivor = streams.state[A]
    assert survivor is not None
    assert survivor.total_hours == expected_hours(all_lines)

    one, other = fold(streams.events, seed), fold(streams.events, seed + 1)
    assert one.comparable() == other.comparable()  # order-independent
    assert county(one) == (1, expected_hours(all_lines))
    ranked = {e.entity_id: e.measures["service_hours"].value
              for e in volunteers_of(one, TINGHU, YEAR)}
    assert ranked == {A: expected_hours(all_lines)}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines, st.integers(0, 10_000))
def test_an_undo_gives_each_record_its_own_ledger_back(all_lines, seed):
    streams = live(all_lines)
    undo = c.UndoMerge(MERGE_ID, "合并有误")
    streams.append(B, merge.undo(streams.state[B], undo, AT, timedelta(days=30)))
    streams.append(A, merge.give_back(streams.state[A], undo, B, CATALOG))
    survivor, duplicate = streams.state[A], streams.state[B]
    assert survivor is not None and duplicate is not None

    own = sum(survivor.ledger.values(), Decimal(0)), sum(duplicate.ledger.values(), Decimal(0))
    assert (survivor.total_hours, duplicate.total_hours) == own
    assert duplicate.status == v.VERIFIED or duplicate.status == v.ACTIVE
    assert county(fold(streams.events, seed)) == (2, own[0] + own[1])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines, st.lists(st.integers(0, 9), max_size=6), st.integers(0, 10_000))
def test_corrections_of_entries_handed_over_count_once_wherever_addressed(all_lines,
                                                                        amounts, seed):
    streams = live(all_lines)
    duplicate = streams.state[B]
    assert duplicate is not None
    for amount, entry_id in zip(amounts, sorted(duplicate.ledger), strict=False):
        fix = c.CorrectHours(B, entry_id, Decimal(amount), "签到表核对")
        retired = streams.state[B]
        assert retired is not None
        if retired.ledger[entry_id] != fix.hours:
            streams.append(B, merge.correct_kept_entry(retired, fix))
        streams.append(A, merge.follow_correction(streams.state[A], MERGE_ID, fix, CATALOG))
    survivor, retired = streams.state[A], streams.state[B]
    assert survivor is not None and retired is not None

    # the survivor counts its own entries and the duplicate's moved ones, as corrected
    merged_into = next(e.data for e in streams.events if e.type == "VolunteerMergedInto")
    expected = (sum(survivor.ledger.values(), Decimal(0))
                + sum((retired.ledger[e] for e in merged_into["moved"]), Decimal(0)))
    assert survivor.total_hours == expected
    assert county(fold(streams.events, seed)) == (1, expected)
