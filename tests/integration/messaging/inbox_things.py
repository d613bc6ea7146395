"""The consumer the inbox tests run: it writes each event it applies into `things`,
refuses poison, and fails like a store outage when a test arms one."""
from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from pymongo.errors import AutoReconnect

from yinfa.events.envelope import RecordedEvent
from yinfa.messaging.inbox import Inbox
from yinfa.service.dependencies import InboxProvider
from yinfa.service.subscriptions import every_event_of

CONSUMER = "things"
THING, NOISE = "Thing", "Noise"
WAIT = 15.0

SEQUENCE = itertools.count()  # the order in which applies happened, in this process
FAULTS = {"reconnects_left": 0, "refuse_poison": True}  # armed by a test, reset after
BATCH_SIZES: list[int] = []  # what each worker of the service was handed


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


class ThingsService:
    name = CONSUMER
    inbox = InboxProvider()

    @every_event_of("source")
    def on_things(self, payloads: list[Any]) -> list[str]:
        BATCH_SIZES.append(len(payloads))
        return self.inbox.handle(payloads, apply_into(self.inbox.db), wanted)


def reset() -> None:
    FAULTS.update(reconnects_left=0, refuse_poison=True)
    BATCH_SIZES.clear()


def inbox_of(container) -> Inbox:
    [provider] = [d for d in container.dependencies if isinstance(d, InboxProvider)]
    return provider.inbox


def applied(db, **query) -> list[dict]:
    return list(db["things"].find(query).sort("seq", 1))


def versions_applied(db, stream_id: str) -> list[int]:
    return [d["version"] for d in applied(db, stream_id=stream_id)]


def ids_applied(db) -> list[str]:
    return [d["event_id"] for d in applied(db)]


