"""The inbox's contract, on its one path (a delivery is a list of events; one event is a
list of one), whatever a consumer applies:

- claims: an event is applied by one worker of all instances; one another live worker
  holds waits (its stream only), and is taken over once that worker's lease runs out;
- per-stream order: a stream's events are applied in version order however they come,
  within a batch and across batches; one ahead of a gap waits parked until it closes
  (by a later delivery or by the periodic sweep);
- dead letters with reasons: a poison event or a bad envelope goes to the consumer's
  dead-letter queue alone, with the reason, and its stream moves on; sent back, it is
  applied once;
- idempotence: a redelivered event changes nothing;
- a store outage stops the batch: what was done stays done, the rest comes back and is
  applied once.

Events are stored by a real event store of a "source" service and published by its
outbox relay (or raw, to misbehave on purpose), or handed to the inbox directly in the
order a test needs.
"""
from __future__ import annotations

import json
import threading
import time
from collections import Counter

import pytest
from inbox_things import (
    BATCH_SIZES,
    CONSUMER,
    FAULTS,
    NOISE,
    applied,
    apply_into,
    ids_applied,
    inbox_of,
    versions_applied,
    wanted,
)
from polling import eventually, throughout

from yinfa.events.envelope import RecordedEvent
from yinfa.messaging.inbox import (
    APPLIED,
    DEAD_LETTERED,
    DUPLICATE,
    PARKED,
    RETRIED,
    SKIPPED,
    BatchRetry,
)
from yinfa.messaging.relay import OutboxRelay

pytestmark = pytest.mark.integration


# ---- claims ------------------------------------------------------------------------------


