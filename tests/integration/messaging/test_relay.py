"""The outbox relay against the real broker (a vhost per test) and the real store."""
from __future__ import annotations

import json
import threading
import time

import kombu
import pytest

from yinfa.events.envelope import NewEvent, RecordedEvent
from yinfa.messaging.relay import BATCH_ROUTING_KEY, EVENTS_PER_MESSAGE, OutboxRelay

pytestmark = pytest.mark.integration

SERVICE = "ledger"
WAIT = 10.0


@pytest.fixture
def events_queue(amqp_uri):
    """A durable queue bound to every event of the service, as a consumer's would be."""
    connection = kombu.Connection(amqp_uri)
    exchange = kombu.Exchange(f"{SERVICE}.events", type="topic", durable=True)
    queue = kombu.Queue("watcher", exchange, routing_key="#", durable=True)
    bound = queue(connection.default_channel)
    bound.declare()
    yield bound
    connection.release()


@pytest.fixture
def make_relay(make_event_store, amqp_uri):
    """Relays on the test's database: each is another service instance's relay."""
    made: list[OutboxRelay] = []

    def make(batch_size: int = 500, lease_seconds: float = 15.0) -> OutboxRelay:
        relay = OutboxRelay(make_event_store(), amqp_uri, SERVICE, batch_size, lease_seconds)
        made.append(relay)
        return relay

    yield make
    for relay in made:
        relay.reset_connection()


def record(store, count: int, streams: int = 5, start: int = 0) -> None:
    """`count` events spread over `streams` streams, every third commit holding two."""
    n = start
    while n < start + count:
        size = 2 if n % 3 == 0 and n + 1 < start + count else 1
        events = [
            NewEvent("ThingOpened" if (n + i) % 2 == 0 else "ThingClosed", {"n": n + i})
            for i in range(size)
        ]
        store.append(f"thing-{n % streams}", events)
        n += size


def received(queue, expected: int, timeout: float = WAIT) -> list[kombu.Message]:
    """Everything in the queue; waits (bounded) until messages carrying at least
    `expected` events have come."""
    messages: list[kombu.Message] = []
    deadline = time.monotonic() + timeout
    while True:
        message = queue.get(no_ack=True)
        if message is not None:
            messages.append(message)
        elif len(loaded(messages)) >= expected or time.monotonic() > deadline:
            return messages
        else:
            time.sleep(0.02)


def payloads(message: kombu.Message) -> list[dict]:
    """The events a message carries: one, or a batch message's array of them."""
    body = json.loads(message.body)
    return body if isinstance(body, list) else [body]


def loaded(messages: list[kombu.Message]) -> list[RecordedEvent]:
    return [RecordedEvent.from_message(p) for m in messages for p in payloads(m)]


def test_every_stored_event_is_published_once_in_position_order(
    event_store, make_relay, events_queue
):
    record(event_store, 25)
    stored = event_store.read_all(0, 100)

    published = make_relay(batch_size=7).publish_pending()

    assert published == 25
    assert loaded(received(events_queue, 25)) == stored
    assert [e.position for e in stored] == list(range(1, 26))


def test_events_pending_alone_are_persistent_json_messages_routed_by_event_type(
    event_store, make_relay, events_queue
):
    relay = make_relay()
    for n in range(4):
        record(event_store, 1, start=n)
        relay.publish_pending()

    messages = received(events_queue, 4)
    assert len(messages) == 4
    for message, event in zip(messages, loaded(messages), strict=True):
        assert message.properties["delivery_mode"] == 2
        assert message.content_type == "application/json"
        assert message.delivery_info["exchange"] == f"{SERVICE}.events"
        assert message.delivery_info["routing_key"] == event.type
        assert message.properties["message_id"] == event.event_id
        assert message.headers["yinfa.position"] == event.position


def test_pending_events_leave_in_persistent_batch_messages_in_position_order(
    event_store, make_relay, events_queue
):
    record(event_store, 2 * EVENTS_PER_MESSAGE + 5)
    stored = event_store.read_all(0, 1000)

    assert make_relay().publish_pending() == len(stored)

    messages = received(events_queue, len(stored))
    assert [len(payloads(m)) for m in messages] == [EVENTS_PER_MESSAGE] * 2 + [5]
    assert loaded(messages) == stored
    for message in messages:
        assert message.properties["delivery_mode"] == 2
        assert message.content_type == "application/json"
        assert message.delivery_info["routing_key"] == BATCH_ROUTING_KEY
        assert message.headers["yinfa.events"] == len(payloads(message))


def test_an_event_pending_alone_leaves_as_a_message_of_its_own(
    event_store, make_relay, events_queue
):
    event_store.append("thing-1", [NewEvent("ThingOpened", {"n": 1})])

    make_relay().publish_pending()

    [message] = received(events_queue, 1)
    assert json.loads(message.body)["type"] == "ThingOpened"
    assert message.delivery_info["routing_key"] == "ThingOpened"


def test_the_checkpoint_equals_the_head_after_a_run_and_a_rerun_publishes_nothing(
    event_store, make_relay, events_queue
):
    record(event_store, 12)
    relay = make_relay(batch_size=5)

    assert relay.run_once() == 12
    assert relay.checkpoint() == event_store.head_position() == 12
    assert relay.lag() == {"head": 12, "published": 12, "pending": 0}
    assert relay.run_once() == 0
    assert len(loaded(received(events_queue, 12))) == 12


