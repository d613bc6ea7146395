"""Fixtures for running services against the real broker (a vhost per test) and store."""
from __future__ import annotations

import polling
import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from yinfa.events.envelope import NewEvent
from yinfa.messaging.relay import OutboxRelay
from yinfa.store.event_store import EventStore


@pytest.fixture
def service_config(rabbit_config, mongo_uri, mongo_db):
    """nameko config for one test: its own RabbitMQ vhost and its own database."""
    return {
        **rabbit_config,
        "MONGO_URI": mongo_uri,
        "DB_NAME": mongo_db.name,
        "serializer": "json",
    }


@pytest.fixture
def platform_config(service_config, mongo_client, mongo_db):
    """For several services in one test: each gets its own `<test db>_<service>` database."""
    config = {k: v for k, v in service_config.items() if k != "DB_NAME"}
    config["DB_PREFIX"] = mongo_db.name
    yield config
    for name in mongo_client.list_database_names():
        if name.startswith(mongo_db.name + "_"):
            mongo_client.drop_database(name)


@pytest.fixture
def rpc_proxy(service_config):
    """Open RPC proxies to running services; closed at the end of the test."""
    opened = []

    def make(service_name: str, context_data: dict | None = None):
        proxy = ServiceRpcProxy(service_name, service_config, context_data=context_data)
        opened.append(proxy)
        return proxy.start()

    yield make
    for proxy in opened:
        proxy.stop()


@pytest.fixture
def eventually():
    """Poll `check` until it returns something true (returned), bounded by `timeout`."""
    return polling.eventually


@pytest.fixture
def thing_source(mongo_client, mongo_db, rabbit_config):
    """A source service's store and relay, in a database of its own: `thing_source(name,
    streams)` returns `emit(*numbers)`, which appends a `ThingCounted` {n} per number to
    stream `thing-<n % streams>`, publishes them and answers their event ids."""
    relays = []

    def source(name: str, streams: int = 2):
        store = EventStore(mongo_client[f"{mongo_db.name}_src"])
        store.ensure_indexes()
        relay = OutboxRelay(store, rabbit_config["AMQP_URI"], name)
        relays.append(relay)

        def emit(*numbers: int) -> list[str]:
            ids = [store.append(f"thing-{n % streams}", [NewEvent("ThingCounted", {"n": n})]
                                )[0].event_id for n in numbers]
            relay.publish_pending()
            return ids

        return emit

    yield source
    for relay in relays:
        relay.reset_connection()
    mongo_client.drop_database(f"{mongo_db.name}_src")
