"""The event envelope: what every stored and published event carries.

Domain code produces `NewEvent`s (type, schema version, data); the store turns
them into `RecordedEvent`s by adding identity, stream version and position.
"""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_event_id() -> str:
    return str(uuid.uuid4())


def derived_event_id(namespace: str, source_event_id: str) -> str:
    """A deterministic id, so that reacting to the same event twice appends nothing new."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"yinfa:{namespace}:{source_event_id}"))


@dataclass(frozen=True)
class NewEvent:
    """An event decided by domain code, not yet stored."""

    type: str
    data: Mapping[str, Any]
    schema_version: int = 1
    event_id: str = field(default_factory=new_event_id)
    occurred_at: datetime = field(default_factory=utc_now)


@dataclass(frozen=True)
class Metadata:
    """Who caused a command and in which conversation: copied onto every event it yields."""

    actor: str = "system"
    correlation_id: str = field(default_factory=new_event_id)
    causation_id: str | None = None


@dataclass(frozen=True)
class RecordedEvent:
    """An event as stored: immutable, with identity, stream version and global position."""

    event_id: str
    type: str
    schema_version: int
    stream_id: str
    version: int
    position: int
    occurred_at: datetime
    recorded_at: datetime
    correlation_id: str
    causation_id: str | None
    actor: str
    data: Mapping[str, Any]

    @property
    def aggregate_id(self) -> str:
        """The id its stream is named by: `volunteer-<id>` → `<id>`."""
        return self.stream_id.split("-", 1)[1]

    def to_message(self) -> dict[str, Any]:
        """The JSON-ready wire form; built by hand because the relay calls it per event
        and a marshmallow dump costs ~100 µs (EnvelopeSchema checks it in the tests)."""
        return {
            "event_id": self.event_id,
            "type": self.type,
            "schema_version": self.schema_version,
            "stream_id": self.stream_id,
            "version": self.version,
            "position": self.position,
            "occurred_at": self.occurred_at.isoformat(),
            "recorded_at": self.recorded_at.isoformat(),
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id,
            "actor": self.actor,
            "data": dict(self.data),
        }

    @classmethod
    def from_message(cls, payload: Mapping[str, Any]) -> RecordedEvent:
        return cls(**_ENVELOPE.load(payload))  # one shared instance: building one is costly


class IsoDateTime(fields.Field):
    """An ISO 8601 instant, naive ones taken as UTC (as `AwareDateTime` with a default
    time zone), parsed by `datetime.fromisoformat`: every consumer parses two per event,
    and marshmallow's own parser costs about a third of an envelope's load."""

    default_error_messages = {"invalid": "Not a valid datetime."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str) or len(value) <= len("2026-03-01"):  # a date alone
            raise self.make_error("invalid")
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as error:
            raise self.make_error("invalid") from error
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else value.isoformat()


class EnvelopeSchema(Schema):
    """The wire form of an event (JSON over RabbitMQ, feeds)."""

    class Meta:
        # A field added to the envelope later must not make older consumers dead-letter.
        unknown = EXCLUDE

    event_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Length(min=1, max=100))
    schema_version = fields.Integer(required=True, validate=validate.Range(min=1))
    stream_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    position = fields.Integer(required=True, validate=validate.Range(min=1))
    occurred_at = IsoDateTime(required=True)
    recorded_at = IsoDateTime(required=True)
    correlation_id = fields.String(required=True)
    causation_id = fields.String(required=True, allow_none=True)
    actor = fields.String(required=True)
    data = fields.Dict(required=True)

    def load(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        loaded = super().load(*args, **kwargs)
        loaded["event_id"] = str(loaded["event_id"])
        return loaded


_ENVELOPE = EnvelopeSchema()  # marshmallow schemas are reusable; building one costs ~50 µs
