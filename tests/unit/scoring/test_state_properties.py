"""Property tests of scoring's fold: for random histories of the other services' events,
whatever the broker does to the delivery (reordering across and within streams,
duplicates, stale redeliveries), whatever scoring does meanwhile (a rebuild swapped in,
a process killed and a new one re-folding its journal), the state, the county facts and
every ranking equal those of a rebuild from scratch; and as-of(t) equals the fold of the
events recorded by t.
"""
from __future__ import annotations

import gc
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from hypothesis import HealthCheck, given, settings, strategies as st

from services.scoring.domain.entities import branches_of, volunteers_of
from services.scoring.domain.facts import county_facts
from services.scoring.domain.ranking import score, score_entities
from services.scoring.domain.rulebook import default_rulebook_path, load_rulebook
from services.scoring.domain.state import ScoringState, SourceEvent
from services.scoring.engine.journal import Journal
from services.scoring.views import LiveScoring
from yinfa.reference import load_city

COUNTIES = ("320902", "320971", "320972")
THEMES = ("party_story", "grassroots_governance", "youth_cultivation", "elderly_care",
          "ecological_civilisation")
LEVELS = ("standard", "county_demo", "city_demo", "province_demo")
VOLUNTEERS = tuple(f"v{n}" for n in range(6))
BRANCHES = tuple(f"b{n}" for n in range(4))
ACTIVITIES = tuple(f"a{n}" for n in range(4))
WISHES = tuple(f"w{n}" for n in range(3))
T0 = datetime(2026, 1, 1, tzinfo=UTC)
DAYS = 400  # histories span the 2026 period and a little beyond it

RULEBOOK = load_rulebook(default_rulebook_path())
CITY = load_city()

PROPERTY = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


# ---- histories -------------------------------------------------------------------------

def day(offset: int) -> str:
    return (T0 + timedelta(days=offset)).date().isoformat()


def instant(offset: int) -> str:
    return (T0 + timedelta(days=offset, hours=2)).isoformat()


@st.composite
def volunteer_stream(draw: Any, vid: str) -> list[tuple[str, dict[str, Any]]]:
    county = draw(st.sampled_from(COUNTIES))
    events: list[tuple[str, dict[str, Any]]] = [("VolunteerRegistered", {
        "name": f"志愿者{vid}", "county_code": county, "skills": []})]
    entries: list[str] = []
    released = -20  # transfers are released in the order of the stream
    for n in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(("record", "record", "correct", "transfer")))
        if kind == "transfer":
            released = draw(st.integers(released, DAYS))
            to = draw(st.sampled_from([c for c in COUNTIES if c != county]))
            events.append(("VolunteerTransferred", {
                "transfer_id": f"{vid}-t{n}", "from_county": county, "to_county": to,
                "to_city": None, "effective_at": instant(released)}))
            county = to
        elif kind == "correct" and entries:
            events.append(("HoursCorrected", {
                "entry_id": draw(st.sampled_from(entries)), "previous_hours": "1",
                "hours": str(draw(st.integers(0, 40))), "reason": "打卡遗漏"}))
        else:
            entry = f"{vid}-h{n}"
            entries.append(entry)
            events.append(("HoursRecorded", {
                "entry_id": entry, "hours": str(draw(st.integers(0, 40))),
                "served_on": day(draw(st.integers(-20, DAYS))), "source": "manual",
                "activity_id": draw(st.sampled_from((None, *ACTIVITIES)))}))
    if draw(st.booleans()):
        events.append(("VolunteerWithdrawn", {"reason_code": "health"}))
    return events


