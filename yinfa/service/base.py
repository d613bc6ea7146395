"""RPC methods every event-sourced service offers: health, its event log, view rebuild."""
from __future__ import annotations

from typing import Any

from yinfa.service.dependencies import EventSourcedStreams
from yinfa.service.rpc import rpc


class EventSourcedService:
    """Subclasses set `name` and `streams = EventSourcing(...)`."""

    streams: EventSourcedStreams

    @rpc
    def health(self) -> dict[str, Any]:
        """Answered once the service can reach its store; with its relay's lag."""
        health = {"service": self.name, **self.streams.relay_lag(),  # type: ignore[attr-defined]
                  "views": self.streams.views_position()}
        inbox = getattr(self, "inbox", None)
        if inbox is not None:
            health["inbox"] = dict(inbox.counts)
        return health

    @rpc
    def events_after(self, position: int = 0, limit: int = 500) -> list[dict[str, Any]]:
        """The service's event log after a global position: for feeds and rebuilds."""
        limit = max(1, min(int(limit), 5000))
        return [e.to_message() for e in self.streams.store.read_all(int(position), limit)]

    @rpc
    def stream_events(self, stream_id: str, after_version: int = 0, limit: int = 500
                      ) -> list[dict[str, Any]]:
        """One stream's events after a version: a consumer whose copy of a message was
        lost fetches it here (`Inbox.heal`)."""
        events = self.streams.store.read_stream(str(stream_id), int(after_version))
        return [e.to_message() for e in events[:max(1, min(int(limit), 5000))]]

    @rpc
    def rebuild_views(self) -> int:
        return self.streams.rebuild_views()
