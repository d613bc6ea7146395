"""Merging a duplicate record into its survivor, and undoing it: the pure decisions.

Our 王建国 was registered twice: once by his county bureau (the survivor, verified) and
once more, with a mistyped ID number, when he signed up for a talk himself (the
duplicate). Both records earned hours; the 重阳节 talk was credited to both.
"""
from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from contracts.volunteers import events as ev, merge_events as mev
from contracts.volunteers.id_number import make_id_number
from contracts.volunteers.standing import standing_facts, standing_of
from contracts.volunteers.streams import build_registry, volunteer_stream
from services.volunteers import merges
from services.volunteers.domain import commands as c, merge, volunteer as v
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound
from yinfa.events.envelope import Metadata, RecordedEvent
from yinfa.service.dependencies import EventSourcedStreams, EventSourcing
from yinfa.store.memory import InMemoryEventStore

SURVIVOR = "0f5c6b1e-8a7d-4c2e-9b1a-3d4e5f607182"
DUPLICATE = "7a1d9c4e-2b3f-4d5e-8f60-718293a4b5c6"
MERGE_ID = "5b7c9d1e-3f4a-4b6c-8d0e-1f2a3b4c5d6e"
NUMBER = make_id_number("320902", date(1956, 10, 1), 123)
MISTYPED = make_id_number("320902", date(1956, 10, 1), 321)
AT = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
WINDOW = timedelta(days=30)
SAME_PERSON = merge.Pair(NUMBER, NUMBER)


def merging(**overrides):
    return c.MergeVolunteers(**{"volunteer_id": SURVIVOR, "duplicate_id": DUPLICATE,
                                "reason": "同一人重复登记", "merge_id": MERGE_ID,
                                **overrides})


def undoing(reason="合并有误，两人同名"):
    return c.UndoMerge(MERGE_ID, reason)


@pytest.fixture
def record(volunteer, decide, hours, small_stars):
    """A record (verified unless said) with ledger entries: (hours, activity or None)."""

    def make(entries=(), status="verified"):
        state = volunteer(status, using=small_stars)
        for i, (amount, activity) in enumerate(entries):
            entry = c.LedgerEntry(**{**vars(hours(amount, name=f"{status}{i}{activity}")),
                                     "activity_id": activity,
                                     "source": "activity" if activity else "bureau"})
            _, state = decide(state, v.record_hours, entry, small_stars)
        return state

    return make


def merged(survivor, duplicate, catalog, pair=SAME_PERSON, **overrides):
    decided = merge.merge(survivor, duplicate, merging(**overrides), pair, AT, catalog)
    return decided, v.replay(decided.survivor, survivor), v.replay(decided.duplicate,
                                                                     duplicate)


def test_the_survivor_counts_both_ledgers_and_an_activity_on_both_once(record, small_stars):
    survivor = record([(4, "talk"), (3, None)])
    duplicate = record([(4, "talk"), (5, "clinic"), (2, None)])

    decided, after, retired = merged(survivor, duplicate, small_stars)

    [merged_into] = decided.duplicate
    assert merged_into.type == "VolunteerMergedInto"
    assert len(merged_into.data["moved"]) == 2 and len(merged_into.data["duplicates"]) == 1
    assert after.total_hours == 4 + 3 + 5 + 2  # the talk once
    assert after.activities_counted == {"talk", "clinic"}
    assert retired.status == v.MERGED and retired.merged_into == SURVIVOR
    assert retired.ledger == duplicate.ledger  # its own entries stay its own


def test_hours_the_merge_adds_make_a_star_level_pending_not_approved(record, small_stars):
    survivor, duplicate = record([(8, None)]), record([(5, None)])

    decided, after, _ = merged(survivor, duplicate, small_stars)

    assert [e.type for e in decided.survivor] == ["VolunteerRecordsMerged", "StarLevelChanged"]
    assert after.star_level_reached == 1 and after.star_level == 0
    assert after.star_level_pending == 1


def test_merge_events_carry_ids_hours_and_days_only(record, small_stars):
    decided, _, _ = merged(record([(4, "talk")]), record([(2, None)]), small_stars)

    for event in [*decided.duplicate, *decided.survivor]:
        text = json.dumps(event.data, ensure_ascii=False)
        assert NUMBER not in text and "王建国" not in text and "138" not in text
        schema = ev.SCHEMAS[(event.type, ev.CURRENT_VERSIONS[event.type])]()
        assert schema.load(event.data) == event.data


def test_an_undo_gives_both_records_back_as_they_were(record, small_stars):
    survivor = record([(8, "talk")])
    duplicate = record([(5, "talk"), (6, None)])
    _, after, retired = merged(survivor, duplicate, small_stars)

    undone = merge.undo(retired, undoing(), AT + timedelta(days=3), WINDOW)
    given_back = merge.give_back(after, undoing(), DUPLICATE, small_stars)

    assert [e.type for e in undone] == ["VolunteerMergeUndone"]
    assert v.replay(undone, retired) == duplicate
    assert v.replay(given_back, after) == survivor


