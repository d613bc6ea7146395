"""The inbox: idempotent, ordered consumption, with dead letters that never block the queue.

A consumer service runs in nameko against a per-test vhost; the events it consumes are
stored by a real event store of a "source" service and published by its outbox relay
(or, to misbehave on purpose, published raw with kombu on `source.events`).
"""
from __future__ import annotations

import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest
from nameko.testing.services import entrypoint_waiter
from pymongo.errors import AutoReconnect

from yinfa.events.envelope import NewEvent, RecordedEvent
from yinfa.messaging.inbox import (
    APPLIED,
    DEAD_LETTERED,
    DUPLICATE,
    PARKED,
    RetryLater,
)
from yinfa.messaging.relay import OutboxRelay
from yinfa.service.dependencies import InboxProvider
from yinfa.service.subscriptions import every_event_of

pytestmark = pytest.mark.integration

CONSUMER = "things"
WAIT = 10.0

SEQUENCE = itertools.count()  # the order in which applies happened, in this process
FAULTS = {"reconnects_left": 0}  # the test arms a store outage; apply consumes it


def apply_into(db) -> Callable[[RecordedEvent], None]:
    def apply(event: RecordedEvent) -> None:
        if "poison" in event.data:
            raise ValueError(f"cannot apply {event.data['poison']}")
        if event.data.get("flaky") and FAULTS["reconnects_left"] > 0:
            FAULTS["reconnects_left"] -= 1
            raise AutoReconnect("the store went away")
        db["things"].insert_one({
            "event_id": event.event_id,
            "stream_id": event.stream_id,
            "version": event.version,
            "seq": next(SEQUENCE),
        })

    return apply


class ThingsService:
    name = CONSUMER
    inbox = InboxProvider()

    @every_event_of("source")
    def on_thing(self, payload):
        return self.inbox.handle(payload, apply_into(self.inbox.db))


# ---- fixtures -------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_store_outage():
    FAULTS["reconnects_left"] = 0
    yield
    FAULTS["reconnects_left"] = 0


@pytest.fixture
def consumer(container_factory, service_config):
    container = container_factory(ThingsService, service_config)
    container.start()
    return container


