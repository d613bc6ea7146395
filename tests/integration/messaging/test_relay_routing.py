"""No event is lost for want of a queue: the relay declares the queue of each consumer
named for its events before it publishes (events wait there for a consumer not running,
or whose queue was deleted), and a batch the broker returns unroutable keeps the
checkpoint before it, the relay pausing, until a queue takes it. A source nobody
consumes never waits."""
from __future__ import annotations

import logging
import time

import amqp.exceptions
import pytest
from inbox_things import CONSUMER, ThingsService, ids_applied, reset
from polling import eventually

from yinfa.messaging.relay import UNROUTABLE_PAUSE, OutboxRelay

pytestmark = pytest.mark.integration

SOURCE = "source"  # the exchange ThingsService subscribes to: source.events
QUEUE = f"evt-{SOURCE}-#--{CONSUMER}.on_things"  # as nameko names it


@pytest.fixture(autouse=True)
def healthy_consumer():
    reset()
    yield
    reset()


@pytest.fixture
def relay(source_store, amqp_uri):
    """The source's relay, with the consumer named (as services.toml `consumers` does)."""
    relay = OutboxRelay(source_store, amqp_uri, SOURCE, queues=[QUEUE])
    yield relay
    relay.reset_connection()


@pytest.fixture
def start_consumer(container_factory, service_config):
    def start():
        container = container_factory(ThingsService, service_config)
        container.start()
        return container

    return start


def depth(broker, queue: str) -> int | None:
    """Messages waiting in the queue; None if there is no such queue."""
    channel = broker.channel()
    try:
        return channel.queue_declare(queue, passive=True).message_count
    except amqp.exceptions.NotFound:
        return None
    finally:
        if channel.is_open:
            channel.close()


def event_ids(events: list[dict]) -> list[str]:
    return [event["event_id"] for event in events]


def test_events_published_while_the_consumer_queue_is_deleted_all_arrive_once_it_is_back(
    relay, history, start_consumer, broker, mongo_db
):
    consumer = start_consumer()
    before = history("a", {})
    assert relay.run_once() == 1
    assert eventually(lambda: ids_applied(mongo_db) == event_ids(before))
    consumer.stop()
    broker.default_channel.queue_delete(QUEUE)
    assert depth(broker, QUEUE) is None

    meanwhile = history("a", {}, {}, {}) + history("b", *[{}] * 150)
    assert relay.run_once() == 153

    assert relay.checkpoint() == relay.store.head_position()
    assert depth(broker, QUEUE)  # declared again by the relay, holding them
    start_consumer()
    assert eventually(lambda: len(ids_applied(mongo_db)) == 154)
    assert sorted(ids_applied(mongo_db)) == sorted(event_ids(before + meanwhile))


def test_a_consumer_started_after_the_events_were_published_receives_them_all(
    relay, history, start_consumer, broker, mongo_db
):
    assert depth(broker, QUEUE) is None  # the consumer never ran
    published = [history(f"s{n}", *[{}] * 20) for n in range(5)]

    assert relay.run_once() == 100
    assert relay.lag() == {"head": 100, "published": 100, "pending": 0}

    start_consumer()  # nameko declares the same queue again: the arguments agree
    assert eventually(lambda: len(ids_applied(mongo_db)) == 100)
    assert sorted(ids_applied(mongo_db)) == sorted(sum(map(event_ids, published), []))


def test_a_batch_no_queue_takes_keeps_the_checkpoint_until_a_queue_is_bound(
    source_store, amqp_uri, history, start_consumer, mongo_db, caplog
):
    # a consumer is named but no queue is there when the batch is routed (the relay declares
    # the queues before each batch, so only a queue deleted that instant comes here)
    relay = OutboxRelay(source_store, amqp_uri, SOURCE, queues=[])
    relay.mandatory = True
    events = history("a", *[{}] * 250)  # three messages: 100, 100 and 50 events
    try:
        with caplog.at_level(logging.WARNING, "yinfa.messaging.relay"):
            assert relay.run_once() == 0
        assert relay.checkpoint() == 0
        assert relay.lag() == {"head": 250, "published": 0, "pending": 250, "unroutable": 3}
        assert "source.events" in caplog.text and "no queue bound" in caplog.text

        assert relay.run_once() == 0  # pausing, not publishing again at once
        assert relay.lag()["unroutable"] == 3

        start_consumer()  # declares and binds its queue
        deadline = time.monotonic() + UNROUTABLE_PAUSE[0] + 5
        while not relay.run_once() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert relay.lag() == {"head": 250, "published": 250, "pending": 0}
        assert eventually(lambda: len(ids_applied(mongo_db)) == 250)
        assert sorted(ids_applied(mongo_db)) == sorted(event_ids(events))
    finally:
        relay.reset_connection()


def test_a_source_nobody_consumes_publishes_and_moves_on(source_store, amqp_uri, history):
    assert OutboxRelay(source_store, amqp_uri, "feeds").queues == []  # none named
    relay = OutboxRelay(source_store, amqp_uri, SOURCE)  # not in the catalog: none either
    history("a", *[{}] * 120)
    try:
        assert relay.run_once() == 120
        assert relay.lag() == {"head": 120, "published": 120, "pending": 0}
        assert not relay.mandatory
    finally:
        relay.reset_connection()