def test_hours_the_survivor_earned_after_the_merge_stay_with_it(record, hours, small_stars):
    survivor, duplicate = record([(8, None)]), record([(5, None)])
    _, after, _ = merged(survivor, duplicate, small_stars)
    later = v.replay(merge.record_hours(after, hours(3, name="合并后"), small_stars), after)

    back = v.replay(merge.give_back(later, undoing(), DUPLICATE, small_stars), later)

    assert back.total_hours == 8 + 3


def test_an_undo_after_the_window_is_refused(record, small_stars):
    _, _, retired = merged(record(), record(), small_stars)

    with pytest.raises(DomainRuleViolated, match="within 30 days") as refused:
        merge.undo(retired, undoing(), AT + WINDOW + timedelta(seconds=1), WINDOW)
    assert refused.value.field == "merge_id"
    assert merge.undo(retired, undoing(), AT + WINDOW, WINDOW)  # the last moment holds


def test_an_undo_of_another_merge_or_a_second_undo_finds_none(record, small_stars):
    _, _, retired = merged(record(), record(), small_stars)
    with pytest.raises(NotFound):
        merge.undo(retired, c.UndoMerge("other", "x"), AT, WINDOW)
    back = v.replay(merge.undo(retired, undoing(), AT, WINDOW), retired)
    with pytest.raises(NotFound):
        merge.undo(back, undoing(), AT, WINDOW)


def test_hours_for_an_activity_counted_once_already_are_a_repeat(record, hours, small_stars):
    _, after, _ = merged(record([(4, "talk")]), record([(4, "talk")]), small_stars)
    again = c.LedgerEntry(**{**vars(hours(4, name="again")), "activity_id": "talk"})

    with pytest.raises(AlreadyExists) as repeat:
        merge.record_hours(after, again, small_stars, followed=True)
    assert repeat.value.field == "entry_id"  # what the ledger's consumer takes as a repeat


def test_a_correction_of_an_entry_handed_over_is_kept_where_it_is_and_followed(
        record, small_stars):
    survivor, duplicate = record([(8, None)]), record([(5, None)])
    _, after, retired = merged(survivor, duplicate, small_stars)
    [entry_id] = retired.ledger
    fix = c.CorrectHours(DUPLICATE, entry_id, Decimal(1), "签到表核对")

    kept = merge.correct_kept_entry(retired, fix)
    followed = merge.follow_correction(after, MERGE_ID, fix, small_stars)

    assert [e.type for e in kept] == ["HoursCorrected"]  # what the other services read
    assert v.replay(kept, retired).ledger[entry_id] == 1
    assert [e.type for e in followed] == ["VolunteerMergedHoursCorrected",
                                          "StarLevelChanged"]  # 13 h: 1★; 9 h: none
    assert v.replay(followed, after).total_hours == 8 + 1
    assert merge.follow_correction(v.replay(followed, after), MERGE_ID, fix,
                                   small_stars) == []  # a repeat changes nothing


# ---- refused ------------------------------------------------------------------------


def test_two_verified_records_with_different_numbers_are_two_people(record, small_stars):
    pair = merge.Pair(NUMBER, MISTYPED)
    with pytest.raises(DomainRuleViolated, match="two people") as refused:
        merged(record(), record(), small_stars, pair=pair)
    assert refused.value.field == "duplicate_id"


def test_the_persons_number_given_accepts_the_pair_a_correction_named(record, small_stars):
    pair = merge.Pair(NUMBER, MISTYPED)
    decided, _, _ = merged(record(), record(), small_stars, pair=pair, id_number=NUMBER)
    assert decided.duplicate
    with pytest.raises(DomainRuleViolated, match="two people"):
        merged(record(), record(), small_stars, pair=pair, id_number=MISTYPED)


def test_an_unverified_duplicate_may_differ_in_number(record, small_stars):
    decided, _, _ = merged(record(), record(status="registered"), small_stars,
                           pair=merge.Pair(NUMBER, MISTYPED))
    assert decided.survivor


def test_a_verified_duplicate_is_not_merged_into_an_unverified_record(record, small_stars):
    with pytest.raises(DomainRuleViolated, match="merge into the verified record"):
        merged(record(status="registered"), record(), small_stars)


@pytest.mark.parametrize("side", ["survivor", "duplicate"])
def test_an_erased_or_deceased_record_is_not_merged(side, record, decide, small_stars):
    erased = v.replay(v.erase(record(), c.EraseVolunteer(SURVIVOR, erased_on=date.today()),
                              small_stars), record())
    deceased = v.replay(v.withdraw(record(), c.WithdrawVolunteer(SURVIVOR, "deceased"),
                                   small_stars), record())
    for gone, reason in ((erased, "erased"), (deceased, "deceased")):
        pair = (gone, record()) if side == "survivor" else (record(), gone)
        with pytest.raises(DomainRuleViolated, match=reason):
            merged(*pair, small_stars)