@st.composite
def branch_stream(draw: Any, bid: str) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = [("BranchEstablished", {
        "name": f"{bid}离退休干部党支部", "county_code": draw(st.sampled_from(COUNTIES)),
        "branch_type": draw(st.sampled_from(("formal", "formal", "functional"))),
        "level": draw(st.sampled_from(("branch", "branch", "general_branch"))),
        "established_on": "2020-01-01"})]
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(("add", "add", "remove", "rename", "absorb")))
        vid = draw(st.sampled_from(VOLUNTEERS))
        if kind == "add":
            events.append(("MemberAdded", {"volunteer_id": vid}))
        elif kind == "remove":
            events.append(("MemberRemoved", {"volunteer_id": vid}))
        elif kind == "rename":
            events.append(("BranchRenamed", {"name": f"{bid}新支部"}))
        else:
            members = draw(st.lists(st.sampled_from(VOLUNTEERS), max_size=3, unique=True))
            events.append(("BranchAbsorbed", {"merged_branch_id": "bx", "members": members}))
    end = draw(st.sampled_from((None, None, "merged", "dissolved")))
    if end == "merged":
        members = draw(st.lists(st.sampled_from(VOLUNTEERS), max_size=3, unique=True))
        events.append(("BranchMerged", {"into_branch_id": "bx", "members": members}))
    elif end == "dissolved":
        events.append(("BranchDissolved", {"reason": "撤并"}))
    return events


@st.composite
def certification_stream(draw: Any, bid: str) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(("CertificationGranted", "CertificationGranted",
                                     "CertificationRevoked", "ReviewFailed",
                                     "CertificationExpired")))
        level = draw(st.sampled_from(LEVELS))
        events.append((kind, {"level": level, "granted_on": "2026-03-01"}))
    return events


@st.composite
def activity_stream(draw: Any, aid: str) -> list[tuple[str, dict[str, Any]]]:
    organiser = draw(st.sampled_from(
        [{"kind": "branch", "id": b} for b in BRANCHES]
        + [{"kind": "volunteer", "id": v} for v in VOLUNTEERS[:2]]))
    starts = instant(draw(st.integers(-20, DAYS)))
    events: list[tuple[str, dict[str, Any]]] = [("ActivityPublished", {
        "title": f"活动{aid}", "theme": draw(st.sampled_from(THEMES)), "kind": "lecture",
        "county_code": draw(st.sampled_from(COUNTIES)), "starts_at": starts, "ends_at": starts,
        "capacity": 30, "organiser": organiser})]
    if draw(st.booleans()):
        events.append(("ActivityCompleted", {
            "audience_reached": draw(st.integers(0, 300)), "endorsed": draw(st.booleans()),
            "served": [], "uncredited": [], "volunteers_credited": 0, "total_hours": "0",
            "beneficiaries": 0, "evidence": []}))
        for _ in range(draw(st.integers(0, 2))):
            events.append(("CompletionCorrected", {
                "audience_reached": draw(st.one_of(st.none(), st.integers(0, 300))),
                "endorsed": draw(st.one_of(st.none(), st.booleans())), "reason": "更正"}))
    return events


@st.composite
def wish_stream(draw: Any, wid: str) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = [("WishPosted", {
        "label": "助老", "category": "care", "county_code": draw(st.sampled_from(COUNTIES))})]
    if draw(st.booleans()):
        claimant = draw(st.sampled_from(
            [{"kind": "branch", "id": b} for b in BRANCHES]
            + [{"kind": "volunteer", "id": v} for v in VOLUNTEERS]))
        events.append(("WishConfirmed", {
            "confirmed_by": {"kind": "community", "id": "c1"}, "claimant": claimant,
            "confirmed_at": instant(draw(st.integers(-20, DAYS))),
            "seconds_to_fulfil": draw(st.integers(3600, 40 * 86400))}))
    return events


@st.composite
def histories(draw: Any) -> list[SourceEvent]:
    """Each stream's events with versions 1, 2, … and recording instants that grow along
    the stream (as a source's store records them)."""
    streams: list[tuple[str, list[tuple[str, dict[str, Any]]]]] = []
    for vid in draw(st.lists(st.sampled_from(VOLUNTEERS), unique=True, max_size=5)):
        streams.append((f"volunteer-{vid}", draw(volunteer_stream(vid))))
    for bid in draw(st.lists(st.sampled_from(BRANCHES), unique=True, max_size=4)):
        streams.append((f"branch-{bid}", draw(branch_stream(bid))))
        streams.append((f"certification-{bid}", draw(certification_stream(bid))))
    for aid in draw(st.lists(st.sampled_from(ACTIVITIES), unique=True, max_size=4)):
        streams.append((f"activity-{aid}", draw(activity_stream(aid))))
    for wid in draw(st.lists(st.sampled_from(WISHES), unique=True, max_size=3)):
        streams.append((f"wish-{wid}", draw(wish_stream(wid))))
    history: list[SourceEvent] = []
    for stream_id, events in streams:
        at = T0 + timedelta(hours=draw(st.integers(0, 48)))
        for version, (event_type, data) in enumerate(events, start=1):
            at += timedelta(hours=draw(st.integers(0, 72)))  # equal instants happen too
            history.append(SourceEvent(f"{stream_id}#{version}", event_type, stream_id,
                                       version, data, at))
    return history


