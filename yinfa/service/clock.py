"""The time a service acts on, injectable so tests can stand at any instant.

With `CLOCK_NOW` (ISO 8601) in the container config the clock is frozen there; tests
move it by setting `frozen` on the provider's `clock`. Otherwise it is UTC now.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nameko.extensions import DependencyProvider


class Clock:
    def __init__(self, frozen: datetime | None = None) -> None:
        self.frozen = frozen

    def now(self) -> datetime:
        return self.frozen or datetime.now(UTC)


class ClockProvider(DependencyProvider):
    def setup(self) -> None:
        configured = self.container.config.get("CLOCK_NOW")
        self.clock = Clock(datetime.fromisoformat(configured) if configured else None)

    def get_dependency(self, worker_ctx: Any) -> Clock:
        return self.clock