def test_concurrent_deliveries_of_one_event_apply_it_once(make_inbox, history, mongo_db):
    [message] = history("a", {})
    calls: list[str] = []

    def slow_apply(event: RecordedEvent) -> None:
        calls.append(event.event_id)
        time.sleep(0.1)  # widen the window in which the others arrive
        apply_into(mongo_db)(event)

    outcomes: list[str] = []

    def deliver() -> None:
        try:
            outcomes.extend(make_inbox().handle([message], slow_apply))
        except BatchRetry as later:
            assert later.finished == frozenset()
            outcomes.append("later")

    workers = [threading.Thread(target=deliver) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(15)

    assert Counter(outcomes)[APPLIED] == 1
    assert set(outcomes) <= {APPLIED, DUPLICATE, "later"}
    assert make_inbox().handle([message], slow_apply) == [DUPLICATE]
    assert len(calls) == 1 and len(applied(mongo_db)) == 1


def test_a_stream_whose_event_another_worker_holds_waits_and_the_others_go_on(
    make_inbox, history, mongo_db
):
    inbox, apply = make_inbox(lease_seconds=0.3), apply_into(mongo_db)
    a1, a2 = history("a", {}, {})
    b1, b2 = history("b", {}, {})
    mongo_db["inbox_claims"].insert_one(  # another live worker holds b1
        {"_id": b1["event_id"], "state": "applying", "until": time.time() + 0.3})

    with pytest.raises(BatchRetry) as stopped:
        inbox.handle([a1, b1, a2, b2], apply, wanted)

    assert stopped.value.finished == {0, 2}  # acked; b1 and b2 come back
    assert versions_applied(mongo_db, "a") == [1, 2]
    assert versions_applied(mongo_db, "b") == []
    time.sleep(0.35)  # that worker died: its lease runs out
    assert inbox.handle([b1, b2], apply, wanted) == [APPLIED, APPLIED]
    assert versions_applied(mongo_db, "b") == [1, 2]


def test_claims_are_pruned_once_their_stream_has_passed_them_and_nothing_applies_twice(
        make_inbox, history, mongo_db):
    inbox, apply = make_inbox(lease_seconds=0.2), apply_into(mongo_db)
    messages = history("a", {}, {}, {})
    assert inbox.handle(messages, apply) == [APPLIED] * 3
    assert inbox.claims.count_documents({}) == 3
    assert inbox.prune_claims() == 0  # their leases are not over yet

    time.sleep(0.25)
    assert inbox.sweep(apply) == 0
    assert inbox.claims.count_documents({}) == 0
    for message in messages:  # redelivered after the pruning: still applied once
        assert inbox.handle([message], apply) == [DUPLICATE]
    assert versions_applied(mongo_db, "a") == [1, 2, 3]


def test_a_claim_ahead_of_its_stream_is_kept(make_inbox, history):
    inbox = make_inbox(lease_seconds=0.2)
    [message] = history("b", {})
    event = RecordedEvent.from_message(message)
    inbox.claims.insert_one(inbox.claim_document(event, time.time() - 1))  # lease over
    assert inbox.prune_claims() == 0  # the cursor has not reached it: a worker may return
    assert inbox.claims.count_documents({"_id": event.event_id}) == 1


# ---- per-stream order and parking ---------------------------------------------------------


def test_a_streams_events_are_applied_in_version_order_however_they_come(
    make_inbox, history, mongo_db
):
    inbox, apply = make_inbox(), apply_into(mongo_db)
    a1, a2, a3, a4 = history("a", {}, {}, {}, {})
    b1, b2, b3 = history("b", {}, (NOISE, {}), {})

    assert inbox.handle([a3, b2, a1, a2, b1, b3], apply, wanted) == [
        APPLIED, SKIPPED, APPLIED, APPLIED, APPLIED, APPLIED]
    assert inbox.handle([a4], apply, wanted) == [APPLIED]

    assert versions_applied(mongo_db, "a") == [1, 2, 3, 4]
    assert versions_applied(mongo_db, "b") == [1, 3]
    assert {d["_id"]: d["version"] for d in mongo_db["inbox_streams"].find()} == {"a": 4,
                                                                                   "b": 3}


def test_versions_after_a_gap_wait_parked_and_are_applied_when_it_closes(
    make_inbox, history, mongo_db
):
    inbox, apply = make_inbox(), apply_into(mongo_db)
    a1, a2, a3, a4 = history("a", {}, {}, (NOISE, {}), {})
    b1, b2 = history("b", {}, {})

    assert inbox.handle([a4, a1, b2, a3], apply, wanted) == [PARKED, APPLIED, PARKED, PARKED]
    assert inbox.handle([a4], apply, wanted) == [PARKED]  # a redelivery is parked once
    assert versions_applied(mongo_db, "a") == [1]
    assert inbox.parked_count() == 3

    assert inbox.handle([b1, a2], apply, wanted) == [APPLIED, APPLIED]

    assert versions_applied(mongo_db, "a") == [1, 2, 4]  # a3 is a type not wanted
    assert versions_applied(mongo_db, "b") == [1, 2]
    assert inbox.parked_count() == 0
    assert inbox.applied_version("a") == 4


def test_the_sweep_applies_a_parked_event_whose_turn_came_while_its_drain_failed(
    make_inbox, history, mongo_db
):
    inbox, apply = make_inbox(), apply_into(mongo_db)
    v1, v2 = history("a", {}, {"flaky": 1})
    assert inbox.handle([v2], apply) == [PARKED]
    FAULTS["reconnects_left"] = 1

    assert inbox.handle([v1], apply) == [APPLIED]  # then the drain of v2 hits the outage

    assert inbox.applied_version("a") == 1 and inbox.parked_count() == 1
    assert inbox.sweep(apply) == 1
    assert versions_applied(mongo_db, "a") == [1, 2]
    assert inbox.parked_count() == 0


# ---- dead letters with reasons ----------------------------------------------------------


def test_a_poison_event_is_dead_lettered_alone_with_its_reason_and_its_stream_moves_on(
    make_inbox, history, mongo_db, dead_lettered
):
    inbox = make_inbox()
    c1, c2 = history("c", {"poison": "a broken rule"}, {})
    [a1] = history("a", {})

    assert inbox.handle([c1, a1, c2], apply_into(mongo_db), wanted) == [
        DEAD_LETTERED, APPLIED, APPLIED]

    [letter] = dead_lettered(1)
    assert letter.headers["x-reason"].startswith(
        "apply failed: ValueError('cannot apply a broken rule')")
    assert letter.headers["x-consumer"] == CONSUMER
    assert json.loads(letter.body)["event_id"] == c1["event_id"]
    assert versions_applied(mongo_db, "c") == [2] and versions_applied(mongo_db, "a") == [1]
    assert inbox.applied_version("c") == 2


@pytest.mark.parametrize("body", [{"event_id": "not-a-uuid", "type": "Thing"},
                                  "just a string", 42, None])
def test_a_bad_envelope_is_dead_lettered_with_the_reason_and_touches_no_stream(
    make_inbox, history, mongo_db, dead_lettered, body
):
    [a1] = history("a", {})

    assert make_inbox().handle([body, a1], apply_into(mongo_db)) == [DEAD_LETTERED, APPLIED]

    [letter] = dead_lettered(1)
    assert letter.headers["x-reason"].startswith("invalid envelope")
    assert json.loads(letter.body) == body
    assert [d["_id"] for d in mongo_db["inbox_streams"].find()] == ["a"]


def test_a_dead_lettered_event_sent_back_is_applied_once(
    make_inbox, history, mongo_db, dead_lettered
):
    inbox, apply = make_inbox(), apply_into(mongo_db)
    c1, c2 = history("c", {"poison": "a missing volunteer"}, {})
    [a1] = history("a", {})
    assert inbox.handle([c1, c2], apply, wanted) == [DEAD_LETTERED, APPLIED]
    [letter] = dead_lettered(1)
    FAULTS["refuse_poison"] = False  # the cause is fixed

    assert inbox.handle([json.loads(letter.body), a1], apply, wanted) == [RETRIED, APPLIED]
    assert inbox.handle([c1, a1], apply, wanted) == [DUPLICATE, DUPLICATE]
    assert versions_applied(mongo_db, "c") == [2, 1]


# ---- idempotence and store outages ----------------------------------------------------------


def test_a_redelivered_batch_changes_nothing(make_inbox, history, mongo_db):
    inbox, apply = make_inbox(), apply_into(mongo_db)
    batch = history("a", {}, {}, {}) + history("b", {}, (NOISE, {}))
    inbox.handle(batch, apply, wanted)
    before = applied(mongo_db)

    assert inbox.handle(list(reversed(batch)), apply, wanted) == [DUPLICATE] * len(batch)
    assert inbox.handle(batch[:1] * 3, apply, wanted) == [DUPLICATE] * 3

    assert applied(mongo_db) == before
    assert (inbox.counts[APPLIED], inbox.counts[SKIPPED], inbox.counts[DUPLICATE]) == (4, 1, 8)


def test_a_store_outage_mid_batch_keeps_what_was_done_and_the_rest_is_applied_once_later(
    make_inbox, history, mongo_db
):
    inbox, apply = make_inbox(), apply_into(mongo_db)
    batch = history("a", {}, {"flaky": True}, {}) + history("b", {}, {})
    FAULTS["reconnects_left"] = 1

    with pytest.raises(BatchRetry) as stopped:
        inbox.handle(batch, apply, wanted)

    assert stopped.value.finished == {0}  # a1; the rest goes back to the queue
    assert inbox.applied_version("a") == 1
    requeued = [batch[i] for i in range(len(batch)) if i not in stopped.value.finished]
    assert inbox.handle(requeued, apply, wanted) == [APPLIED] * 4  # claims given back
    assert inbox.handle(batch, apply, wanted) == [DUPLICATE] * 5
    assert versions_applied(mongo_db, "a") == [1, 2, 3]
    assert versions_applied(mongo_db, "b") == [1, 2]
    assert len(set(ids_applied(mongo_db))) == len(ids_applied(mongo_db))


# ---- through the subscription ---------------------------------------------------------------


def test_a_relayed_event_redelivered_after_a_relay_crash_is_applied_once(
    consumer, history, emit, source_store, amqp_uri, mongo_db
):
    container = consumer()
    [event] = emit("a", {})
    assert eventually(lambda: ids_applied(mongo_db) == [event.event_id])
    source_store.db["relay_checkpoints"].delete_many({})  # as if the relay crashed unmarked

    assert OutboxRelay(source_store, amqp_uri, "source").publish_pending() == 1

    assert eventually(lambda: inbox_of(container).counts[DUPLICATE] == 1)
    assert ids_applied(mongo_db) == [event.event_id]


def test_a_store_outage_requeues_the_unfinished_events_and_each_applies_once(
    consumer, emit, mongo_db, dead_lettered
):
    consumer()
    FAULTS["reconnects_left"] = 2
    emit("a", {}, {"flaky": True}, {})
    emit("b", {}, {"flaky": True}, {})

    assert eventually(lambda: len(applied(mongo_db)) == 6)
    assert FAULTS["reconnects_left"] == 0
    assert versions_applied(mongo_db, "a") == [1, 2, 3]
    assert versions_applied(mongo_db, "b") == [1, 2, 3]
    throughout(lambda: len(set(ids_applied(mongo_db))) == len(ids_applied(mongo_db)) == 6,
               0.3)
    assert dead_lettered(0, timeout=0.2) == []


@pytest.mark.parametrize("body", [{"type": "Thing", "stream_id": "a", "data": {}},
                                  "just a string", 42, None, ["not an event", 42]])
def test_what_is_not_an_event_is_dead_lettered_item_by_item_and_the_queue_keeps_flowing(
    consumer, publish_raw, emit, dead_lettered, mongo_db, body
):
    consumer()
    publish_raw(body)
    [event] = emit("b", {})

    assert eventually(lambda: ids_applied(mongo_db) == [event.event_id])
    items = body if isinstance(body, list) else [body]
    letters = dead_lettered(len(items))
    assert sorted(json.dumps(json.loads(m.body)) for m in letters) == sorted(
        json.dumps(item) for item in items)
    assert all(m.headers["x-reason"].startswith("invalid envelope") for m in letters)


def test_a_message_breaking_the_source_contract_is_set_aside_and_the_others_go_on(
    consumer, publish_raw, history, mongo_db, dead_lettered
):
    consumer()
    a1, a2 = history("a", {}, {})
    hostile = dict(a2, data={"$where": "sleep(1000)"}, event_id=a1["event_id"][:-4] + "beef")

    publish_raw(a1)
    publish_raw(hostile)
    publish_raw(a2)

    assert eventually(lambda: versions_applied(mongo_db, "a") == [1, 2])
    [letter] = dead_lettered(1)
    assert "'$where'" in letter.headers["x-reason"]
    assert letter.headers["x-original-queue"] == "evt-source-#--things.on_things"


def test_a_batch_is_capped_in_events_and_never_splits_a_message(
    consumer, publish_raw, history, mongo_db
):
    consumer(INBOX_BATCH_EVENTS=12)
    big = history("big", *[{} for _ in range(20)])
    smalls = [history(f"s{n}", *[{} for _ in range(5)]) for n in range(8)]

    publish_raw(big)  # more than the cap: a batch of its own
    for message in smalls:
        publish_raw(message)

    assert eventually(lambda: len(applied(mongo_db)) == 60)
    assert 20 in BATCH_SIZES
    assert all(size <= 10 and size % 5 == 0 for size in BATCH_SIZES if size != 20)
    assert sum(BATCH_SIZES) == 60
