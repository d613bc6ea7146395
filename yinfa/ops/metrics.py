"""The Prometheus metrics of a yinfa process, in one place.

Counters and the latency histogram are module-level, so the store, relay, inbox and
dead-letter code can count without knowing about HTTP or nameko. Lags are not counted:
they are read from the databases when `/metrics` is scraped (see `LagCollector`), so a
scrape always shows the current distance, also in a process that published nothing.

Every metric carries a `service` label: one process may run several services.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

EVENTS_APPENDED = Counter(
    "yinfa_events_appended", "Events appended to the service's event store.", ["service"]
)
EVENTS_PUBLISHED = Counter(
    "yinfa_events_published",
    "Events the outbox relay published and the broker confirmed.",
    ["service"],
)
EVENTS_CONSUMED = Counter(
    "yinfa_events_consumed",
    "Events taken by a consumer's inbox, by outcome "
    "(applied, duplicate, skipped, parked, dead-lettered, retried).",
    ["service", "outcome"],
)
EVENTS_DEAD_LETTERED = Counter(
    "yinfa_events_dead_lettered",
    "Messages a consumer set aside on its dead-letter queue.",
    ["service"],
)
HANDLER_SECONDS = Histogram(
    "yinfa_handler_seconds",
    "Time a nameko worker took, by entrypoint (RPC, event handler, timer, HTTP).",
    ["service", "entrypoint", "kind", "outcome"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
HTTP_SECONDS = Histogram(
    "yinfa_http_request_seconds",
    "Time the gateway took to answer, by route template, method and status class.",
    ["route", "method", "status_class"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


def http_answered(route: str, method: str, status: int, seconds: float) -> None:
    HTTP_SECONDS.labels(route, method, f"{status // 100}xx").observe(seconds)


def events_appended(service: str, count: int) -> None:
    EVENTS_APPENDED.labels(service).inc(count)


def events_published(service: str, count: int) -> None:
    EVENTS_PUBLISHED.labels(service).inc(count)


def event_consumed(service: str, outcome: str) -> None:
    EVENTS_CONSUMED.labels(service, outcome).inc()


def event_dead_lettered(service: str) -> None:
    EVENTS_DEAD_LETTERED.labels(service).inc()


# ---- lags, read at scrape time ---------------------------------------------------------

# (service, what) -> a function returning (source head, position reached)
LagSource = Callable[[], tuple[int, int]]


class LagCollector(Collector):
    """Gauges of how far each registered follower is behind its source, in events.

    `relay`: store head vs relay checkpoint (events not yet published);
    `projection:<name>`: store head vs the projector's checkpoint (events not yet in the
    service's views). A source that fails to answer is left out of the scrape and logged:
    a slow database must not break `/metrics`.
    """

    def __init__(self) -> None:
        self._sources: dict[tuple[str, str], LagSource] = {}
        self._lock = threading.Lock()

    def register(self, service: str, what: str, source: LagSource) -> None:
        with self._lock:
            self._sources[(service, what)] = source

    def unregister_service(self, service: str) -> None:
        with self._lock:
            for key in [k for k in self._sources if k[0] == service]:
                del self._sources[key]

    def collect(self) -> Iterable[Metric]:
        lag = GaugeMetricFamily(
            "yinfa_lag_events", "Events a follower is behind its source.",
            labels=["service", "follower"],
        )
        head = GaugeMetricFamily(
            "yinfa_source_head_position", "Global position of the source's newest event.",
            labels=["service", "follower"],
        )
        with self._lock:
            sources = list(self._sources.items())
        for (service, what), source in sources:
            try:
                source_head, reached = source()
            except Exception:  # noqa: BLE001 - reported in the log, left out of the scrape
                log.warning("lag of %s/%s unavailable", service, what, exc_info=True)
                continue
            lag.add_metric([service, what], max(0, source_head - reached))
            head.add_metric([service, what], source_head)
        yield lag
        yield head

    def describe(self) -> Iterable[Metric]:
        return []  # collected on demand only: registration must not query databases


LAGS = LagCollector()
REGISTRY.register(LAGS)
