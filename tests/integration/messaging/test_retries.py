"""An event whose apply fails is tried again after a wait (a delay queue back to its
queue) before it is dead-lettered, and its stream waits for it; a broken message
contract still goes straight to the dead-letter queue. Real broker, store and nameko
consumer; the source's events are published by a real relay."""
from __future__ import annotations

from typing import Any

import pytest

from yinfa.config import settings
from yinfa.events.envelope import RecordedEvent
from yinfa.messaging.inbox import Inbox
from yinfa.service.dependencies import InboxProvider
from yinfa.service.subscriptions import every_event_of

pytestmark = pytest.mark.integration

SOURCE, CONSUMER = "retrysource", "retrycounter"


class CounterService:
    """Counts every event of `retrysource`; `failures` says how often an n fails first."""

    name = CONSUMER
    inbox: Inbox = InboxProvider()

    @every_event_of(SOURCE)
    def on_event(self, payloads: list[dict[str, Any]]) -> list[str]:
        return self.inbox.handle(payloads, self._apply)

    def _apply(self, event: RecordedEvent) -> None:
        db, n = self.inbox.db, event.data["n"]
        left = db["failures"].find_one_and_update({"_id": n, "left": {"$gt": 0}},
                                                  {"$inc": {"left": -1}})
        if left is not None:
            raise ValueError(f"n={n} fails this time")
        db["counted"].insert_one({"_id": event.event_id, "n": n,
                                  "after": db["counted"].count_documents({})})


@pytest.fixture
def counter(runner_factory, service_config, mongo_db, monkeypatch):
    monkeypatch.setenv("YINFA_INBOX_RETRY_SECONDS", "0.2")
    settings.cache_clear()
    runner_factory(service_config, CounterService).start()
    return mongo_db


@pytest.fixture
def emit(thing_source):
    return thing_source(SOURCE, streams=1)  # one stream: its order is what is checked


def dead_lettered(rabbit_manager, vhost) -> int:
    queues = {q["name"]: q for q in rabbit_manager.get_queues(vhost)}
    return queues.get(f"dlq.{CONSUMER}", {}).get("messages", 0)


def test_a_handler_that_fails_twice_then_succeeds_applies_once_and_in_order(
    counter, emit, eventually, rabbit_manager, rabbit_config
):
    counter["failures"].insert_one({"_id": 1, "left": 2})

    emit(0, 1, 2)

    assert eventually(lambda: counter["counted"].count_documents({}) == 3, timeout=30)
    counted = sorted(counter["counted"].find(), key=lambda d: d["after"])
    assert [d["n"] for d in counted] == [0, 1, 2]  # 2 waited for 1: the stream's order
    assert counter["failures"].find_one({"_id": 1})["left"] == 0  # it did fail twice
    assert dead_lettered(rabbit_manager, rabbit_config["vhost"]) == 0
    assert counter["inbox_attempts"].count_documents({}) == 1  # its failures, on record


def test_an_event_that_always_fails_is_dead_lettered_after_its_tries_and_the_stream_moves_on(
    counter, emit, eventually, rabbit_manager, rabbit_config
):
    counter["failures"].insert_one({"_id": 1, "left": 100})

    emit(0, 1, 2)

    assert eventually(lambda: dead_lettered(rabbit_manager, rabbit_config["vhost"]) == 1,
                      timeout=30)
    assert eventually(lambda: counter["counted"].count_documents({}) == 2)
    assert sorted(d["n"] for d in counter["counted"].find()) == [0, 2]
    assert counter["failures"].find_one({"_id": 1})["left"] == 100 - 4  # once and 3 more
