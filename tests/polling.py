"""Waiting, bounded, for what other processes do: events to travel, views to catch up.

The `eventually` fixture of tests/integration/conftest.py hands this out; module-scoped
fixtures, which cannot take a function-scoped fixture, import it.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def eventually(check: Callable[[], Any], timeout: float = 20.0, every: float = 0.1) -> Any:
    """Call `check` until it returns something true (returned), at most `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not true within {timeout} s: {check}")
