"""An event store on pymongo.

One command's events are one *commit* document (MongoDB writes one document atomically):

    {_id: "<stream_id>@<version>", position: first global position, last_position,
     stream_id, version (first stream version), last_version, event_ids: [...],
     events: [...], recorded_at, correlation_id, causation_id, actor}

Unique indexes on (stream_id, version), position and first_event_id give optimistic
concurrency, gapless positions in commit order and retry safety; the `_id` makes "which
of these streams exist?" one indexed `_id $in` query. `append_new_streams` starts many
streams in one ordered insert. Why, index by index: benchmarks/README.md, "Events and
the store".
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

import pymongo
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError

from yinfa.errors import ConcurrencyError
from yinfa.events.envelope import Metadata, NewEvent, RecordedEvent
from yinfa.events.registry import SchemaRegistry
from yinfa.ops import metrics
from yinfa.store.commits import (
    ANY_VERSION,
    NO_STREAM,
    CommitStore,
    DuplicateEventIds,
    NewStream,
    commit_id,
)
from yinfa.store.new_documents import CHUNK

_MAX_POSITION_RETRIES = 1000
_HEAD_CACHE_SIZE = 10_000
_FEW_STREAMS = 8  # read one query each rather than one `$in` (see `_commits_of`)


class EventStore(CommitStore):
    def __init__(
        self,
        db: Database,
        registry: SchemaRegistry | None = None,
        service: str | None = None,
        collection: str = "commits",
    ) -> None:
        super().__init__(registry, service or db.name)
        self.db = db
        self.commits: Collection = db[collection]
        self._lock = threading.Lock()
        # this process's writers take positions in turn: racing each other for the same
        # next position cost the losers two reads and a retry each (a herd under load)
        self._append_lock = threading.Lock()
        self._next_position: int | None = None
        self._heads: OrderedDict[str, int] = OrderedDict()

    def ensure_indexes(self) -> None:
        self.commits.create_index(
            [("stream_id", pymongo.ASCENDING), ("version", pymongo.ASCENDING)],
            unique=True,
            name="stream_version_unique",
        )
        self.commits.create_index("position", unique=True, name="position_unique")
        self.commits.create_index("first_event_id", unique=True, name="first_event_id_unique")
        self.commits.create_index("last_position", name="last_position")
        # nx-27017 plans {"stream_id": …} as a full scan unless a single-field index exists
        self.commits.create_index("stream_id", name="stream_id")

    # ---- writing -------------------------------------------------------------

    def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: int | None = ANY_VERSION,
        metadata: Metadata | None = None,
    ) -> list[RecordedEvent]:
        """Append a command's events atomically; they get versions expected+1, expected+2, …"""
        if not events:
            return []
        metadata = metadata or Metadata()
        stored_events = [self._stored_form(event) for event in events]
        try:
            head = self._checked_head(stream_id, expected_version)
        except ConcurrencyError:
            earlier = self._earlier_identical(stream_id, [e["event_id"] for e in stored_events])
            if earlier is None:
                raise
            return earlier
        with self._append_lock:
            for _ in range(_MAX_POSITION_RETRIES):
                commit = self._commit_document(stream_id, head, stored_events, metadata,
                                               self._position_to_try())
                try:
                    self.commits.insert_one(commit)
                except DuplicateKeyError as error:
                    outcome = self._after_duplicate(commit, expected_version, error)
                    if isinstance(outcome, list):
                        return outcome
                    head = outcome
                    continue
                self._remember(stream_id, commit["last_version"], commit["last_position"] + 1)
                metrics.events_appended(self.service, len(stored_events))
                return list(self._expand(commit))
        raise ConcurrencyError(f"could not find a free position for {stream_id}")

    def append_new_streams(self, streams: Sequence[NewStream]
                           ) -> list[list[RecordedEvent] | None]:
        """Start many streams (NO_STREAM each) with one ordered insert of their commits.

        Answers, in order, each stream's recorded events; None for a stream that already
        held other events (where `append` would raise ConcurrencyError). Commits take
        consecutive positions under the append lock, so positions stay gapless and in
        commit order. If the insert stops part-way (a stream that exists, a retry of
        this very batch, a position another process took), the inserted prefix stays
        and the rest go through `append`, which sorts those cases out one by one.
        """
        prepared = [
            (stream_id, [self._stored_form(event) for event in events], metadata or Metadata())
            for stream_id, events, metadata in streams
        ]
        wanted = [index for index, (_, stored, _) in enumerate(prepared) if stored]
        inserted = self._insert_in_order([prepared[index] for index in wanted])
        results: list[list[RecordedEvent] | None] = [[] for _ in prepared]
        for index, commit in zip(wanted, inserted, strict=False):
            results[index] = list(self._expand(commit))
        for index in wanted[len(inserted):]:
            stream_id, events, metadata = streams[index]
            try:
                results[index] = self.append(stream_id, events, NO_STREAM, metadata)
            except ConcurrencyError:
                results[index] = None
        return results

    def _insert_in_order(self, prepared: list[tuple[str, list[dict], Metadata]]
                         ) -> list[dict[str, Any]]:
        """Insert one commit per new stream; return the commits stored (a prefix)."""
        if not prepared:
            return []
        with self._append_lock:
            commits, position = [], self._position_to_try()
            for stream_id, stored, metadata in prepared:
                commit = self._commit_document(stream_id, NO_STREAM, stored, metadata, position)
                commits.append(commit)
                position = commit["last_position"] + 1
            inserted = commits
            for start in range(0, len(commits), CHUNK):  # see CHUNK: others' commands between
                try:
                    self.commits.insert_many(commits[start:start + CHUNK], ordered=True)
                except BulkWriteError as error:
                    inserted = commits[:start + _first_refused(error)]
                    break
            for commit in inserted:
                self._remember(commit["stream_id"], commit["last_version"],
                               commit["last_position"] + 1)
        if inserted:
            metrics.events_appended(self.service, sum(len(c["events"]) for c in inserted))
        return inserted

    def _checked_head(self, stream_id: str, expected_version: int | None) -> int:
        """The version to build on. A cached head is safe: it can only be stale-low,
        and then the unique (stream_id, version) index refuses the insert."""
        cached = self._heads.get(stream_id)
        if expected_version == NO_STREAM:
            return NO_STREAM  # any existing commit holds version 1: the index refuses ours
        if expected_version is None:
            return cached if cached is not None else self.stream_version(stream_id)
        if cached is not None and expected_version < cached:
            raise self._conflict(stream_id, expected_version, cached)
        if cached is None or expected_version > cached:
            actual = self.stream_version(stream_id)
            if actual != expected_version:
                raise self._conflict(stream_id, expected_version, actual)
        return expected_version

    def _position_to_try(self) -> int:
        with self._lock:
            if self._next_position is None:
                self._next_position = self.head_position() + 1
            return self._next_position

    def _after_duplicate(
        self, commit: dict[str, Any], expected_version: int | None, error: DuplicateKeyError
    ) -> list[RecordedEvent] | int:
        """Work out which unique index refused the commit: return the events stored by an
        earlier identical append, or the head to retry on; raise on a real conflict."""
        stream_id = commit["stream_id"]
        earlier = self._earlier_identical(stream_id, commit["event_ids"])
        if earlier is not None:
            return earlier
        refused = _refused_index(error)
        if refused == "position":  # another writer took it: move past the newest commit
            with self._lock:
                self._next_position = self.head_position() + 1
            return commit["version"] - 1
        if refused == "event_ids":
            raise DuplicateEventIds(
                "some of these events were appended before", stream_id=stream_id
            )
        actual = self.stream_version(stream_id)
        self._forget_head(stream_id)
        if expected_version is None:
            return actual
        raise self._conflict(stream_id, expected_version, actual)

    def _earlier_identical(
        self, stream_id: str, event_ids: list[str]
    ) -> list[RecordedEvent] | None:
        """The events of an earlier append of these very events (a retry), if any."""
        earlier = self.commits.find_one({"stream_id": stream_id, "first_event_id": event_ids[0]})
        if earlier is None:
            return None
        if earlier["event_ids"] != event_ids:
            raise DuplicateEventIds("these event ids were appended before with other events")
        return list(self._expand(earlier))

    def _remember(self, stream_id: str, version: int, next_position: int) -> None:
        with self._lock:
            self._heads[stream_id] = version
            self._heads.move_to_end(stream_id)
            if len(self._heads) > _HEAD_CACHE_SIZE:
                self._heads.popitem(last=False)
            if next_position and (self._next_position is None
                                  or next_position > self._next_position):
                self._next_position = next_position

    def _forget_head(self, stream_id: str) -> None:
        with self._lock:
            self._heads.pop(stream_id, None)

    # ---- reading -------------------------------------------------------------

    def stream_version(self, stream_id: str) -> int:
        last = self.commits.find_one(
            {"stream_id": stream_id}, sort=[("version", pymongo.DESCENDING)]
        )
        return 0 if last is None else int(last["last_version"])

    def read_stream(self, stream_id: str, after_version: int = 0) -> list[RecordedEvent]:
        later = {"last_version": {"$gt": after_version}} if after_version else {}
        cursor = self.commits.find({"stream_id": stream_id, **later}).sort(
            "version", pymongo.ASCENDING)
        events = [
            event
            for commit in cursor
            for event in self._expand(commit)
            if event.version > after_version
        ]
        if events:
            self._remember(stream_id, events[-1].version, events[-1].position + 1)
        else:  # at least there (stale-low, hence safe): the append need not ask again
            self._remember(stream_id, after_version, 0)
        return events

    def read_streams(self, stream_ids: Iterable[str]) -> dict[str, list[RecordedEvent]]:
        """Whole streams in one query: every id asked for, with its events (maybe none)."""
        ids = list(dict.fromkeys(stream_ids))
        streams: dict[str, list[RecordedEvent]] = {stream_id: [] for stream_id in ids}
        if not ids:
            return streams
        commits = sorted(self._commits_of(ids),
                         key=lambda commit: (commit["stream_id"], commit["version"]))
        for commit in commits:
            streams[commit["stream_id"]].extend(self._expand(commit))
        for stream_id, events in streams.items():
            if events:
                self._remember(stream_id, events[-1].version, events[-1].position + 1)
        return streams

    def existing_streams(self, stream_ids: Iterable[str]) -> set[str]:
        """Which of these streams hold events, in one query."""
        ids = list(dict.fromkeys(stream_ids))
        if not ids:
            return set()
        found = self.commits.find({"_id": {"$in": [commit_id(s, 1) for s in ids]}},
                                  {"stream_id": 1})
        return {commit["stream_id"] for commit in found}

    def _commits_of(self, ids: list[str], extra: dict[str, Any] | None = None,
                    projection: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The commits of these streams. A few streams are read one by one: nx-27017
        answers a `$in` on a field other than `_id` by scanning the whole collection,
        where an equality uses the stream_id index."""
        extra = extra or {}
        if len(ids) <= _FEW_STREAMS:
            return [commit for stream_id in ids
                    for commit in self.commits.find({"stream_id": stream_id, **extra},
                                                    projection)]
        return list(self.commits.find({"stream_id": {"$in": ids}, **extra}, projection))

    def read_all(self, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        """Up to `limit` events after global position `after_position`, in position order.

        Whole commits are returned, so a result may exceed `limit` by one commit's size.
        """
        cursor = (
            self.commits.find({"last_position": {"$gt": after_position}})
            # the same order as position; nx-27017 sorts by the filtered field's index
            .sort("last_position", pymongo.ASCENDING)
            .limit(max(1, limit))
        )
        events: list[RecordedEvent] = []
        for commit in cursor:
            events.extend(e for e in self._expand(commit) if e.position > after_position)
            if len(events) >= limit:
                break
        return events

    def head_position(self) -> int:
        last = self.commits.find_one({}, sort=[("position", pymongo.DESCENDING)])
        return 0 if last is None else int(last["last_position"])

def _refused_index(error: DuplicateKeyError) -> str:
    """Which unique index a duplicate-key error names, on MongoDB and on nx-27017.

    MongoDB names the index's fields in keyPattern; nx-27017 only names the index in
    its message ("UNIQUE constraint failed: index 'idx_commits_position'"). Never search
    the whole message: MongoDB's quotes the duplicate values, stream ids included.
    """
    details = error.details or {}
    fields = details.get("keyPattern")
    if not fields:
        named = re.search(r"index:? '?([\w.$-]+)", str(details.get("errmsg", error)))
        fields = named.group(1) if named else ""
    if "first_event_id" in fields:
        return "event_ids"
    if "position" in fields:
        return "position"
    return "stream_version"


def _first_refused(error: BulkWriteError) -> int:
    """How many documents an ordered insert stored before it stopped."""
    details = error.details or {}
    refused = [e.get("index", 0) for e in details.get("writeErrors") or []]
    return min(refused) if refused else int(details.get("nInserted", 0))