def eventually(condition: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def applied(db, **query) -> list[dict]:
    return list(db["things"].find(query).sort("seq", 1))


def outcome_is(expected: str):
    return lambda worker_ctx, result, exc_info: result == expected


# ---- through nameko ---------------------------------------------------------------------


def test_an_event_published_by_the_source_relay_is_applied(consumer, emit, mongo_db):
    with entrypoint_waiter(consumer, "on_thing", callback=outcome_is(APPLIED), timeout=WAIT):
        [event] = emit("thing-1", {"colour": "red"})

    assert [d["event_id"] for d in applied(mongo_db)] == [event.event_id]


def test_a_redelivered_event_is_applied_once(consumer, emit, source_store, amqp_uri, mongo_db):
    with entrypoint_waiter(consumer, "on_thing", callback=outcome_is(APPLIED), timeout=WAIT):
        [event] = emit("thing-1", {"colour": "red"})
    source_store.db["relay_checkpoints"].delete_many({})  # as if the relay crashed unmarked

    with entrypoint_waiter(consumer, "on_thing", callback=outcome_is(DUPLICATE), timeout=WAIT):
        assert OutboxRelay(source_store, amqp_uri, "source").publish_pending() == 1

    assert [d["event_id"] for d in applied(mongo_db)] == [event.event_id]


def test_events_of_a_stream_arriving_out_of_order_are_applied_in_version_order(
    consumer, source_store, publish_raw, mongo_db
):
    first, second = source_store.append("thing-1", [NewEvent("Thing", {}), NewEvent("Thing", {})])

    with entrypoint_waiter(consumer, "on_thing", callback=outcome_is(PARKED), timeout=WAIT):
        publish_raw(second.to_message())
    with entrypoint_waiter(consumer, "on_thing", callback=outcome_is(APPLIED), timeout=WAIT):
        publish_raw(first.to_message())

    assert [d["version"] for d in applied(mongo_db)] == [1, 2]
    assert mongo_db["inbox_parked"].count_documents({}) == 0


def test_an_invalid_envelope_is_dead_lettered_with_the_reason_and_the_queue_keeps_flowing(
    consumer, publish_raw, emit, dead_lettered, mongo_db
):
    publish_raw({"type": "Thing", "stream_id": "thing-1", "data": {}})
    [event] = emit("thing-2", {"colour": "blue"})

    assert eventually(lambda: applied(mongo_db))
    [letter] = dead_lettered(1)
    assert letter.headers["x-reason"].startswith("invalid envelope")
    assert "event_id" in letter.headers["x-reason"]
    assert json.loads(letter.body) == {"type": "Thing", "stream_id": "thing-1", "data": {}}
    assert [d["event_id"] for d in applied(mongo_db)] == [event.event_id]


@pytest.mark.parametrize("body", ["just a string", 42, None])
def test_a_message_that_is_not_an_object_is_dead_lettered_and_the_queue_keeps_flowing(
    consumer, publish_raw, emit, dead_lettered, mongo_db, body
):
    publish_raw(body)
    emit("thing-2", {"colour": "blue"})

    assert eventually(lambda: applied(mongo_db))
    [letter] = dead_lettered(1)
    assert letter.headers["x-reason"].startswith("invalid envelope")
    assert json.loads(letter.body) == body


def test_each_thing_in_a_batch_message_that_is_not_an_event_is_dead_lettered_alone(
    consumer, publish_raw, emit, dead_lettered, mongo_db
):
    publish_raw(["not an event", 42])
    emit("thing-2", {"colour": "blue"})

    assert eventually(lambda: applied(mongo_db))
    letters = dead_lettered(2)
    assert {json.dumps(json.loads(letter.body)) for letter in letters} == {'"not an event"', "42"}
    assert all(letter.headers["x-reason"].startswith("invalid envelope") for letter in letters)


def test_an_event_whose_apply_fails_is_dead_lettered_and_its_stream_moves_on(
    consumer, emit, dead_lettered, mongo_db
):
    poison, healthy = emit("thing-1", {"poison": "a broken rule"}, {"colour": "green"})

    assert eventually(lambda: applied(mongo_db))
    [letter] = dead_lettered(1)
    assert "ValueError" in letter.headers["x-reason"]
    assert "a broken rule" in letter.headers["x-reason"]
    assert letter.headers["x-consumer"] == CONSUMER
    assert json.loads(letter.body)["event_id"] == poison.event_id
    assert [d["event_id"] for d in applied(mongo_db)] == [healthy.event_id]


def test_an_infrastructure_error_requeues_the_event_and_it_is_applied_later_once(
    consumer, emit, dead_lettered, mongo_db
):
    FAULTS["reconnects_left"] = 1

    with entrypoint_waiter(consumer, "on_thing", callback=outcome_is(APPLIED), timeout=WAIT):
        [event] = emit("thing-1", {"flaky": True})

    assert FAULTS["reconnects_left"] == 0
    assert [d["event_id"] for d in applied(mongo_db)] == [event.event_id]
    assert mongo_db["inbox_streams"].find_one({"_id": "thing-1"})["version"] == 1
    assert dead_lettered(0, timeout=0.2) == []


# ---- the inbox on its own ---------------------------------------------------------------


def messages_of(source_store, stream_id: str, count: int) -> list[dict]:
    recorded = source_store.append(stream_id, [NewEvent("Thing", {"n": n}) for n in range(count)])
    return [event.to_message() for event in recorded]


def test_an_early_version_is_parked_and_applied_when_the_gap_closes(
    make_inbox, source_store, mongo_db
):
    inbox, apply = make_inbox(), apply_into(mongo_db)
    v1, v2, v3 = messages_of(source_store, "thing-1", 3)

    assert inbox.handle(v3, apply) == PARKED
    assert inbox.handle(v2, apply) == PARKED
    assert inbox.handle(v3, apply) == PARKED  # a redelivery is parked once
    assert inbox.parked_count() == 2
    assert applied(mongo_db) == []

    assert inbox.handle(v1, apply) == APPLIED

    assert [d["version"] for d in applied(mongo_db)] == [1, 2, 3]
    assert inbox.parked_count() == 0
    assert inbox.applied_version("thing-1") == 3


def test_sweep_applies_a_parked_event_whose_turn_came_while_its_drain_had_failed(
    make_inbox, source_store, mongo_db
):
    inbox, apply = make_inbox(lease_seconds=0.3), apply_into(mongo_db)
    v1, v2 = source_store.append(
        "thing-1", [NewEvent("Thing", {}), NewEvent("Thing", {"flaky": 1})]
    )
    assert inbox.handle(v2.to_message(), apply) == PARKED
    FAULTS["reconnects_left"] = 1

    with pytest.raises(RetryLater):
        inbox.handle(v1.to_message(), apply)  # v1 is applied, then the drain of v2 hits the outage
    assert inbox.applied_version("thing-1") == 1
    assert inbox.sweep(apply) == 0  # v2 is still claimed by the failed drain

    time.sleep(0.35)

    assert inbox.sweep(apply) == 1
    assert [d["version"] for d in applied(mongo_db)] == [1, 2]
    assert inbox.parked_count() == 0


def test_concurrent_deliveries_of_one_event_apply_it_once(make_inbox, source_store, mongo_db):
    [message] = messages_of(source_store, "thing-1", 1)
    calls: list[str] = []

    def slow_apply(event: RecordedEvent) -> None:
        calls.append(event.event_id)
        time.sleep(0.1)  # widen the window in which the others arrive
        apply_into(mongo_db)(event)

    outcomes: list[str] = []

    def deliver() -> None:
        try:
            outcomes.append(make_inbox().handle(message, slow_apply))
        except RetryLater:
            outcomes.append("retry later")

    workers = [threading.Thread(target=deliver) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(WAIT)

    assert Counter(outcomes)[APPLIED] == 1
    assert set(outcomes) <= {APPLIED, DUPLICATE, "retry later"}
    assert make_inbox().handle(message, slow_apply) == DUPLICATE
    assert len(calls) == 1
    assert len(applied(mongo_db)) == 1


def test_an_invalid_envelope_is_dead_lettered_without_touching_the_streams(
    make_inbox, dead_lettered, mongo_db
):
    outcome = make_inbox().handle({"event_id": "not-a-uuid"}, apply_into(mongo_db))

    assert outcome == DEAD_LETTERED
    assert "event_id" in dead_lettered(1)[0].headers["x-reason"]
    assert mongo_db["inbox_streams"].count_documents({}) == 0


def test_claims_are_pruned_once_their_stream_has_passed_them_and_nothing_applies_twice(
        make_inbox, source_store, mongo_db):
    inbox, apply = make_inbox(lease_seconds=0.2), apply_into(mongo_db)
    messages = messages_of(source_store, "thing-1", 3)
    for message in messages:
        assert inbox.handle(message, apply) == APPLIED
    assert inbox.claims.count_documents({}) == 3
    assert inbox.prune_claims() == 0  # their leases are not over yet

    time.sleep(0.25)
    assert inbox.sweep(apply) == 0
    assert inbox.claims.count_documents({}) == 0
    for message in messages:  # redelivered after the pruning: still applied once
        assert inbox.handle(message, apply) == DUPLICATE
    assert [d["version"] for d in applied(mongo_db)] == [1, 2, 3]


def test_a_claim_ahead_of_its_stream_is_kept(make_inbox, source_store, mongo_db):
    inbox = make_inbox(lease_seconds=0.2)
    [message] = messages_of(source_store, "thing-2", 1)
    event = RecordedEvent.from_message(message)
    inbox.claims.insert_one(inbox.claim_document(event, time.time() - 1))  # lease over
    assert inbox.prune_claims() == 0  # the cursor has not reached it: a worker may return
    assert inbox.claims.count_documents({"_id": event.event_id}) == 1
