"""Scoring's journal: the accepted source events, kept in scoring's own database.

The replicas of scoring share one queue per source, so each sees only some of the events;
they meet in the journal. It is a kernel event store in its own collection, so a reader
can tail it ("everything after position P") and never skip an event another replica is
committing at the same moment. The journal keeps each source event as it came (upcast),
not what scoring made of it: a change of the fold is a re-fold, never a migration.

Appends are idempotent: a source event's id is its journal commit's first event id, so a
redelivery is recognised (the fold would shrug off a duplicate anyway, see state.py).
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from pymongo.database import Database

from services.scoring.domain.state import SourceEvent
from yinfa.events.envelope import NewEvent, RecordedEvent
from yinfa.store.event_store import EventStore

COLLECTION = "journal"
KEPT = "SourceEventKept"


def _entry(event: SourceEvent) -> NewEvent:
    return NewEvent(
        type=KEPT,
        data={"type": event.type, "stream_id": event.stream_id, "version": event.version,
              "data": dict(event.data)},
        event_id=event.event_id,
        # the instant the source recorded it: what "as of" compares
        occurred_at=event.recorded_at or datetime.now().astimezone(),
    )


def source_event(entry: RecordedEvent) -> SourceEvent:
    d = entry.data
    return SourceEvent(entry.event_id, d["type"], d["stream_id"], int(d["version"]), d["data"],
                       entry.occurred_at)


class Journal:
    def __init__(self, db: Database, service: str = "scoring") -> None:
        self.store = EventStore(db, service=service, collection=COLLECTION)

    def ensure_indexes(self) -> None:
        self.store.ensure_indexes()

    def keep(self, event: SourceEvent) -> None:
        """One live event, in its own commit (so its id makes the append idempotent)."""
        self.store.append(f"kept-{event.stream_id}", [_entry(event)])

    def keep_batch(self, stream_id: str, events: Sequence[SourceEvent]) -> None:
        """Many events in one commit (a backfill page): one write instead of hundreds."""
        if events:
            self.store.append(stream_id, [_entry(e) for e in events])

    def read_after(self, position: int, limit: int = 5000) -> list[RecordedEvent]:
        return self.store.read_all(position, limit)

    def iter_after(self, position: int = 0, page: int = 5000) -> Iterator[RecordedEvent]:
        return self.store.iter_all(position, page)

    def head(self) -> int:
        return self.store.head_position()
