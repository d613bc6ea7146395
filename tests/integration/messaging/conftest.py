"""Fixtures of the inbox tests: a source service's store and relay, raw publishing on
its exchange, the consumer's dead-letter queue and inboxes on the consumer's database,
and what a consumer has applied."""
from __future__ import annotations

import json
import time

import kombu
import pytest
from inbox_things import ThingsService, reset

from yinfa.events.envelope import NewEvent, RecordedEvent
from yinfa.messaging.dead_letters import DeadLetters, dead_letter_queue
from yinfa.messaging.inbox import Inbox
from yinfa.messaging.relay import OutboxRelay
from yinfa.store.event_store import EventStore

CONSUMER = "things"
WAIT = 10.0
THING, NOISE = "Thing", "Noise"


@pytest.fixture
def source_store(mongo_client, mongo_db):
    """The source service's store, in its own database."""
    db = mongo_client[f"{mongo_db.name}_src"]
    store = EventStore(db)
    store.ensure_indexes()
    yield store
    mongo_client.drop_database(db.name)


@pytest.fixture
def emit(source_store, amqp_uri):
    """Append events to a source stream and publish them through the outbox relay."""
    relay = OutboxRelay(source_store, amqp_uri, "source")

    def emit(stream_id: str, *datas: dict) -> list[RecordedEvent]:
        recorded = source_store.append(stream_id, [NewEvent("Thing", data) for data in datas])
        relay.publish_pending()
        return recorded

    yield emit
    relay.reset_connection()


@pytest.fixture
def broker(amqp_uri):
    connection = kombu.Connection(amqp_uri)
    yield connection
    connection.release()


@pytest.fixture
def publish_raw(broker):
    """Publish a body as it is on `source.events`, bypassing the relay."""
    producer = kombu.Producer(broker.default_channel)
    exchange = kombu.Exchange("source.events", type="topic", durable=True)

    def publish(body) -> None:
        producer.publish(
            json.dumps(body), exchange=exchange, routing_key="Thing",
            content_type="application/json", content_encoding="utf-8",
            declare=[exchange],
        )

    return publish


@pytest.fixture
def dead_lettered(broker):
    """Take the messages in the consumer's dead-letter queue (waits for `expected`)."""
    queue = dead_letter_queue(CONSUMER)(broker.default_channel)
    queue.declare()

    def take(expected: int, timeout: float = WAIT) -> list[kombu.Message]:
        messages: list[kombu.Message] = []
        deadline = time.monotonic() + timeout
        while len(messages) < expected and time.monotonic() < deadline:
            message = queue.get(no_ack=True)
            if message is None:
                time.sleep(0.02)
            else:
                messages.append(message)
        return messages

    return take


@pytest.fixture
def make_inbox(mongo_db, amqp_uri):
    """Inboxes of the consumer on its database: one per worker or instance."""
    dead_letters = DeadLetters(amqp_uri)

    def make(lease_seconds: float = 30.0) -> Inbox:
        inbox = Inbox(mongo_db, CONSUMER, dead_letters, lease_seconds)
        inbox.ensure_indexes()
        return inbox

    yield make
    dead_letters.close()


@pytest.fixture
def history(source_store):
    """Append events to a source stream, (type, data) pairs or data (a Thing); their
    messages."""

    def append(stream_id: str, *events) -> list[dict]:
        new = [NewEvent(*e) if isinstance(e, tuple) else NewEvent(THING, e) for e in events]
        return [event.to_message() for event in source_store.append(stream_id, new)]

    return append


@pytest.fixture(autouse=True)
def healthy_store():
    """The things store's failures switched off around every test."""
    reset()
    yield
    reset()


@pytest.fixture
def consumer(container_factory, service_config):
    """Starts the things consumer service (with extra config, if any)."""
    def start(**config):
        container = container_factory(ThingsService, {**service_config, **config})
        container.start()
        return container

    return start
