"""Folding a stream's events into an aggregate's state, the same way for every aggregate."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, TypeVar

State = TypeVar("State")
Evolve = Callable[[State | None, str, Mapping[str, Any]], State]


def replay(evolve: Evolve[State], events: Iterable[Any], state: State | None = None
           ) -> State | None:
    """Fold events (anything with `.type` and `.data`: NewEvent or RecordedEvent)."""
    for event in events:
        state = evolve(state, event.type, event.data)
    return state


class AppliedFold(Generic[State]):
    """`evolve` for a stream begun by one event type, each later type by its applier."""

    def __init__(self, stream: str, created_by: str,
                 create: Callable[[Mapping[str, Any]], State],
                 appliers: Mapping[str, Callable[[State, Mapping[str, Any]], State]]) -> None:
        self.stream, self.created_by = stream, created_by
        self.create, self.appliers = create, appliers

    def evolve(self, state: State | None, event_type: str, data: Mapping[str, Any]) -> State:
        if event_type == self.created_by:
            return self.create(data)
        if state is None:
            raise ValueError(f"{event_type} before {self.created_by}")
        try:
            apply = self.appliers[event_type]
        except KeyError:
            article = "an" if self.stream[0] in "aeiou" else "a"
            raise ValueError(
                f"{event_type} does not belong to {article} {self.stream} stream"
            ) from None
        return apply(state, data)
