"""How the inbox takes a batch: in a few store round trips however many events it holds,
with the applies' writes gathered and made once before any cursor moves, and cursors
that another worker writes meanwhile only ever moved forward; and batches of relayed
events through the subscription. The guarantees themselves are the contract's
(test_inbox_contract.py).
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable

import pytest
from inbox_things import (
    BATCH_SIZES,
    CONSUMER,
    FAULTS,
    NOISE,
    SEQUENCE,
    THING,
    applied,
    apply_into,
    ids_applied,
    inbox_of,
    versions_applied,
    wanted,
)
from polling import eventually, throughout
from pymongo import MongoClient, monitoring
from pymongo.errors import AutoReconnect

from yinfa.events.envelope import NewEvent, RecordedEvent
from yinfa.messaging.inbox import (
    APPLIED,
    DEAD_LETTERED,
    DUPLICATE,
    SKIPPED,
    BatchRetry,
    Inbox,
)

pytestmark = pytest.mark.integration


# ---- the inbox on its own -----------------------------------------------------------------


def test_a_mixed_batch_applies_each_event_once_in_its_streams_order(
    make_inbox, history, mongo_db, dead_lettered
):
    a1, a2, a3, a4 = history("a", {}, {}, {}, {})
    b1, b2, b3 = history("b", {}, (NOISE, {}), {})
    c1, c2 = history("c", {"poison": "a broken rule"}, {})
    invalid = {"event_id": "not-a-uuid", "type": THING}
    batch = [a3, b2, a1, c2, a2, b1, a4, a1, c1, invalid, b3, a3]

    outcomes = make_inbox().handle(batch, apply_into(mongo_db), wanted)

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
            other.streams.update_one({"_id": event.stream_id}, {"$set": {"version": event.version}},
                                     upsert=True)

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

    outcomes = inbox.handle([a1, a2, b1], apply_into(mongo_db), wanted)

    assert outcomes == [DUPLICATE, APPLIED, APPLIED]
    assert {d["_id"]: d["version"] for d in mongo_db["inbox_streams"].find()} == {"a": 2,
                                                                                   "b": 1}
    assert inbox.handle([a2, b1], apply_into(mongo_db), wanted) == [DUPLICATE] * 2
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

    assert inbox.handle([a2, a1], apply_into(mongo_db), wanted) == [DUPLICATE] * 2

    assert inbox.applied_version("a") == 3
    assert inbox.handle([a3, a2], apply_into(mongo_db), wanted) == [DUPLICATE] * 2
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
        outcomes = inbox.handle(batch, apply_into(mongo_db), wanted)
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

    outcomes = inbox.handle(batch, things.add, wanted, flush=things.flush)

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
        inbox.handle(batch, things.add, wanted, flush=things.flush)

    assert stopped.value.finished == {2, 4}  # the skips before any unwritten apply
    assert applied(mongo_db) == []
    assert {d["_id"]: d["version"] for d in mongo_db["inbox_streams"].find()} == {"b": 1,
                                                                                   "c": 1}
    assert inbox.handle(batch, things.add, wanted, flush=things.flush) == [
        APPLIED, APPLIED, DUPLICATE, APPLIED, DUPLICATE]  # no claim waits for its lease
    assert versions_applied(mongo_db, "a") == [1, 2]
    assert versions_applied(mongo_db, "b") == [2]


# ---- through nameko ---------------------------------------------------------------------


def test_events_published_by_the_relay_are_applied_in_batches_once_each_in_order(
    consumer, source_store, emit, mongo_db
):
    consumer = consumer()
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
    throughout(lambda: len(applied(mongo_db)) == 181, 0.3)


def test_a_subscription_listens_on_one_queue_for_every_event_of_its_source(consumer):
    [entrypoint] = [e for e in consumer().entrypoints if e.method_name == "on_things"]
    assert entrypoint.queue.name == "evt-source-#--things.on_things"
    assert entrypoint.queue.routing_key == "#"
    assert entrypoint.queue_consumer.prefetch_count == 500
