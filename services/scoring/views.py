"""Each scoring process keeps the fold of the journal in memory and tails it.

Queries are answered from memory, so they cost no round trip to the store beyond one
"anything after P?" read; rankings are computed once per journal position and rulebook
and cached. A rebuild folds the whole journal into a *new* state beside the live one and
swaps it in only when it has caught up, so no query ever sees a half-built ranking.
"""
from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Hashable
from datetime import datetime, tzinfo
from typing import Any

from services.scoring.domain.state import ScoringState
from services.scoring.engine.journal import Journal, source_events, unpacked
from yinfa.events.envelope import RecordedEvent

PAGE = 200  # journal entries per read: one live event each, or a backfill page
CACHE_SIZE = 64


class EventSpan:
    """When the earliest and the latest folded event were recorded: an as-of instant
    outside them asks about a time the ranking knows nothing of. Instants are compared
    as ISO text, which orders them as long as they share one offset (all are UTC)."""

    def __init__(self) -> None:
        self.first: str | None = None
        self.last: str | None = None

    def saw(self, recorded_at: str) -> None:
        if self.first is None or recorded_at < self.first:
            self.first = recorded_at
        if self.last is None or recorded_at > self.last:
            self.last = recorded_at

    def as_dict(self) -> dict[str, str | None]:
        return {"first_event_at": self.first, "last_event_at": self.last}


class LiveScoring:
    def __init__(self, journal: Journal, zone: tzinfo) -> None:
        self.journal = journal
        self.zone = zone  # the city's clock: facts fall into periods by its days
        self.state = ScoringState(zone)
        self.span = EventSpan()
        self.position = 0
        self._fold_lock = threading.Lock()
        self._cache: dict[Hashable, Any] = {}
        self._cache_position = 0

    # ---- following the journal ---------------------------------------------------------

    def catch_up(self) -> int:
        """Fold what the journal holds after our position; returns how many were folded."""
        with self._fold_lock:
            return self._fold_into(self.state, self.span, self._set_position)

    def fold_kept(self, entry: RecordedEvent) -> bool:
        """An entry this process has just journaled, folded from memory if it is the
        next one (no read of the store between the intake and the ranking); False if
        entries of other replicas come between: the follower reads those."""
        with self._fold_lock:
            if entry.position != self.position + 1:
                return False
            for event_id, event_type, stream_id, version, at, data in unpacked(entry):
                self.state.apply_raw(event_id, event_type, stream_id, version, data)
                self.span.saw(at or entry.occurred_at.isoformat())
            self.position = entry.position
            return True

    def _set_position(self, position: int) -> None:
        self.position = position

    def _fold_into(self, state: ScoringState, span: EventSpan, moved: Callable[[int], None],
                   start: int | None = None, counted: Callable[[int], None] | None = None
                   ) -> int:
        position = self.position if start is None else start
        folded = 0
        while True:
            entries = self.journal.read_after(position, PAGE)
            if not entries:
                return folded
            for entry in entries:
                for event_id, event_type, stream_id, version, at, data in unpacked(entry):
                    state.apply_raw(event_id, event_type, stream_id, version, data)
                    span.saw(at or entry.occurred_at.isoformat())
                    folded += 1
            position = entries[-1].position
            moved(position)
            if counted is not None:
                counted(folded)

    def rebuild(self, counted: Callable[[int], None] | None = None) -> int:
        """Fold the journal from scratch into a new state, then swap it in; returns how
        many events were folded."""
        fresh, fresh_span = ScoringState(self.zone), EventSpan()
        reached = [0]
        total = [0]

        def moved(position: int) -> None:
            reached[0] = position

        def count(n: int) -> None:
            if counted is not None:
                counted(total[0] + n)

        # The fold makes millions of long-lived objects and no garbage cycles: the
        # collector's full passes over them would cost more than the fold itself.
        collecting = gc.isenabled()
        gc.disable()
        try:
            total[0] = self._fold_into(fresh, fresh_span, moved, start=0, counted=count)
            with self._fold_lock:  # the last few events, then the swap, followers held
                total[0] += self._fold_into(fresh, fresh_span, moved, start=reached[0],
                                            counted=count)
                self.state, self.span, self.position = fresh, fresh_span, reached[0]
                self._cache.clear()
        finally:
            if collecting:
                gc.enable()
        # and keep them out of later full passes, which would stall queries
        gc.collect()
        gc.freeze()
        return total[0]

    # ---- reading -----------------------------------------------------------------------

    def current(self) -> ScoringState:
        """The state as of the last catch-up: the engine's follower catches up every few
        tens of milliseconds, so a query costs no read of the store."""
        return self.state

    def cached(self, key: Hashable, compute: Callable[[ScoringState], Any]) -> Any:
        """`compute(state)` once per journal position and key."""
        state = self.current()
        with self._fold_lock:
            if self._cache_position != self.position:
                self._cache.clear()
                self._cache_position = self.position
            position = self.position
        if key in self._cache:
            return self._cache[key]
        value = compute(state)
        if position == self._cache_position:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = value
        return value

    def as_of(self, instant: datetime) -> ScoringState:
        """The fold of the events the sources had recorded by `instant`."""
        state = ScoringState(self.zone)
        for entry in self.journal.iter_after(0, PAGE):
            for event in source_events(entry):
                if event.recorded_at is not None and event.recorded_at <= instant:
                    state.apply(event)
        return state
