"""What a consumer takes from a source service's queue, checked before the inbox orders,
parks or applies anything: a message of bounded size, of an event type and schema version
the source's catalog knows, whose payload holds no key a document store would read as an
operator or a path (`$…`, `a.b`).

A message that fails is dead-lettered with the reason and its stream's cursor does not
move: the consumer cannot know where such a message belongs. An event of a version or
type newer than this consumer's code (the source was upgraded first) waits there, and
the stream's later events wait parked behind it, until the consumer is upgraded and the
message is sent back (`yinfa dlq retry`): order is kept and nothing is applied half-read.

Payloads are not validated against their schemas here: at ~0.4 ms an event that would
cost more than the rest of the consumer's path. Each consumer loads what it uses through
its own command schemas.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from yinfa.catalog import SERVICES, imported
from yinfa.events.registry import SchemaRegistry

# Above the largest event the command schemas can produce (a certification application
# with 200 evidence rows of 2,000 characters and 20 links each is about 3.2 MB).
MAX_MESSAGE_BYTES = 4 * 1024 * 1024


def source_registry(source_service: str) -> SchemaRegistry | None:
    """The schema registry of `source_service`'s events (its catalog in the services file,
    imported when a consumer of it starts); None if it has none there."""
    source = SERVICES.get(source_service)
    if source is None or source.events is None:
        return None
    return imported(source.events).registry


class MessageContract:
    def __init__(self, source_service: str, registry: SchemaRegistry | None,
                 max_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self.source_service, self.registry, self.max_bytes = source_service, registry, max_bytes

    @classmethod
    def of(cls, source_service: str) -> MessageContract:
        return cls(source_service, source_registry(source_service))

    def problem(self, body: Any, size: int) -> str | None:
        """Why the message cannot be taken, or None. A body that is no envelope at all is
        left to the inbox, which dead-letters it as an invalid envelope."""
        if size > self.max_bytes:
            return f"message too large: {size} bytes, at most {self.max_bytes}"
        if not isinstance(body, Mapping):
            return None
        event_type, version = body.get("type"), body.get("schema_version")
        if self.registry is not None and isinstance(event_type, str):
            if not self.registry.knows(event_type):
                return f"unknown event type {event_type!r} from {self.source_service}"
            current = self.registry.current_version(event_type)
            if isinstance(version, int) and version > current:
                return (f"schema version {version} is newer than this consumer knows for "
                        f"{event_type} ({current}): upgrade it, then send the message back")
        key = forbidden_key(body.get("data"))
        if key is not None:
            return f"{event_type} payload holds the key {key!r}, read as an operator or path"
        return None


def forbidden_key(value: Any) -> str | None:
    """The first key, at any depth, that starts with `$` or holds a `.`; None if none."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if not isinstance(key, str) or key.startswith("$") or "." in key:
                return str(key)
            found = forbidden_key(inner)
            if found is not None:
                return found
    elif isinstance(value, list):
        for inner in value:
            found = forbidden_key(inner)
            if found is not None:
                return found
    return None
