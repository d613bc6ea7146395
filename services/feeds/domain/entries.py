"""Entries of the public log: a source event in its public form, and back out.

Each public event is a stream of its own in the feeds service's store, named by its
source stream and version (`volunteer-…@7`): appending it again (a redelivery, a retry
after a crash) finds the stream started and writes nothing, and the store's gapless global
position is the entry's place in the log.
"""
from __future__ import annotations

from typing import Any

from contracts.feeds.public import public_data, schema_version_of
from yinfa.events.envelope import NewEvent, RecordedEvent

SEPARATOR = "@"


def entry_stream(source_stream: str, source_version: int) -> str:
    return f"{source_stream}{SEPARATOR}{source_version}"


def public_event(event: RecordedEvent) -> NewEvent:
    """The source event in its public form, under the source event's own id."""
    return NewEvent(type=event.type, data=public_data(event.type, event.data),
                    schema_version=schema_version_of(event.type), event_id=event.event_id,
                    occurred_at=event.occurred_at)


def entry_of(logged: RecordedEvent) -> dict[str, Any]:
    """An entry of the log as partners read it."""
    stream, _, version = logged.stream_id.rpartition(SEPARATOR)
    return {"position": logged.position, "event_id": logged.event_id, "type": logged.type,
            "schema_version": logged.schema_version, "stream": stream,
            "stream_version": int(version), "occurred_at": logged.occurred_at.isoformat(),
            "data": dict(logged.data)}
