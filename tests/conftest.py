"""Shared fixtures: one document store per session, a fresh database per test.

The test run has secrets of its own, random for each run, as an operator would set them
(processes the tests start inherit them); no test relies on a default."""
from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from urllib.parse import urlparse

import pytest
from pymongo import MongoClient, monitoring

from yinfa.config import settings
from yinfa.infra.embedded_store import ensure_store
from yinfa.infra.run_secrets import ensure_run_secrets
from yinfa.store.event_store import EventStore

ensure_run_secrets()


@pytest.fixture(autouse=True)
def fresh_settings():
    """Each test's process settings come from the environment it starts with; a test that
    changes the environment midway calls `settings.cache_clear()` itself."""
    settings.cache_clear()


@pytest.fixture
def amqp_uri(rabbit_config):
    """The test's own vhost on the broker (nameko's `rabbit_config`)."""
    return rabbit_config["AMQP_URI"]


@pytest.fixture(scope="module")
def module_amqp(request, vhost_pipeline):
    """A vhost for a whole test module (a platform started once for its tests)."""
    uri = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    with vhost_pipeline.get() as vhost:
        yield f"{uri.scheme}://{uri.netloc}/{vhost}"


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory):
    """MONGO_URI if set, else one embedded nx-27017 for the whole session."""
    uri, embedded = ensure_store(data_dir=tmp_path_factory.mktemp("store"), name="tests")
    yield uri
    if embedded is not None:
        embedded.stop()


@pytest.fixture(scope="session")
def mongo_client(mongo_uri):
    client: MongoClient = MongoClient(mongo_uri, tz_aware=True)
    yield client
    client.close()


@pytest.fixture
def mongo_db(mongo_client, request):
    test_name = re.sub(r"[^A-Za-z0-9]+", "_", request.node.name)[:30]
    name = f"t_{test_name}_{uuid.uuid4().hex[:8]}"
    yield mongo_client[name]
    mongo_client.drop_database(name)


@pytest.fixture
def make_event_store(mongo_db):
    """More stores on the test's database: another service instance's view of it."""

    def make(registry=None) -> EventStore:
        store = EventStore(mongo_db, registry)
        store.ensure_indexes()
        return store

    return make


@pytest.fixture
def event_store(make_event_store):
    return make_event_store()


class _AfterCommand(monitoring.CommandListener):
    """Runs `then` once, right after the first `command` on `collection` is answered."""

    def __init__(self, command: str, collection: str, then: Callable[[], None]) -> None:
        self.command, self.collection, self.then = command, collection, then
        self.watched: int | None = None
        self.done = False

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if (not self.done and self.watched is None and event.command_name == self.command
                and event.command.get(self.command) == self.collection):
            self.watched = event.request_id

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        if event.request_id == self.watched:
            self.done = True
            self.then()

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
def another_writer_after(mongo_uri):
    """A client on which another writer gets in between a read and the next write:
    `another_writer_after("find", "inbox_streams", write)` runs `write` right after that
    collection's first `find` is answered, before the reader goes on."""
    clients: list[MongoClient] = []

    def client(command: str, collection: str, then: Callable[[], None]) -> MongoClient:
        clients.append(MongoClient(mongo_uri, tz_aware=True,
                                   event_listeners=[_AfterCommand(command, collection, then)]))
        return clients[-1]

    yield client
    for opened in clients:
        opened.close()
