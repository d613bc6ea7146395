"""A token bucket per client: short bursts pass, a sustained flood gets 429 + Retry-After.

Buckets live in the gateway process (each instance limits what it serves); idle buckets
are dropped so the table stays small.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class TokenBuckets:
    def __init__(self, rate: float, burst: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, last)
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when the request may pass, else the seconds until a token is there."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                wait = 0.0
            else:
                self._buckets[client] = (tokens, now)
                wait = (1 - tokens) / self.rate
            if len(self._buckets) > 10_000:
                self._forget_full(now)
        return wait

    def retry_after(self, wait: float) -> int:
        return max(1, math.ceil(wait))

    def _forget_full(self, now: float) -> None:
        refill = self.burst / self.rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < refill}
