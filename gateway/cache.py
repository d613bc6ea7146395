"""A short-lived cache for hot reads (the rankings): at hundreds of reads a second, one
RPC per key per `ttl` seconds answers them all, and a burst of misses makes one call
(the others wait for it). Rankings are projections, already a moment behind the events;
a second more is the price of keeping the scoring service out of the read path."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

import eventlet.event

MAX_KEYS = 1000


class ReadCache:
    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._values: dict[Hashable, tuple[float, Any]] = {}
        self._pending: dict[Hashable, eventlet.event.Event] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        if self.ttl <= 0:
            return load()
        with self._lock:
            hit = self._values.get(key)
            if hit is not None and self.clock() - hit[0] < self.ttl:
                return hit[1]
            waiting = self._pending.get(key)
            if waiting is None:
                self._pending[key] = eventlet.event.Event()
        if waiting is not None:  # another worker is loading this key: share its answer
            ok, value = waiting.wait()
            if ok:
                return value
            return load()
        try:
            value = load()
        except BaseException:
            self._finish(key, (False, None))
            raise
        with self._lock:
            if len(self._values) >= MAX_KEYS:
                self._values.clear()
            self._values[key] = (self.clock(), value)
        self._finish(key, (True, value))
        return value

    def _finish(self, key: Hashable, outcome: tuple[bool, Any]) -> None:
        with self._lock:
            event = self._pending.pop(key)
        event.send(outcome)
