"""What every event store shares: the commit document and the rules around it.

A commit holds one command's events (its shape is described in yinfa.store.event_store).
Both stores build commits here, so an event is checked against its schema on the way in
and upcast on the way out in exactly one place, and both answer the same envelopes.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from yinfa.errors import ConcurrencyError, YinfaError
from yinfa.events.envelope import Metadata, NewEvent, RecordedEvent, utc_now
from yinfa.events.registry import SchemaRegistry

NO_STREAM = 0  # expected_version for a stream that must not exist yet
ANY_VERSION = None  # append whatever the stream's current version is

NewStream = tuple[str, Sequence[NewEvent], Metadata | None]  # stream id, events, metadata


class DuplicateEventIds(YinfaError):
    """Some, not all, of the appended event ids were stored before: a client bug."""

    code = "duplicate_event_ids"


class CommitStore:
    """The part of an event store that turns events into commits and commits into events."""

    def __init__(self, registry: SchemaRegistry | None, service: str) -> None:
        self.registry = registry
        self.service = service  # the `service` label of its metrics

    def read_all(self, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        raise NotImplementedError

    def iter_all(self, after_position: int = 0, page: int = 1000) -> Iterator[RecordedEvent]:
        while True:
            events = self.read_all(after_position, page)
            if not events:
                return
            yield from events
            after_position = events[-1].position

    def _stored_form(self, event: NewEvent) -> dict[str, Any]:
        data = dict(event.data)
        if self.registry is not None:
            data = self.registry.validate(event.type, event.schema_version, data)
        return {
            "event_id": event.event_id,
            "type": event.type,
            "schema_version": event.schema_version,
            "occurred_at": _as_stored(event.occurred_at),
            "data": data,
        }

    @staticmethod
    def _commit_document(
        stream_id: str, head: int, events: list[dict], metadata: Metadata, position: int
    ) -> dict[str, Any]:
        return {
            "_id": commit_id(stream_id, head + 1),
            "position": position,
            "last_position": position + len(events) - 1,
            "stream_id": stream_id,
            "version": head + 1,
            "last_version": head + len(events),
            "first_event_id": events[0]["event_id"],
            "event_ids": [event["event_id"] for event in events],
            "events": events,
            "recorded_at": _as_stored(utc_now()),
            "correlation_id": metadata.correlation_id,
            "causation_id": metadata.causation_id,
            "actor": metadata.actor,
        }

    def _expand(self, commit: dict[str, Any]) -> Iterable[RecordedEvent]:
        for offset, stored in enumerate(commit["events"]):
            version, data = stored["schema_version"], stored["data"]
            if self.registry is not None:
                version, data = self.registry.upcast(stored["type"], version, data)
            yield RecordedEvent(
                event_id=stored["event_id"],
                type=stored["type"],
                schema_version=version,
                stream_id=commit["stream_id"],
                version=commit["version"] + offset,
                position=commit["position"] + offset,
                occurred_at=_aware(stored["occurred_at"]),
                recorded_at=_aware(commit["recorded_at"]),
                correlation_id=commit["correlation_id"],
                causation_id=commit["causation_id"],
                actor=commit["actor"],
                data=data,
            )

    @staticmethod
    def _conflict(stream_id: str, expected: int, actual: int) -> ConcurrencyError:
        return ConcurrencyError(
            f"stream {stream_id} is at version {actual}, not {expected}",
            stream_id=stream_id,
            expected_version=expected,
            actual_version=actual,
        )


def commit_id(stream_id: str, version: int) -> str:
    """The `_id` of the commit that starts `stream_id` at `version`."""
    return f"{stream_id}@{version}"


def _aware(moment: Any) -> Any:
    """In UTC. pymongo returns naive UTC datetimes unless the client is tz_aware."""
    if not isinstance(moment, datetime):
        return moment
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _as_stored(moment: datetime) -> datetime:
    """What BSON keeps: UTC to the millisecond. Storing exactly that makes `append`
    answer what every later read (and an idempotent retry) answers."""
    moment = _aware(moment)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