def delivered(history: list[SourceEvent], chance: random.Random) -> list[SourceEvent]:
    """What a broker may hand over: every event at least once, in any order, some of them
    again later (a redelivery that is stale by then)."""
    messages = list(history)
    chance.shuffle(messages)
    for _ in range(chance.randint(0, max(1, len(history) // 2))):
        if history:
            messages.insert(chance.randint(0, len(messages)), chance.choice(history))
    return messages


# ---- what must not change ------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    comparable: Any
    facts: Any
    counties: Any
    branches: Any
    volunteers: Any


def outcome(state: ScoringState) -> Outcome:
    facts = county_facts(state)
    return Outcome(
        comparable=state.comparable(),
        facts=facts,
        counties=score(facts, CITY.counties, RULEBOOK),
        branches={c: score_entities(branches_of(state, c, RULEBOOK.period),
                                    RULEBOOK.branch_indicators) for c in COUNTIES},
        volunteers={c: score_entities(volunteers_of(state, c, RULEBOOK.period),
                                      RULEBOOK.volunteer_indicators) for c in COUNTIES},
    )


def rebuilt(history: list[SourceEvent]) -> Outcome:
    return outcome(ScoringState(load_city().zone).apply_all(history))


# ---- an in-memory journal, to drive LiveScoring itself ---------------------------------------

@dataclass(frozen=True)
class Entry:
    position: int
    event_id: str
    data: dict[str, Any]
    occurred_at: datetime | None


class ListJournal:
    """The part of `Journal` LiveScoring reads: positions 1, 2, … of what was kept."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def keep(self, event: SourceEvent) -> None:
        at = event.recorded_at.isoformat() if event.recorded_at else None
        self.entries.append(Entry(len(self.entries) + 1, event.event_id, {
            # the entry as the journal stores it: one source event, packed as JSON
            "packed": json.dumps([[event.event_id, event.type, event.stream_id,
                                   event.version, at, dict(event.data)]]),
            # and unpacked (the journal's earlier form)
            "type": event.type, "stream_id": event.stream_id, "version": event.version,
            "data": event.data}, event.recorded_at))

    def read_after(self, position: int, limit: int = 5000) -> list[Entry]:
        return self.entries[position:position + limit]

    def iter_after(self, position: int = 0, page: int = 5000) -> Iterator[Entry]:
        return iter(self.entries[position:])

    def head(self) -> int:
        return len(self.entries)


def live_over(journal: ListJournal) -> LiveScoring:
    return LiveScoring(cast(Journal, journal), load_city().zone)


# ---- properties ----------------------------------------------------------------------------

@PROPERTY
@given(history=histories(), chance=st.randoms(use_true_random=False))
def test_any_delivery_folds_to_the_rebuild_of_the_history(history, chance) -> None:
    messages = delivered(history, chance)

    assert outcome(ScoringState(load_city().zone).apply_all(messages)) == rebuilt(history)


@PROPERTY
@given(history=histories(), chance=st.randoms(use_true_random=False),
       cut=st.floats(0, 1))
def test_a_rebuild_swapped_in_mid_stream_changes_nothing(history, chance, cut) -> None:
    messages = delivered(history, chance)
    journal = ListJournal()
    live = live_over(journal)
    k = int(cut * len(messages))
    for message in messages[:k]:
        journal.keep(message)
        live.catch_up()
    try:
        live.rebuild()  # a fresh fold of everything journaled so far, swapped in
    finally:
        gc.unfreeze()  # the rebuild freezes what it folded: give the test run its memory back
    for message in messages[k:]:
        journal.keep(message)
        live.catch_up()

    assert outcome(live.current()) == rebuilt(history)
    assert live.position == journal.head()


@PROPERTY
@given(history=histories(), chance=st.randoms(use_true_random=False),
       cut=st.floats(0, 1))
def test_the_first_and_last_recorded_instants_hold_across_a_rebuild(history, chance,
                                                                     cut) -> None:
    messages = delivered(history, chance)
    journal = ListJournal()
    live = live_over(journal)
    k = int(cut * len(messages))
    for message in messages[:k]:
        journal.keep(message)
    try:
        live.rebuild()  # the first k are folded by the rebuild alone
    finally:
        gc.unfreeze()
    for message in messages[k:]:
        journal.keep(message)
        live.fold_kept(cast(Any, journal.entries[-1])) or live.catch_up()

    instants = [e.recorded_at for e in history if e.recorded_at is not None]
    expected = (min(instants), max(instants)) if instants else (None, None)
    span = live.span.as_dict()
    assert tuple(None if v is None else datetime.fromisoformat(v)
                 for v in (span["first_event_at"], span["last_event_at"])) == expected


@PROPERTY
@given(history=histories(), chance=st.randoms(use_true_random=False))
def test_entries_folded_as_this_replica_keeps_them_end_as_the_rebuild(history, chance) -> None:
    """The intake folds its own entry at once when it is the next; entries of other
    replicas (kept, not folded here) are read by the follower, at its own times."""
    journal = ListJournal()
    live = live_over(journal)
    for message in delivered(history, chance):
        journal.keep(message)
        if chance.random() < 0.7:  # kept by this replica
            folded = live.fold_kept(cast(Any, journal.entries[-1]))
            assert folded == (live.position == journal.head())
        if chance.random() < 0.2:  # the follower's tick
            live.catch_up()
    live.catch_up()

    assert outcome(live.current()) == rebuilt(history)
    assert live.position == journal.head()


@PROPERTY
@given(history=histories(), chance=st.randoms(use_true_random=False),
       cut=st.floats(0, 1))
def test_a_process_killed_mid_stream_and_restarted_from_its_journal_ends_the_same(
        history, chance, cut) -> None:
    messages = delivered(history, chance)
    journal = ListJournal()
    doomed = live_over(journal)
    k = int(cut * len(messages))
    for message in messages[:k]:
        journal.keep(message)
        doomed.catch_up()
    del doomed  # the in-memory fold is lost; the journal is what survives
    # the broker redelivers what was in flight (unacked) when the process died
    in_flight = messages[max(0, k - 3):k]
    successor = live_over(journal)
    for message in in_flight + messages[k:]:
        journal.keep(message)
    successor.catch_up()

    assert outcome(successor.current()) == rebuilt(history)


@PROPERTY
@given(history=histories(), chance=st.randoms(use_true_random=False),
       offset=st.integers(0, DAYS // 2))
def test_as_of_an_instant_is_the_fold_of_what_was_recorded_by_then(
        history, chance, offset) -> None:
    messages = delivered(history, chance)
    # an instant among the recording instants (ties included) or between them
    instants = sorted({e.recorded_at for e in history if e.recorded_at is not None})
    t = (chance.choice(instants) if instants and chance.random() < 0.5
         else T0 + timedelta(hours=offset * 4))

    def recorded_by(e: SourceEvent) -> bool:
        return e.recorded_at is not None and e.recorded_at <= t

    expected = rebuilt([e for e in history if recorded_by(e)])
    kept = (m for m in messages if recorded_by(m))
    assert outcome(ScoringState(load_city().zone).apply_all(kept)) == expected
    journal = ListJournal()
    for message in messages:
        journal.keep(message)
    assert outcome(live_over(journal).as_of(t)) == expected


def test_the_generated_histories_reach_every_ranking() -> None:
    """The strategy is not vacuous: some history scores points in every section."""
    seen = {"counties": False, "branches": False, "volunteers": False}

    @settings(max_examples=30, deadline=None, derandomize=True)
    @given(history=histories())
    def look(history: list[SourceEvent]) -> None:
        result = rebuilt(history)
        if any(s.total > 0 for s in result.counties):
            seen["counties"] = True
        if any(s.total > 0 for ranked in result.branches.values() for s in ranked):
            seen["branches"] = True
        if any(s.total > 0 for ranked in result.volunteers.values() for s in ranked):
            seen["volunteers"] = True

    look()
    assert all(seen.values()), seen
