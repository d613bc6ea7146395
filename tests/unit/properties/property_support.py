"""What the domain property tests share: running a command the way a service does (boundary
schema, then decide) where only typed errors may escape, and sending the decided events
through the store's and the wire's forms and back."""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, settings, strategies as st

from yinfa.errors import YinfaError
from yinfa.events.envelope import EnvelopeSchema, NewEvent, RecordedEvent
from yinfa.events.payloads import PayloadCatalog
from yinfa.schemas import load_command

# Modest and deterministic: each property file stays within a few seconds, and CI never
# meets an example it has not met before (failures print their seed to reproduce).
PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,  # check-in codes are hashed on purpose slowly
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

STARTED = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def known(name: str) -> str:
    """Memorable, stable ids, as in the other unit tests."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"yinfa-test:{name}"))


def junk() -> st.SearchStrategy[Any]:
    """Values a careless or hostile caller might put anywhere in a payload."""
    return st.one_of(
        st.none(), st.booleans(), st.integers(-10**20, 10**20),
        st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
        st.sampled_from(["", " ", "NaN", "Infinity", "-1", "1e400", "0.05", "１２", "$gt",
                         "2023-02-30", "2026-13-01T00:00:00+08:00"]),
        st.just({"$gt": ""}), st.just({"a.b": 1}), st.lists(st.integers(), max_size=2),
    )


def maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a sensible value, sometimes (about one in eight) junk."""
    return st.integers(1, 16).flatmap(lambda n: junk() if n > 14 else value)


def with_noise(payload: st.SearchStrategy[dict]) -> st.SearchStrategy[dict]:
    """Now and then (about one in sixteen each) a field is dropped or an unknown one added."""

    def mutilate(drawn: tuple[dict, int, int]) -> dict:
        result, luck = dict(drawn[0]), drawn[1]
        if luck == 31 and result:
            result.pop(sorted(result)[drawn[2] % len(result)])
        if luck == 32:
            result["$where"] = "1 == 1"
        return result

    return st.tuples(payload, st.integers(1, 32), st.integers(0, 20)).map(mutilate)


Decide = Callable[..., list[NewEvent]]


@dataclass
class Outcome:
    """What one command did: its events, or the typed error that refused it."""

    events: list[NewEvent] = field(default_factory=list)
    refused: YinfaError | None = None


def describe(outcome: Outcome) -> str:
    """For hypothesis' statistics: how far the generated commands get."""
    if outcome.refused is not None:
        return type(outcome.refused).__name__
    return "recorded" if outcome.events else "nothing to record"


def attempt(schema: type | None, payload: Mapping[str, Any], decide: Callable[[dict], list]
            ) -> Outcome:
    """Load `payload` through the boundary schema (if any), then decide. A typed error is a
    refusal; anything else (KeyError, TypeError, InvalidOperation …) fails the test."""
    try:
        command = load_command(schema, payload) if schema is not None else dict(payload)
        return Outcome(events=list(decide(command)))
    except YinfaError as error:
        return Outcome(refused=error)


class Stream:
    """One aggregate's stream as the store would hold it: recorded events, each checked
    against the service's payload catalog and sent through the wire form and back."""

    def __init__(self, stream_id: str, catalog: PayloadCatalog) -> None:
        self.stream_id, self.catalog = stream_id, catalog
        self.recorded: list[RecordedEvent] = []

    def append(self, events: Sequence[NewEvent]) -> list[RecordedEvent]:
        added = []
        for event in events:
            stored = self.catalog.registry.validate(event.type, event.schema_version, event.data)
            assert _json_shaped(event.data), f"{event.type} data is not JSON-shaped"
            assert {k: stored[k] for k in event.data} == dict(event.data), (
                f"{event.type} data changes when loaded and dumped by its schema")
            recorded = RecordedEvent(
                event_id=event.event_id, type=event.type, schema_version=event.schema_version,
                stream_id=self.stream_id, version=len(self.recorded) + 1,
                position=len(self.recorded) + 1, occurred_at=event.occurred_at,
                recorded_at=STARTED, correlation_id=known("correlation"), causation_id=None,
                actor="county:320902", data=event.data)
            self.recorded.append(over_the_wire(recorded))
            added.append(self.recorded[-1])
        return added

    def replay(self, evolve_replay: Callable[[Iterable[Any]], Any]) -> Any:
        return evolve_replay(self.recorded)


def over_the_wire(event: RecordedEvent) -> RecordedEvent:
    """JSON out and back in, as the relay publishes and a consumer reads it; it must come
    back equal, and the hand-built message must be what EnvelopeSchema would dump."""
    message = event.to_message()
    assert EnvelopeSchema().dump(
        {**message, "occurred_at": event.occurred_at, "recorded_at": event.recorded_at}
    ) == message
    back = RecordedEvent.from_message(json.loads(json.dumps(message, ensure_ascii=False)))
    assert back == event
    return back


def _json_shaped(value: Any) -> bool:
    if isinstance(value, Mapping):
        return all(isinstance(k, str) and _json_shaped(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_json_shaped(v) for v in value)
    return value is None or isinstance(value, str | int | float | bool)
