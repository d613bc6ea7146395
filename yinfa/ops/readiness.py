"""Is this process ready for work? Its broker and its store must answer, and its services
must have started.

Each check returns None when fine, else a short reason. Results are kept for a second, so
a burst of probes (Kubernetes, Prometheus, a curious operator) opens one connection, not
one each.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from yinfa.infra.broker import mask_uri, probe_amqp

PROBE_TIMEOUT = 2.0
CACHE_SECONDS = 1.0

Check = Callable[[], str | None]


def broker_check(amqp_uri: str, timeout: float = PROBE_TIMEOUT) -> Check:
    return lambda: probe_amqp(amqp_uri, timeout)


def store_check(mongo_uri: str, timeout: float = PROBE_TIMEOUT) -> Check:
    """A ping on a client of its own, with a short server-selection timeout (the services'
    shared clients wait ten seconds for a server, too long for a probe)."""
    from pymongo import MongoClient

    ms = int(timeout * 1000)
    client: MongoClient = MongoClient(
        mongo_uri, serverSelectionTimeoutMS=ms, connectTimeoutMS=ms, socketTimeoutMS=ms
    )

    def check() -> str | None:
        try:
            client.admin.command("ping")
        except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
            return f"{mask_uri(mongo_uri)}: {type(exc).__name__}: {str(exc)[:200]}"
        return None

    return check


@dataclass
class Readiness:
    """Named checks; `report()` answers (ready, {name: "ok" | reason})."""

    checks: dict[str, Check] = field(default_factory=dict)
    cache_seconds: float = CACHE_SECONDS
    _cached: tuple[float, bool, dict[str, str]] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, check: Check) -> None:
        self.checks[name] = check
        self._cached = None

    def report(self) -> tuple[bool, dict[str, str]]:
        with self._lock:
            now = time.monotonic()
            if self._cached is not None and now - self._cached[0] < self.cache_seconds:
                return self._cached[1], self._cached[2]
            results = {name: _run(check) for name, check in self.checks.items()}
            ready = all(result == "ok" for result in results.values())
            self._cached = (now, ready, results)
            return ready, results


def _run(check: Check) -> str:
    try:
        problem = check()
    except Exception as exc:  # noqa: BLE001 - a check that breaks reports, not raises
        problem = f"{type(exc).__name__}: {exc}"
    return "ok" if problem is None else problem


class StartedFlag:
    """A check that passes once the runner has started every service of the process."""

    def __init__(self) -> None:
        self._started = threading.Event()
        self._stopping = threading.Event()

    def started(self) -> None:
        self._started.set()

    def stopping(self) -> None:
        self._stopping.set()

    def __call__(self) -> str | None:
        if self._stopping.is_set():
            return "stopping"
        return None if self._started.is_set() else "starting"


def describe(results: dict[str, str], ready: bool, **extra: Any) -> dict[str, Any]:
    """The JSON body of `/health/ready`: what is down is named in `down`."""
    return {
        "status": "ready" if ready else "not ready",
        "down": sorted(name for name, result in results.items() if result != "ok"),
        "checks": results,
        **extra,
    }
