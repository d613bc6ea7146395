"""The inbox in batches: the guarantees of one event at a time (each applied once, in its
stream's order; gaps parked until they close; poison and invalid envelopes dead-lettered;
types not wanted only move their cursor) for many events in a few store round trips;
and the batched subscription that feeds it through nameko.

Events are stored by a real event store of a "source" service and published by its
outbox relay, or handed to the inbox directly in the order a test needs.
"""
from __future__ import annotations

import itertools
import json
import random
import time
from collections.abc import Callable

import pytest
from pymongo import MongoClient, monitoring
from pymongo.errors import AutoReconnect

from yinfa.events.envelope import NewEvent, RecordedEvent
from yinfa.messaging.inbox import (
    APPLIED,
    DEAD_LETTERED,
    DUPLICATE,
    PARKED,
    RETRIED,
    SKIPPED,
    Inbox,
)
from yinfa.messaging.inbox_batch import BatchRetry
from yinfa.service.dependencies import InboxProvider
from yinfa.service.subscriptions import every_event_of

pytestmark = pytest.mark.integration

CONSUMER = "things"
WAIT = 15.0
THING, NOISE = "Thing", "Noise"

SEQUENCE = itertools.count()  # the order in which applies happened, in this process
FAULTS = {"reconnects_left": 0, "refuse_poison": True}
BATCH_SIZES: list[int] = []  # what each batched worker was handed


def wanted(event_type: str) -> bool:
    return event_type == THING


def apply_into(db) -> Callable[[RecordedEvent], None]:
    def apply(event: RecordedEvent) -> None:
        if "poison" in event.data and FAULTS["refuse_poison"]:
            raise ValueError(f"cannot apply {event.data['poison']}")
        if event.data.get("flaky") and FAULTS["reconnects_left"] > 0:
            FAULTS["reconnects_left"] -= 1
            raise AutoReconnect("the store went away")
        db["things"].insert_one({"event_id": event.event_id, "stream_id": event.stream_id,
                                 "version": event.version, "seq": next(SEQUENCE)})

    return apply


class BatchedThingsService:
    name = CONSUMER
    inbox = InboxProvider()

    @every_event_of("source", batched=True)
    def on_things(self, payloads):
        BATCH_SIZES.append(len(payloads))
        return self.inbox.handle_batch(payloads, apply_into(self.inbox.db), wanted)


# ---- fixtures and helpers -------------------------------------------------------------


@pytest.fixture(autouse=True)
def healthy_store():
    FAULTS.update(reconnects_left=0, refuse_poison=True)
    BATCH_SIZES.clear()
    yield
    FAULTS.update(reconnects_left=0, refuse_poison=True)


@pytest.fixture
def history(source_store):
    """Append events to a source stream: (type, data) pairs or data (a Thing)."""

    def append(stream_id: str, *events) -> list[dict]:
        new = [NewEvent(*e) if isinstance(e, tuple) else NewEvent(THING, e) for e in events]
        return [event.to_message() for event in source_store.append(stream_id, new)]

    return append


@pytest.fixture
def batched_consumer(container_factory, service_config):
    def start(**config):
        container = container_factory(BatchedThingsService, {**service_config, **config})
        container.start()
        return container

    return start


def applied(db, **query) -> list[dict]:
    return list(db["things"].find(query).sort("seq", 1))


def versions_applied(db, stream_id: str) -> list[int]:
    return [d["version"] for d in applied(db, stream_id=stream_id)]


def ids_applied(db) -> list[str]:
    return [d["event_id"] for d in applied(db)]


