"""The rankings' read cache: one load per key and period, shared by concurrent misses."""
from __future__ import annotations

import eventlet
import pytest

from gateway.cache import ReadCache


def test_a_value_is_loaded_once_per_period():
    now = [0.0]
    cache = ReadCache(ttl=1.0, clock=lambda: now[0])
    loads = []

    def load():
        loads.append(now[0])
        return len(loads)

    assert cache.get("k", load) == cache.get("k", load) == 1
    now[0] = 1.5
    assert cache.get("k", load) == 2
    assert cache.get("other", load) == 3


def test_concurrent_misses_share_one_load():
    cache = ReadCache(ttl=5.0)
    calls = []

    def slow_load():
        calls.append(1)
        eventlet.sleep(0.05)
        return "ranking"

    pool = eventlet.GreenPool()
    answers = list(pool.imap(lambda _: cache.get("k", slow_load), range(20)))
    assert answers == ["ranking"] * 20 and len(calls) == 1


def test_a_failed_load_is_not_cached():
    cache = ReadCache(ttl=5.0)

    def failing():
        raise RuntimeError("scoring away")

    with pytest.raises(RuntimeError):
        cache.get("k", failing)
    assert cache.get("k", lambda: "back") == "back"


def test_a_zero_period_turns_the_cache_off():
    cache = ReadCache(ttl=0)
    values = iter(range(10))
    assert cache.get("k", lambda: next(values)) != cache.get("k", lambda: next(values))
