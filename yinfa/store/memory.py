"""An event store in memory: the reference behaviour of `EventStore`, for unit tests.

It keeps the same commit documents in a list in position order, behind one lock, so
positions are gapless and in commit order by construction. It answers what the pymongo
store answers (the contract suite runs against both): events are checked against their
schema on append and upcast on read, a stale expected version is a `ConcurrencyError`,
and appending the same events again is answered with their first recording.

One difference, on the strict side: any event id stored before makes an append that is
not an exact retry `DuplicateEventIds`, where the pymongo store's index only sees a
command's first event id.
"""
from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Sequence
from typing import Any

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
)


class _Commits:
    """The stored commits, shared by every store on them (as instances share a database)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_order: list[dict[str, Any]] = []  # position order = commit order
        self.of_stream: dict[str, list[dict[str, Any]]] = {}
        self.by_first_event_id: dict[str, dict[str, Any]] = {}
        self.event_ids: set[str] = set()


class InMemoryEventStore(CommitStore):
    """Called like `EventStore(db, registry, service=...)`; `db` is only where the relay
    and views beside the store would keep their state (None: nowhere)."""

    def __init__(self, db: Any = None, registry: SchemaRegistry | None = None,
                 service: str | None = None, _commits: _Commits | None = None) -> None:
        super().__init__(registry, service or "memory")
        self.db = db
        self._commits = _commits or _Commits()

    def with_registry(self, registry: SchemaRegistry | None) -> InMemoryEventStore:
        """The same commits read and written through another registry: another instance
        of the service, running another version of its code."""
        return InMemoryEventStore(self.db, registry, self.service, self._commits)

    def ensure_indexes(self) -> None:
        """Nothing to create: the lock does what the pymongo store's indexes do."""

    # ---- writing -------------------------------------------------------------

    def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: int | None = ANY_VERSION,
        metadata: Metadata | None = None,
    ) -> list[RecordedEvent]:
        if not events:
            return []
        stored = [self._stored_form(event) for event in events]  # all checked before any
        with self._commits.lock:
            commit = self._add(stream_id, stored, expected_version, metadata or Metadata())
        return self._events_of([commit])

    def append_new_streams(self, streams: Sequence[NewStream]
                           ) -> list[list[RecordedEvent] | None]:
        """Each stream appended with NO_STREAM, in order; None where that is a conflict."""
        prepared = [(stream_id, [self._stored_form(event) for event in events], metadata)
                    for stream_id, events, metadata in streams]
        answers: list[list[RecordedEvent] | None] = []
        with self._commits.lock:
            for stream_id, stored, metadata in prepared:
                if not stored:
                    answers.append([])
                    continue
                try:
                    commit = self._add(stream_id, stored, NO_STREAM, metadata or Metadata())
                except ConcurrencyError:
                    answers.append(None)
                    continue
                answers.append(self._events_of([commit]))
        return answers

    def _add(self, stream_id: str, stored: list[dict[str, Any]],
             expected_version: int | None, metadata: Metadata) -> dict[str, Any]:
        """Store one commit, or answer the earlier one these events are a retry of.
        The caller holds the lock."""
        commits = self._commits
        event_ids = [event["event_id"] for event in stored]
        earlier = commits.by_first_event_id.get(event_ids[0])
        if earlier is not None and earlier["stream_id"] == stream_id:
            if earlier["event_ids"] != event_ids:
                raise DuplicateEventIds("these event ids were appended before with other events")
            return earlier
        head = self._version_of(stream_id)
        if expected_version is not None and expected_version != head:
            raise self._conflict(stream_id, expected_version, head)
        if commits.event_ids.intersection(event_ids):
            raise DuplicateEventIds("some of these events were appended before",
                                    stream_id=stream_id)
        position = commits.in_order[-1]["last_position"] + 1 if commits.in_order else 1
        commit = self._commit_document(stream_id, head, copy.deepcopy(stored), metadata,
                                       position)
        commits.in_order.append(commit)
        commits.of_stream.setdefault(stream_id, []).append(commit)
        commits.by_first_event_id[event_ids[0]] = commit
        commits.event_ids.update(event_ids)
        metrics.events_appended(self.service, len(stored))
        return commit

    # ---- reading -------------------------------------------------------------

    def stream_version(self, stream_id: str) -> int:
        with self._commits.lock:
            return self._version_of(stream_id)

    def _version_of(self, stream_id: str) -> int:
        stream = self._commits.of_stream.get(stream_id)
        return int(stream[-1]["last_version"]) if stream else 0

    def read_stream(self, stream_id: str, after_version: int = 0) -> list[RecordedEvent]:
        with self._commits.lock:
            commits = list(self._commits.of_stream.get(stream_id, ()))
        return [e for e in self._events_of(commits) if e.version > after_version]

    def read_streams(self, stream_ids: Iterable[str]) -> dict[str, list[RecordedEvent]]:
        return {stream_id: self.read_stream(stream_id) for stream_id in dict.fromkeys(stream_ids)}

    def existing_streams(self, stream_ids: Iterable[str]) -> set[str]:
        with self._commits.lock:
            return {s for s in stream_ids if s in self._commits.of_stream}

    def read_all(self, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        """Up to `limit` events after `after_position`, in whole commits (as `EventStore`)."""
        chosen: list[dict[str, Any]] = []
        count = 0
        with self._commits.lock:
            for commit in self._commits.in_order:
                if commit["last_position"] <= after_position:
                    continue
                chosen.append(commit)
                count += commit["last_position"] - max(commit["position"] - 1, after_position)
                if count >= limit:
                    break
        return [e for e in self._events_of(chosen) if e.position > after_position]

    def head_position(self) -> int:
        with self._commits.lock:
            in_order = self._commits.in_order
            return int(in_order[-1]["last_position"]) if in_order else 0

    def _events_of(self, commits: list[dict[str, Any]]) -> list[RecordedEvent]:
        """A copy each time, as a database answers: no reader can change what is stored."""
        return [event for commit in commits for event in self._expand(copy.deepcopy(commit))]