def test_a_new_relay_resumes_after_the_checkpoint_of_the_last(
    event_store, make_relay, events_queue
):
    record(event_store, 6)
    make_relay().publish_pending()
    record(event_store, 3, start=6)

    assert make_relay().publish_pending() == 3
    assert [e.position for e in loaded(received(events_queue, 9))] == list(range(1, 10))


def test_a_second_relay_publishes_nothing_while_the_first_holds_the_lease(
    event_store, make_relay, events_queue
):
    first, second = make_relay(lease_seconds=30), make_relay(lease_seconds=30)
    record(event_store, 3)
    assert first.run_once() == 3
    record(event_store, 2, start=3)

    assert second.run_once() == 0
    assert second.checkpoint() == 3
    assert len(loaded(received(events_queue, 3, timeout=0.3))) == 3


def test_a_second_relay_takes_over_once_the_lease_has_expired(
    event_store, make_relay, events_queue
):
    first, second = make_relay(lease_seconds=0.5), make_relay(lease_seconds=30)
    record(event_store, 3)
    first.run_once()
    record(event_store, 2, start=3)
    assert second.run_once() == 0

    time.sleep(0.6)

    assert second.run_once() == 2
    assert first.run_once() == 0  # the lease is the second's now
    assert [e.position for e in loaded(received(events_queue, 5))] == [1, 2, 3, 4, 5]


def test_a_relay_taking_its_lease_back_goes_on_from_where_its_successor_stopped(
    event_store, make_relay, events_queue
):
    first, second = make_relay(lease_seconds=0.3), make_relay(lease_seconds=0.3)
    record(event_store, 3)
    assert first.run_once() == 3
    time.sleep(0.4)
    record(event_store, 2, start=3)
    assert second.run_once() == 2  # the first's lease ran out: the second moved on
    time.sleep(0.4)
    record(event_store, 1, start=5)

    assert first.run_once() == 1  # from the stored checkpoint, not what it last wrote
    assert [e.position for e in loaded(received(events_queue, 6))] == [1, 2, 3, 4, 5, 6]
    assert received(events_queue, 1, timeout=0.3) == []


def test_an_operator_moving_the_checkpoint_back_gets_a_replay_from_there(
    event_store, make_relay, events_queue
):
    relay = make_relay()
    record(event_store, 5)
    assert relay.run_once() == 5
    relay.db["relay_checkpoints"].update_one({"_id": relay.exchange},
                                             {"$set": {"position": 2}})
    record(event_store, 1, start=5)

    relay.run_once()  # may send the new event from where it was: harmless, a duplicate
    relay.run_once()

    positions = [e.position for e in loaded(received(events_queue, 10))]
    assert positions[:5] == [1, 2, 3, 4, 5]
    assert positions[-4:] == [3, 4, 5, 6]  # replayed after the operator's position
    assert relay.checkpoint() == 6


def test_a_released_lease_is_taken_at_once(event_store, make_relay, events_queue):
    first, second = make_relay(lease_seconds=30), make_relay(lease_seconds=30)
    record(event_store, 2)
    first.run_once()
    record(event_store, 1, start=2)

    first.release_lease()

    assert second.run_once() == 1


def test_events_appended_while_the_relay_runs_are_all_published(
    make_event_store, make_relay, events_queue
):
    relay = make_relay(batch_size=10)
    stop = threading.Event()

    def relay_loop() -> None:
        while not stop.is_set():
            if not relay.run_once():
                time.sleep(0.01)

    def writer(offset: int) -> None:
        store = make_event_store()
        for n in range(offset, offset + 60):
            store.append(f"writer-{offset}-{n % 4}", [NewEvent("ThingOpened", {"n": n})])

    threads = [threading.Thread(target=relay_loop)]
    threads += [threading.Thread(target=writer, args=(offset,)) for offset in (0, 100, 200)]
    for thread in threads:
        thread.start()
    for thread in threads[1:]:
        thread.join(WAIT)
    deadline = time.monotonic() + WAIT
    while relay.lag()["pending"] and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    threads[0].join(WAIT)

    events = loaded(received(events_queue, 180))
    assert [e.position for e in events] == list(range(1, 181))
    assert sorted(e.data["n"] for e in events) == sorted(
        n for offset in (0, 100, 200) for n in range(offset, offset + 60)
    )


def test_events_of_a_busy_spell_join_one_message_while_the_relay_gathers(
    event_store, make_event_store, amqp_uri, events_queue
):
    """After a batch that was not full, the relay pauses before its next read: events
    appended meanwhile leave together, in order, as one batch message."""
    relay = OutboxRelay(make_event_store(), amqp_uri, SERVICE, gather_seconds=0.3)
    record(event_store, 1)

    def late_writer() -> None:
        time.sleep(0.1)  # within the relay's pause after its first batch
        record(event_store, 6, start=1)

    writer = threading.Thread(target=late_writer)
    writer.start()
    try:
        assert relay.publish_pending(max_events=7) == 7
    finally:
        writer.join(WAIT)
        relay.reset_connection()

    messages = received(events_queue, 7)
    assert [len(payloads(m)) for m in messages] == [1, 6]
    assert [e.position for e in loaded(messages)] == list(range(1, 8))