def test_a_record_merged_already_is_a_conflict(record, small_stars):
    _, after, retired = merged(record(), record(), small_stars)
    with pytest.raises(DomainRuleViolated, match="merged already"):
        merged(record(), retired, small_stars)  # a second admin, a moment later
    with pytest.raises(DomainRuleViolated, match="other way round"):
        merged(record(), after, small_stars)  # the survivor is not merged on


def test_a_merged_record_takes_no_other_decision(record, hours, small_stars):
    _, _, retired = merged(record(), record(), small_stars)
    with pytest.raises(DomainRuleViolated, match="merged") as refused:
        v.record_hours(retired, hours(1), small_stars)
    assert refused.value.context["merged_into"] == SURVIVOR


def test_directory_replicas_read_a_merged_record_as_one_that_serves_no_more(record,
                                                                            small_stars):
    decided, _, _ = merged(record(), record(), small_stars)
    undone = [mev.VOLUNTEER_MERGE_UNDONE]
    facts = {"registered": True, "verified": True}
    for event in decided.duplicate:
        facts.update(standing_facts(_recorded(event.type, event.data)))
    assert standing_of(facts) == "withdrawn"
    facts.update(standing_facts(_recorded(undone[0], {})))
    assert standing_of(facts) == "verified"


def _recorded(event_type, data):
    return RecordedEvent(event_id="e", type=event_type, schema_version=1,
                         stream_id=f"volunteer-{DUPLICATE}", version=9, position=9,
                         occurred_at=AT, recorded_at=AT, correlation_id="c",
                         causation_id=None, actor="county_admin", data=data)


def every_merge_event(survivor, duplicate, catalog):
    """The merge's and the undo's events (for the test of every event's schema)."""
    decided = merge.merge(survivor, duplicate, merging(), SAME_PERSON, AT, catalog)
    after = v.replay(decided.survivor, survivor)
    retired = v.replay(decided.duplicate, duplicate)
    [entry_id, *_] = retired.ledger
    fix = c.CorrectHours(DUPLICATE, entry_id, retired.ledger[entry_id] + 1, "核对")
    return [*decided.duplicate, *decided.survivor, *merge.undo(retired, undoing(), AT, WINDOW),
            *merge.give_back(after, undoing(), DUPLICATE, catalog),
            *merge.follow_correction(after, MERGE_ID, fix, catalog)]


# ---- a merge cut short between its two streams ---------------------------------------


def test_a_retry_of_a_merge_cut_short_records_the_survivors_side(record, small_stars):
    provider = EventSourcing(build_registry(), store_factory=InMemoryEventStore).standalone()
    streams = EventSourcedStreams(provider, Metadata(actor="county_admin:tinghu",
                                                     correlation_id="c"))
    survivor, duplicate = record([(8, None)]), record([(5, None)])
    for vid, state in ((SURVIVOR, survivor), (DUPLICATE, duplicate)):
        streams.store.append(volunteer_stream(vid), list(_history(state, vid, small_stars)), 0,
                             streams.metadata)
    decided = merge.merge(survivor, duplicate, merging(), SAME_PERSON, AT, small_stars)
    streams.execute(volunteer_stream(DUPLICATE), v.replay,
                    lambda state: decided.duplicate)  # ... and the process died here

    outcome = merges.merge_volunteers(streams, merging(merge_id="another-attempt"))

    assert outcome["merge_id"] == MERGE_ID  # the merge recorded, not a second one
    after, _ = streams.load(volunteer_stream(SURVIVOR), v.replay)
    assert after.total_hours == 13 and merge.completes(after, MERGE_ID)
    with pytest.raises(DomainRuleViolated, match="merged already"):
        merges.merge_volunteers(streams, merging(merge_id="a-third"))
    recorded = streams.store.read_stream(volunteer_stream(SURVIVOR))
    assert [e.type for e in recorded].count("VolunteerRecordsMerged") == 1


def _history(state, vid, catalog):
    """Events that fold into this state (a registration, verification, its ledger)."""
    registered = v.register(None, c.RegisterVolunteer(
        name="王建国", gender=state.gender, birth_year=state.birth_year,
        id_number=NUMBER, phone="13812345678",
        county_code=state.county_code, retirement_status=state.retirement_status,
        former_employer=state.former_employer, party_member=state.party_member,
        skills=state.skills, insurance=state.insurance), catalog)
    yield from registered
    yield from v.verify(v.replay(registered), c.VerifyVolunteer(vid, state.county_code),
                          catalog)
    for entry_id, hours in state.ledger.items():
        yield ev.new_event(ev.HOURS_RECORDED, {
            "entry_id": entry_id, "hours": str(hours), "served_on": "2026-05-04",
            "source": "bureau", "activity_id": None})
