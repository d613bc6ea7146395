"""Writes of the feeds service: source events into the public log.

The inbox hands each batch's wanted events to `PublicLogWrites.add` in per-stream
order, once each, and calls `flush` before any stream's cursor moves past them: the
batch's public events are then started as streams of their own in one ordered insert
(`start_streams`), taking consecutive gapless positions. A batch written before a crash
and delivered again starts nothing twice (each stream exists already).
"""
from __future__ import annotations

from contracts.feeds.public import PUBLIC_TYPES
from services.feeds.domain.entries import entry_stream, public_event
from yinfa.events.envelope import NewEvent, RecordedEvent
from yinfa.service.dependencies import EventSourcedStreams

wanted = PUBLIC_TYPES.__contains__


class PublicLogWrites:
    def __init__(self, streams: EventSourcedStreams) -> None:
        self.streams = streams
        self.pending: list[tuple[str, list[NewEvent]]] = []

    def add(self, event: RecordedEvent) -> None:
        self.pending.append((entry_stream(event.stream_id, event.version),
                             [public_event(event)]))

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        if pending:
            self.streams.start_streams(pending)
