"""Waiting, bounded, for what other processes do: events to travel, views to catch up.

Every test waits through these two instead of its own `time.sleep` loop. The `eventually`
fixture of tests/integration/conftest.py hands out the first; module-scoped fixtures,
unit and end-to-end tests import this module (`import polling`).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def eventually(check: Callable[[], Any], timeout: float = 20.0, every: float = 0.1,
               ignoring: tuple[type[BaseException], ...] = ()) -> Any:
    """Call `check` until it returns something true (returned), at most `timeout` s.
    Exceptions of the `ignoring` types (not listening yet, half-written) count as false."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = check()
        except ignoring as error:
            last = error
        else:
            if last:
                return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"not true within {timeout} s: {check} (last: {last!r})")
        time.sleep(every)


def throughout(check: Callable[[], Any], seconds: float, every: float = 0.1) -> None:
    """Assert `check` stays true for `seconds`: what must not happen (a duplicate, a late
    redelivery) has had the time to happen and did not."""
    deadline = time.monotonic() + seconds
    while True:
        assert check(), f"stopped holding within {seconds} s: {check}"
        if time.monotonic() >= deadline:
            return
        time.sleep(every)