def eventually(condition: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def inbox_of(container) -> Inbox:
    [provider] = [d for d in container.dependencies if isinstance(d, InboxProvider)]
    return provider.inbox


# ---- the inbox on its own -----------------------------------------------------------------


def test_a_mixed_batch_applies_each_event_once_in_its_streams_order(
    make_inbox, history, mongo_db, dead_lettered
):
    a1, a2, a3, a4 = history("a", {}, {}, {}, {})
    b1, b2, b3 = history("b", {}, (NOISE, {}), {})
    c1, c2 = history("c", {"poison": "a broken rule"}, {})
    invalid = {"event_id": "not-a-uuid", "type": THING}
    batch = [a3, b2, a1, c2, a2, b1, a4, a1, c1, invalid, b3, a3]

    outcomes = make_inbox().handle_batch(batch, apply_into(mongo_db), wanted)

    assert outcomes == [APPLIED, SKIPPED, APPLIED, APPLIED, APPLIED, APPLIED, APPLIED,
                        DUPLICATE, DEAD_LETTERED, DEAD_LETTERED, APPLIED, DUPLICATE]
    assert versions_applied(mongo_db, "a") == [1, 2, 3, 4]
    assert versions_applied(mongo_db, "b") == [1, 3]
    assert versions_applied(mongo_db, "c") == [2]
    assert len(set(ids_applied(mongo_db))) == len(ids_applied(mongo_db)) == 7
    cursors = {d["_id"]: d["version"] for d in mongo_db["inbox_streams"].find()}
    assert cursors == {"a": 4, "b": 3, "c": 2}
    assert mongo_db["inbox_parked"].count_documents({}) == 0
    reasons = sorted(letter.headers["x-reason"] for letter in dead_lettered(2))
    assert reasons[0].startswith("apply failed: ValueError('cannot apply a broken rule')")
    assert reasons[1].startswith("invalid envelope") and "event_id" in reasons[1]


def test_a_redelivered_batch_changes_nothing(make_inbox, history, mongo_db):
    inbox, apply = make_inbox(), apply_into(mongo_db)
    batch = history("a", {}, {}, {}) + history("b", {}, (NOISE, {}))
    inbox.handle_batch(batch, apply, wanted)
    before = applied(mongo_db)

    outcomes = inbox.handle_batch(list(reversed(batch)), apply, wanted)

    assert outcomes == [DUPLICATE] * len(batch)
    assert applied(mongo_db) == before
    assert inbox.counts[APPLIED] == 4 and inbox.counts[SKIPPED] == 1
    assert inbox.counts[DUPLICATE] == 5


def test_versions_after_a_gap_wait_parked_and_are_applied_when_it_closes(
    make_inbox, history, mongo_db
):
    inbox, apply = make_inbox(), apply_into(mongo_db)
    a1, a2, a3, a4 = history("a", {}, {}, {}, {})
    b1, b2 = history("b", {}, {})

    assert inbox.handle_batch([a4, a1, b2, a3], apply, wanted) == [PARKED, APPLIED, PARKED,
                                                                   PARKED]
    assert versions_applied(mongo_db, "a") == [1]
    assert inbox.parked_count() == 3

    assert inbox.handle_batch([b1, a2], apply, wanted) == [APPLIED, APPLIED]

    assert versions_applied(mongo_db, "a") == [1, 2, 3, 4]
    assert versions_applied(mongo_db, "b") == [1, 2]
    assert inbox.parked_count() == 0
    assert inbox.applied_version("a") == 4


def test_a_store_failure_mid_batch_keeps_what_was_done_and_the_rest_is_applied_once_later(
    make_inbox, history, mongo_db
):
    inbox, apply = make_inbox(), apply_into(mongo_db)
    batch = history("a", {}, {"flaky": True}, {}) + history("b", {}, {})
    FAULTS["reconnects_left"] = 1

    with pytest.raises(BatchRetry) as stopped:
        inbox.handle_batch(batch, apply, wanted)

    assert stopped.value.finished == {0}  # a1; the rest goes back to the queue
    assert versions_applied(mongo_db, "a") == [1]
    assert inbox.applied_version("a") == 1
    requeued = [batch[i] for i in range(len(batch)) if i not in stopped.value.finished]
    assert inbox.handle_batch(requeued, apply, wanted) == [APPLIED] * 4  # claims given back
    assert inbox.handle_batch(batch, apply, wanted) == [DUPLICATE] * 5
    assert versions_applied(mongo_db, "a") == [1, 2, 3]
    assert versions_applied(mongo_db, "b") == [1, 2]
    assert len(set(ids_applied(mongo_db))) == len(ids_applied(mongo_db))


def test_a_stream_whose_event_another_worker_is_applying_waits_and_the_others_go_on(
    make_inbox, history, mongo_db
):
    inbox, apply = make_inbox(lease_seconds=0.3), apply_into(mongo_db)
    a1, a2 = history("a", {}, {})
    b1, b2 = history("b", {}, {})
    mongo_db["inbox_claims"].insert_one(  # another live worker holds b1
        {"_id": b1["event_id"], "state": "applying", "until": time.time() + 0.3})

    with pytest.raises(BatchRetry) as stopped:
        inbox.handle_batch([a1, b1, a2, b2], apply, wanted)

    assert stopped.value.finished == {0, 2}
    assert versions_applied(mongo_db, "a") == [1, 2]
    assert versions_applied(mongo_db, "b") == []
    time.sleep(0.35)  # that worker died: its lease runs out
    assert inbox.handle_batch([b1, b2], apply, wanted) == [APPLIED, APPLIED]
    assert versions_applied(mongo_db, "b") == [1, 2]


def test_a_dead_lettered_event_sent_back_in_a_batch_is_applied_once(
    make_inbox, history, mongo_db, dead_lettered
):
    inbox, apply = make_inbox(), apply_into(mongo_db)
    c1, c2 = history("c", {"poison": "a missing volunteer"}, {})
    [a1] = history("a", {})
    assert inbox.handle_batch([c1, c2], apply, wanted) == [DEAD_LETTERED, APPLIED]
    [letter] = dead_lettered(1)
    FAULTS["refuse_poison"] = False  # the cause is fixed

    assert inbox.handle_batch([json.loads(letter.body), a1], apply, wanted) == [RETRIED,
                                                                                  APPLIED]
    assert inbox.handle_batch([c1, a1], apply, wanted) == [DUPLICATE, DUPLICATE]
    assert versions_applied(mongo_db, "c") == [2, 1]


def holding_claims(mongo_db, *messages) -> None:
    """Another live worker has taken these events and is applying them."""
    mongo_db["inbox_claims"].insert_many([
        {"_id": m["event_id"], "state": "applying", "until": time.time() + 30}
        for m in messages])


def finishing(mongo_db, other: Inbox, *messages) -> Callable[[], None]:
    """That worker applies the events and moves its stream's cursor past them."""

    def finish() -> None:
        for message in messages:
            event = RecordedEvent.from_message(message)
            apply_into(mongo_db)(event)
            other._advance(event.stream_id, event.version)

    return finish


def test_a_cursor_another_worker_makes_after_the_batch_read_it_still_ends_at_the_batchs_version(
    make_inbox, history, mongo_db, another_writer_after
):
    a1, a2 = history("a", {}, {})
    [b1] = history("b", {})
    other = make_inbox()
    holding_claims(mongo_db, a1)
    client = another_writer_after("find", "inbox_streams", finishing(mongo_db, other, a1))
    inbox = Inbox(client[mongo_db.name], CONSUMER, other.dead_letters)

    outcomes = inbox.handle_batch([a1, a2, b1], apply_into(mongo_db), wanted)

    assert outcomes == [DUPLICATE, APPLIED, APPLIED]
    assert {d["_id"]: d["version"] for d in mongo_db["inbox_streams"].find()} == {"a": 2,
                                                                                   "b": 1}
    assert inbox.handle_batch([a2, b1], apply_into(mongo_db), wanted) == [DUPLICATE] * 2
    assert versions_applied(mongo_db, "a") == [1, 2]
    assert len(set(ids_applied(mongo_db))) == len(ids_applied(mongo_db)) == 3


def test_a_cursor_another_worker_moved_further_after_the_batch_read_is_never_moved_back(
    make_inbox, history, mongo_db, another_writer_after
):
    a1, a2, a3 = history("a", {}, {}, {})
    other = make_inbox()
    holding_claims(mongo_db, a1, a2, a3)
    client = another_writer_after("find", "inbox_streams",
                                  finishing(mongo_db, other, a1, a2, a3))
    inbox = Inbox(client[mongo_db.name], CONSUMER, other.dead_letters)

    assert inbox.handle_batch([a2, a1], apply_into(mongo_db), wanted) == [DUPLICATE] * 2

    assert inbox.applied_version("a") == 3
    assert inbox.handle_batch([a3, a2], apply_into(mongo_db), wanted) == [DUPLICATE] * 2
    assert versions_applied(mongo_db, "a") == [1, 2, 3]


class CommandCounter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.commands: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.commands.append(event.command_name)

    def succeeded(self, event) -> None:
        pass

    def failed(self, event) -> None:
        pass


def test_a_batch_costs_a_few_store_round_trips_however_many_events_it_holds(
    mongo_uri, mongo_db, make_inbox, history
):
    counter = CommandCounter()
    counted = MongoClient(mongo_uri, event_listeners=[counter])
    inbox = make_inbox()
    inbox = Inbox(counted[mongo_db.name], CONSUMER, inbox.dead_letters)
    batch = [m for n in range(40) for m in history(f"s{n}", {}, {}, (NOISE, {}))]
    random.Random(7).shuffle(batch)
    try:
        outcomes = inbox.handle_batch(batch, apply_into(mongo_db), wanted)
        commands = list(counter.commands)
    finally:
        counted.close()

    assert outcomes.count(APPLIED) == 80 and outcomes.count(SKIPPED) == 40
    assert len(commands) <= 5, commands
    assert "update" not in commands, commands  # new streams' cursors: an insert, no upsert
    assert all(versions_applied(mongo_db, f"s{n}") == [1, 2] for n in range(40))


class GatheredThings:
    """An apply that gathers its writes; `flush` makes them in one insert."""

    def __init__(self, db) -> None:
        self.db, self.docs, self.flushes = db, [], 0

    def add(self, event: RecordedEvent) -> None:
        if "poison" in event.data:
            raise ValueError(f"cannot apply {event.data['poison']}")
        self.docs.append({"event_id": event.event_id, "stream_id": event.stream_id,
                          "version": event.version, "seq": next(SEQUENCE)})

    def flush(self) -> None:
        docs, self.docs = self.docs, []
        self.flushes += 1
        if FAULTS["reconnects_left"] > 0:
            FAULTS["reconnects_left"] -= 1
            raise AutoReconnect("the store went away")
        if docs:
            self.db["things"].insert_many(docs)


def test_writes_gathered_by_the_applies_are_made_once_before_the_cursors_move(
    make_inbox, history, mongo_db, dead_lettered
):
    inbox, things = make_inbox(), GatheredThings(mongo_db)
    batch = history("a", {}, {"poison": "a broken rule"}, {}) + history("b", {}, {})

    outcomes = inbox.handle_batch(batch, things.add, wanted, flush=things.flush)

    assert outcomes == [APPLIED, DEAD_LETTERED, APPLIED, APPLIED, APPLIED]
    assert things.flushes == 1
    assert versions_applied(mongo_db, "a") == [1, 3]
    assert versions_applied(mongo_db, "b") == [1, 2]
    assert inbox.applied_version("a") == 3
    assert len(dead_lettered(1)) == 1


def test_gathered_writes_that_fail_move_no_cursor_and_are_made_once_on_redelivery(
    make_inbox, history, mongo_db
):
    inbox, things = make_inbox(), GatheredThings(mongo_db)
    batch = history("a", {}, {}) + history("b", (NOISE, {}), {}) + history("c", (NOISE, {}))
    FAULTS["reconnects_left"] = 1

    with pytest.raises(BatchRetry) as stopped:
        inbox.handle_batch(batch, things.add, wanted, flush=things.flush)

    assert stopped.value.finished == {2, 4}  # the skips before any unwritten apply
    assert applied(mongo_db) == []
    assert {d["_id"]: d["version"] for d in mongo_db["inbox_streams"].find()} == {"b": 1,
                                                                                   "c": 1}
    assert inbox.handle_batch(batch, things.add, wanted, flush=things.flush) == [
        APPLIED, APPLIED, DUPLICATE, APPLIED, DUPLICATE]  # no claim waits for its lease
    assert versions_applied(mongo_db, "a") == [1, 2]
    assert versions_applied(mongo_db, "b") == [2]


# ---- through nameko ---------------------------------------------------------------------


def test_events_published_by_the_relay_are_applied_in_batches_once_each_in_order(
    batched_consumer, source_store, emit, mongo_db
):
    consumer = batched_consumer()
    streams = [f"thing-{n}" for n in range(20)]
    for stream_id in streams:
        source_store.append(stream_id, [NewEvent(THING, {}) for _ in range(9)]
                            + [NewEvent(NOISE, {})])
    emit("thing-last", {})  # publishes all 201

    assert eventually(lambda: len(applied(mongo_db)) == 181)
    assert all(versions_applied(mongo_db, s) == list(range(1, 10)) for s in streams)
    assert max(BATCH_SIZES) > 1
    assert eventually(lambda: inbox_of(consumer).counts[SKIPPED] == 20)
    assert inbox_of(consumer).counts[APPLIED] == 181
    time.sleep(0.3)
    assert len(applied(mongo_db)) == 181


def test_a_store_failure_in_a_batch_requeues_its_unfinished_events_and_each_applies_once(
    batched_consumer, source_store, emit, mongo_db, dead_lettered
):
    batched_consumer()
    FAULTS["reconnects_left"] = 2
    source_store.append("a", [NewEvent(THING, {}), NewEvent(THING, {"flaky": True}),
                              NewEvent(THING, {})])
    emit("b", {}, {"flaky": True}, {})

    assert eventually(lambda: len(applied(mongo_db)) == 6)
    assert FAULTS["reconnects_left"] == 0
    assert versions_applied(mongo_db, "a") == [1, 2, 3]
    assert versions_applied(mongo_db, "b") == [1, 2, 3]
    time.sleep(0.3)
    assert len(set(ids_applied(mongo_db))) == len(ids_applied(mongo_db)) == 6
    assert dead_lettered(0, timeout=0.2) == []


def test_a_message_breaking_the_contract_is_set_aside_and_the_batch_goes_on(
    batched_consumer, publish_raw, history, mongo_db, dead_lettered
):
    batched_consumer()
    a1, a2 = history("a", {}, {})
    hostile = dict(a2, data={"$where": "sleep(1000)"}, event_id=a1["event_id"][:-4] + "beef")

    publish_raw(a1)
    publish_raw(hostile)
    publish_raw(a2)

    assert eventually(lambda: versions_applied(mongo_db, "a") == [1, 2])
    [letter] = dead_lettered(1)
    assert "'$where'" in letter.headers["x-reason"]
    assert letter.headers["x-original-queue"] == "evt-source-#--things.on_things"


def test_with_batching_off_each_worker_is_handed_one_event(
    batched_consumer, emit, mongo_db
):
    consumer = batched_consumer(INBOX_BATCH="0")
    emit("a", *[{} for _ in range(12)])

    assert eventually(lambda: versions_applied(mongo_db, "a") == list(range(1, 13)))
    assert set(BATCH_SIZES) == {1}
    assert eventually(lambda: sum(inbox_of(consumer).counts.values()) == 12)  # one by one


def test_a_batched_subscription_listens_on_the_queue_an_unbatched_one_would(
    batched_consumer
):
    consumer = batched_consumer()

    [entrypoint] = [e for e in consumer.entrypoints if e.method_name == "on_things"]
    assert entrypoint.queue.name == "evt-source-#--things.on_things"
    assert entrypoint.queue.routing_key == "#"
    assert entrypoint.queue_consumer.prefetch_count == 500
