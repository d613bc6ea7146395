"""The nameko side of metrics: worker timing and lag sources, for any service class.

`instrumented(cls)` returns a subclass of a service with one extra dependency provider,
so the runner can measure every service (the gateway included) without the services
declaring anything. The provider times each worker (RPC, event handler, timer, HTTP) and
registers the lags of the service's event store with the `/metrics` collector. It also
notes the queue each worker's message came from, so a dead letter says where it belongs.
"""
from __future__ import annotations

import time
from typing import Any

from nameko.extensions import DependencyProvider

from yinfa.messaging.dead_letters import note_delivery
from yinfa.ops import metrics

OPS_ATTRIBUTE = "_yinfa_ops"


class Instrumentation(DependencyProvider):
    def setup(self) -> None:
        self._started: dict[int, float] = {}
        self.service = self.container.service_name
        self._register_lags()

    def _register_lags(self) -> None:
        # imported here: the ops package must not need the service wiring at import
        from yinfa.service.dependencies import EventSourcing

        for dependency in self.container.dependencies:
            if isinstance(dependency, EventSourcing):
                _register_event_sourcing(self.service, dependency)
            # any other provider can report followers of its own (e.g. a fold tailing a
            # journal): `lag_sources()` → {follower: () -> (source head, position reached)}
            sources = getattr(dependency, "lag_sources", None)
            if callable(sources):
                for follower, source in sources().items():
                    metrics.LAGS.register(self.service, follower, source)

    def stop(self) -> None:
        metrics.LAGS.unregister_service(self.service)

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> None:
        return None  # nothing for the worker: it only observes

    def worker_setup(self, worker_ctx: Any) -> None:
        self._started[id(worker_ctx)] = time.perf_counter()
        # a message this worker dead-letters records its queue, for `yinfa dlq retry`
        note_delivery(getattr(getattr(worker_ctx.entrypoint, "queue", None), "name", None))

    def worker_teardown(self, worker_ctx: Any) -> None:
        note_delivery(None)

    def worker_result(self, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> None:
        started = self._started.pop(id(worker_ctx), None)
        if started is None:
            return
        entrypoint = worker_ctx.entrypoint
        metrics.HANDLER_SECONDS.labels(
            self.service,
            entrypoint.method_name,
            type(entrypoint).__name__,
            "error" if exc_info is not None else "ok",
        ).observe(time.perf_counter() - started)


def _register_event_sourcing(service: str, dependency: Any) -> None:
    """Lags are read at scrape time; `store` and friends exist once setup has run."""

    def relay_lag() -> tuple[int, int]:
        return dependency.store.head_position(), dependency.relay.checkpoint()

    metrics.LAGS.register(service, "relay", relay_lag)
    if dependency.view_types:

        def projection_lag() -> tuple[int, int]:
            return dependency.store.head_position(), dependency.projector.checkpoint()

        metrics.LAGS.register(service, "projection:views", projection_lag)


def instrumented(service_class: type) -> type:
    """A subclass of `service_class` that carries the instrumentation provider."""
    if isinstance(getattr(service_class, OPS_ATTRIBUTE, None), Instrumentation):
        return service_class
    return type(
        service_class.__name__,
        (service_class,),
        {OPS_ATTRIBUTE: Instrumentation(), "__module__": service_class.__module__},
    )
