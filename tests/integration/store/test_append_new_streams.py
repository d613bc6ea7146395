"""Starting many streams in one write (`EventStore.append_new_streams`), on the real store:
positions stay gapless and in commit order, a stream that exists is left alone, and a
retried batch stores nothing twice."""
from __future__ import annotations

import threading
import uuid

import pytest

from yinfa.events.envelope import Metadata, NewEvent, RecordedEvent
from yinfa.store.event_store import NO_STREAM
from yinfa.store.new_documents import CHUNK

pytestmark = pytest.mark.integration


def registered(name: str) -> NewEvent:
    return NewEvent("VolunteerRegistered", {"name": name, "county_code": "320902"})


def roster(count: int, prefix: str = "roster") -> list[tuple[str, list[NewEvent], None]]:
    """New streams of one to three events each."""
    return [(f"volunteer-{prefix}-{n}",
             [registered(f"志愿者{n}")] + [NewEvent("HoursLogged", {"hours": h})
                                          for h in range(n % 3)],
             None)
            for n in range(count)]


def every_position(store) -> list[int]:
    return [event.position for event in store.iter_all()]


def test_new_streams_take_the_next_consecutive_positions_with_versions_from_one(event_store):
    event_store.append("volunteer-before", [registered("王建国")], NO_STREAM)
    batch = roster(40)

    recorded = event_store.append_new_streams(batch)

    assert [events[0].stream_id for events in recorded] == [s for s, _, _ in batch]
    assert [[e.version for e in events] for events in recorded] == [
        list(range(1, len(evs) + 1)) for _, evs, _ in batch]
    flat = [event.position for events in recorded for event in events]
    assert flat == list(range(2, 2 + sum(len(evs) for _, evs, _ in batch)))
    assert every_position(event_store) == list(range(1, flat[-1] + 1))


def test_what_the_batch_answers_is_what_each_stream_reads_back(event_store):
    metadata = Metadata(actor="county_admin:tinghu", correlation_id="roster-1")
    batch = [(stream_id, events, metadata) for stream_id, events, _ in roster(5)]

    recorded = event_store.append_new_streams(batch)

    for events in recorded:
        assert events == event_store.read_stream(events[0].stream_id)
        assert {(e.actor, e.correlation_id) for e in events} == {
            ("county_admin:tinghu", "roster-1")}


# the stream taken in the first insert command, or in a later one (see CHUNK)
@pytest.mark.parametrize(("count", "at"), [(6, 2), (CHUNK + 6, CHUNK + 2)])
def test_a_stream_that_exists_is_answered_none_and_the_others_are_started(
    event_store, count, at
):
    batch = roster(count)
    taken = batch[at][0]
    event_store.append(taken, [registered("先来的人")], NO_STREAM)

    recorded = event_store.append_new_streams(batch)

    assert recorded[at] is None
    assert [e.data["name"] for e in event_store.read_stream(taken)] == ["先来的人"]
    started = [events for events in recorded if events]
    assert len(started) == count - 1
    assert all(events == event_store.read_stream(events[0].stream_id) for events in started)
    assert every_position(event_store) == list(range(1, event_store.head_position() + 1))


def test_the_same_stream_twice_in_one_batch_is_started_once(event_store):
    first, second = [registered("王建国")], [registered("王建国（重复）")]

    recorded = event_store.append_new_streams([("volunteer-twice", first, None),
                                               ("volunteer-twice", second, None)])

    assert recorded[1] is None
    assert [e.data["name"] for e in event_store.read_stream("volunteer-twice")] == ["王建国"]


def test_retrying_the_same_batch_answers_the_first_recording_and_stores_nothing(
    event_store, make_event_store
):
    batch = roster(12)
    first = event_store.append_new_streams(batch)
    head = event_store.head_position()

    again = event_store.append_new_streams(batch)
    from_another_instance = make_event_store().append_new_streams(batch)

    assert again == first
    assert from_another_instance == first
    assert event_store.head_position() == head
    assert len(list(event_store.iter_all())) == head


BATCH = CHUNK + 8  # two insert commands a batch: other instances may write in between


def test_a_batch_interleaved_with_single_appends_of_other_instances_leaves_no_gap(
    event_store, make_event_store
):
    """Batches of one instance race single appends of two others (each with its own
    position cache and lock, as separate processes have): every event is stored once,
    positions are 1..N with no gap, and each stream's versions run from 1."""
    errors: list[BaseException] = []
    answered: list[list[RecordedEvent]] = []

    def batches() -> None:
        try:
            for round_ in range(6):
                answer = event_store.append_new_streams(roster(BATCH, prefix=f"b{round_}"))
                answered.extend(events for events in answer if events)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    def singles(writer: int) -> None:
        store = make_event_store()
        try:
            for n in range(40):
                stream = f"team-{writer}-{n % 4}"
                answered.append(store.append(stream, [NewEvent("JoinedTeam", {"n": n})]))
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    threads = [threading.Thread(target=batches)] + [
        threading.Thread(target=singles, args=(w,)) for w in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors, errors
    stored = list(event_store.iter_all())
    assert [e.position for e in stored] == list(range(1, len(stored) + 1))
    assert sorted(e.event_id for e in stored) == sorted(
        e.event_id for events in answered for e in events)
    assert len(stored) == 6 * sum(len(evs) for _, evs, _ in roster(BATCH)) + 2 * 40
    by_stream: dict[str, list[int]] = {}
    for event in stored:
        by_stream.setdefault(event.stream_id, []).append(event.version)
    assert all(v == list(range(1, len(v) + 1)) for v in by_stream.values())


@pytest.mark.parametrize("count", [2, 20])  # a few streams are read one query each
def test_reading_many_streams_at_once_equals_reading_each(event_store, count):
    event_store.append_new_streams(roster(count))
    event_store.append("volunteer-roster-1", [NewEvent("HoursLogged", {"hours": 9})])
    asked = [f"volunteer-roster-{n}" for n in reversed(range(count))]
    asked.append(f"volunteer-{uuid.uuid4()}")

    streams = event_store.read_streams(asked)

    assert list(streams) == asked
    assert all(streams[s] == event_store.read_stream(s) for s in asked)
    assert [e.version for e in streams["volunteer-roster-1"]] == [1, 2, 3]
    assert streams[asked[-1]] == []
    assert event_store.existing_streams(asked) == set(asked[:-1])
