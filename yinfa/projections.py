"""Read models kept by folding each stream's events, so a view always equals a rebuild.

A `StreamView` owns one collection with a document per stream. When events of a stream
arrive, the whole stream is folded again from the store and the document replaced, but
only if it moves the stored version forward: applying twice, or out of order, is harmless.
The `Projector` follows the service's own store from a checkpoint ("all after P").
"""
from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from typing import Any

from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from yinfa.errors import ConcurrencyError
from yinfa.events.envelope import RecordedEvent
from yinfa.store.event_store import EventStore


class StreamView:
    """Subclasses set `collection`, `stream_prefix` and implement `document(events)`."""

    collection: str = ""
    stream_prefix: str = ""

    def handles(self, stream_id: str) -> bool:
        return stream_id.startswith(self.stream_prefix)

    def document(self, events: Sequence[RecordedEvent]) -> dict[str, Any] | None:
        raise NotImplementedError

    def refresh(self, db: Database, store: EventStore, stream_id: str) -> None:
        events = store.read_stream(stream_id)
        doc = self.document(events) if events else None
        if doc is not None:
            write_if_newer(db[self.collection], stream_id, doc, events[-1].version)


WRITE_ATTEMPTS = 20


def write_if_newer(views: Collection, view_id: str, doc: dict[str, Any], version: int) -> bool:
    """Store the document unless one of the same or a later version is there.

    Two instances may refresh one document at once, each from its own read of the stream.
    The replace is conditional on the version read and a lost race is tried again, so the
    later version always lands and an earlier one never overwrites it.
    """
    doc = {**doc, "_id": view_id, "version": version}
    for _ in range(WRITE_ATTEMPTS):
        current = views.find_one({"_id": view_id}, {"version": 1})
        if current is not None and current["version"] >= version:
            return False
        try:
            if current is None:
                views.insert_one(doc)
                return True
            if views.replace_one({"_id": view_id, "version": current["version"]},
                                 doc).matched_count:
                return True
        except DuplicateKeyError:
            continue
    raise ConcurrencyError(f"could not store view {view_id} at version {version}")


class Projector:
    def __init__(
        self, store: EventStore, views: Sequence[StreamView], db: Database | None = None
    ) -> None:
        self.store = store
        self.views = list(views)
        self.db = db if db is not None else store.db
        self._lock = threading.Lock()

    @property
    def _checkpoints(self):
        return self.db["projection_checkpoints"]

    def checkpoint(self) -> int:
        doc = self._checkpoints.find_one({"_id": "views"})
        return 0 if doc is None else int(doc["position"])

    def refresh_stream(self, stream_id: str) -> None:
        for view in self.views:
            if view.handles(stream_id):
                view.refresh(self.db, self.store, stream_id)

    def catch_up(self, batch: int = 1000, max_batches: int | None = None) -> int:
        """Bring every view up to the store's head (or `max_batches` batches nearer, so a
        caller that has other work, like the relay, gets its turn while commands keep
        coming); return how many events were read."""
        with self._lock:
            seen = 0
            position = self.checkpoint()
            for _ in itertools.count() if max_batches is None else range(max_batches):
                events = self.store.read_all(position, batch)
                if not events:
                    return seen
                for stream_id in dict.fromkeys(e.stream_id for e in events):
                    self.refresh_stream(stream_id)
                position = events[-1].position
                self._checkpoints.update_one(
                    {"_id": "views"}, {"$set": {"position": position}}, upsert=True
                )
                seen += len(events)
            return seen

    def rebuild(self) -> int:
        """Drop every view and fold all streams again from the first event."""
        with self._lock:
            for view in self.views:
                self.db[view.collection].drop()
            self._checkpoints.delete_one({"_id": "views"})
        return self.catch_up()
