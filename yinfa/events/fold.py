"""Folding a stream's events into an aggregate's state, the same way for every aggregate."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, TypeVar

State = TypeVar("State")


class Fold(Generic[State]):
    """An aggregate's state from its events: one applier per event type, `applier(state,
    data)`. A stream begins with `first`, whose applier is given None for a new stream."""

    def __init__(self, stream: str, first: str,
                 appliers: Mapping[str, Callable[[Any, Mapping[str, Any]], State]]) -> None:
        self.stream, self.first, self.appliers = stream, first, appliers

    def evolve(self, state: State | None, event_type: str, data: Mapping[str, Any]) -> State:
        if state is None and event_type != self.first:
            raise ValueError(f"{event_type} before {self.first}")
        try:
            apply = self.appliers[event_type]
        except KeyError:
            article = "an" if self.stream[0] in "aeiou" else "a"
            raise ValueError(
                f"{event_type} does not belong to {article} {self.stream} stream"
            ) from None
        return apply(state, data)

    def replay(self, events: Iterable[Any], state: State | None = None) -> State | None:
        """Fold events (anything with `.type` and `.data`: NewEvent or RecordedEvent)."""
        for event in events:
            state = self.evolve(state, event.type, event.data)
        return state
