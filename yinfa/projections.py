"""Read models kept by folding each stream's events, so a view always equals a rebuild.

A `StreamView` owns one collection with a document per stream. When events of a stream
arrive, the whole stream is folded again from the store and the document replaced, but
only if it moves the stored version forward: applying twice, or out of order, is harmless.
The `Projector` follows the service's own store from a checkpoint ("all after P"), a
batch of streams at a time: one read of the streams, one read of the stored versions,
bulk writes (`write_all_if_newer`).
"""
from __future__ import annotations

import itertools
import threading
from collections.abc import Collection as Collection_, Iterable, Mapping, Sequence
from typing import Any

from pymongo import ReplaceOne
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from yinfa.errors import ConcurrencyError
from yinfa.events.envelope import RecordedEvent
from yinfa.store.event_store import EventStore
from yinfa.store.new_documents import insert_new


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

    @property
    def reads_its_own_streams(self) -> bool:
        """A view that overrides `refresh` folds more than its stream (e.g. two streams
        into one document): it is refreshed stream by stream, its own way."""
        return type(self).refresh is not StreamView.refresh

    def refresh_many(self, db: Database, store: EventStore,
                     streams: Mapping[str, Sequence[RecordedEvent]],
                     started: Collection_[str] = frozenset()) -> None:
        """Refresh the documents of these streams, given each stream's whole history;
        `started`: those of them that probably have no document yet."""
        handled = [stream_id for stream_id in streams if self.handles(stream_id)]
        if self.reads_its_own_streams:
            for stream_id in handled:
                self.refresh(db, store, stream_id)
            return
        documents = {}
        for stream_id in handled:
            events = streams[stream_id]
            doc = self.document(events) if events else None
            if doc is not None:
                documents[stream_id] = (doc, events[-1].version)
        write_all_if_newer(db[self.collection], documents, started)


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


def write_all_if_newer(views: Collection, documents: Mapping[str, tuple[dict[str, Any], int]],
                       started: Collection_[str] = frozenset()) -> None:
    """`write_if_newer` for many documents ({view id: (document, version)}): one read of
    the stored versions (none for the `started` streams), one insert of the documents not
    stored yet, one bulk of replaces conditional on the version read. Where a concurrent
    writer got in between (an insert refused, a replace that matched nothing),
    `write_if_newer` settles that document, so an older version never overwrites a newer
    one."""
    if not documents:
        return
    # a stream just started is inserted without asking: should its document be there
    # already, the insert is refused and `write_if_newer` settles it as any contest
    asked = [view_id for view_id in documents if view_id not in started]
    stored = {doc["_id"]: doc["version"] for doc in views.find(
        {"_id": {"$in": asked}}, {"version": 1})} if asked else {}
    inserts, replaced, replaces = [], [], []
    for view_id, (doc, version) in documents.items():
        current = stored.get(view_id)
        full = {**doc, "_id": view_id, "version": version}
        if current is None:
            inserts.append(full)
        elif current < version:
            replaced.append(view_id)
            replaces.append(ReplaceOne({"_id": view_id, "version": current}, full))
    contested = [doc["_id"] for doc in insert_new(views, inserts)]
    if replaces and views.bulk_write(replaces, ordered=False).matched_count < len(replaces):
        contested += replaced  # which ones missed is not told: each is checked again
    for view_id in contested:
        doc, version = documents[view_id]
        write_if_newer(views, view_id, doc, version)


WRITTEN_KEPT = 50_000  # streams remembered as written here, at most


class Projector:
    def __init__(
        self, store: EventStore, views: Sequence[StreamView], db: Database | None = None
    ) -> None:
        self.store = store
        self.views = list(views)
        self.db = db if db is not None else store.db
        self._lock = threading.Lock()
        # The version up to which this process has written each stream's documents: the
        # catch-up, which follows every instance's writes, passes over this one's own.
        self._written: dict[str, int] = {}

    @property
    def _checkpoints(self):
        return self.db["projection_checkpoints"]

    def checkpoint(self) -> int:
        if not self.views:  # no view lags behind
            return self.store.head_position()
        doc = self._checkpoints.find_one({"_id": "views"})
        return 0 if doc is None else int(doc["position"])

    def refresh_stream(self, stream_id: str) -> None:
        for view in self.views:
            if view.handles(stream_id):
                view.refresh(self.db, self.store, stream_id)

    def refresh_streams(self, stream_ids: Iterable[str],
                        known: Mapping[str, Sequence[RecordedEvent]] | None = None,
                        started: Collection_[str] = frozenset()) -> None:
        """Refresh the views of many streams at once. `known` holds streams whose whole
        history the caller already has (e.g. streams it just started: `started`, whose
        documents are written without first asking for their versions); the others are
        read with one query."""
        known = known or {}
        wanted = [s for s in dict.fromkeys(stream_ids) if any(v.handles(s) for v in self.views)]
        to_read = [s for s in wanted if s not in known and any(
            v.handles(s) and not v.reads_its_own_streams for v in self.views)]
        streams = {s: list(known.get(s, ())) for s in wanted}
        streams.update(self.store.read_streams(to_read))
        for view in self.views:
            view.refresh_many(self.db, self.store, streams, started)
        if len(self._written) > WRITTEN_KEPT:
            self._written.clear()  # only a shortcut: the catch-up writes them again
        for stream_id, events in streams.items():
            if events and self._written.get(stream_id, 0) < events[-1].version:
                self._written[stream_id] = events[-1].version

    def catch_up(self, batch: int = 1000, max_batches: int | None = None) -> int:
        """Bring every view up to the store's head (or `max_batches` batches nearer, so a
        caller that has other work, like the relay, gets its turn while commands keep
        coming); return how many events were read."""
        with self._lock:
            return self._catch_up(batch, max_batches)

    def _catch_up(self, batch: int = 1000, max_batches: int | None = None) -> int:
        if not self.views:
            return 0  # nothing to keep: the log is read by position only
        seen = 0
        position = self.checkpoint()
        for _ in itertools.count() if max_batches is None else range(max_batches):
            events = self.store.read_all(position, batch)
            if not events:
                return seen
            last = {event.stream_id: event.version for event in events}
            behind = [s for s, version in last.items() if self._written.get(s, 0) < version]
            begun = _started_within(events)
            self.refresh_streams(behind, known=begun, started=begun)
            for stream_id, version in last.items():
                if self._written.get(stream_id) == version:
                    del self._written[stream_id]  # passed: nothing newer written here
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
            self._written.clear()
            # under the same hold: a background catch-up waiting for the lock would
            # otherwise fold everything first and leave this one nothing to count
            return self._catch_up()


def _started_within(events: Sequence[RecordedEvent]) -> dict[str, list[RecordedEvent]]:
    """The streams whose first event is in this run of the log: their events here are
    their whole history up to here (a stream's commits are never skipped), so they
    need not be read again."""
    streams: dict[str, list[RecordedEvent]] = {}
    for event in events:
        streams.setdefault(event.stream_id, []).append(event)
    return {stream_id: run for stream_id, run in streams.items() if run[0].version == 1}
