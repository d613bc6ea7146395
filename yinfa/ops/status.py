"""`yinfa status`: the platform at a glance, in one table.

One row per queue, grouped by the service that consumes it:

    SERVICE  HEALTH  RELAY LAG  VIEWS LAG  QUEUE  CONSUMERS  READY  UNACKED  DEAD LETTERS

HEALTH is the service's `health` RPC (answered by any replica, or `no answer`); the lags
come from that answer (events stored but not yet published, events not yet in the views);
the queue columns from the RabbitMQ management API; DEAD LETTERS is the depth of the
service's `dlq.<service>`. A service's own columns are printed on its first row only.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from yinfa.ops.rabbit_api import QueueInfo, queue_owner
from yinfa.ops.table import render

HEADERS = ("SERVICE", "HEALTH", "RELAY LAG", "VIEWS LAG", "QUEUE", "CONSUMERS", "READY",
           "UNACKED", "DEAD LETTERS")
HEALTH_TIMEOUT = 3.0

Health = Callable[[str], Mapping[str, Any]]


@dataclass(frozen=True)
class ServiceHealth:
    service: str
    answer: Mapping[str, Any] | None
    problem: str | None = None

    @property
    def label(self) -> str:
        return "ok" if self.answer is not None else "no answer"

    @property
    def relay_lag(self) -> str:
        answer = self.answer or {}
        return str(answer["pending"]) if "pending" in answer else "-"

    @property
    def views_lag(self) -> str:
        """Events not yet in the read models: the kernel's views (`head` − `views`), or a
        fold tailing a journal (`journal_head` − `folded_position`, scoring)."""
        answer = self.answer or {}
        for head, reached in (("head", "views"), ("journal_head", "folded_position")):
            if head in answer and reached in answer:
                return str(max(0, int(answer[head]) - int(answer[reached])))
        return "-"


def rpc_health(amqp_uri: str, timeout: float = HEALTH_TIMEOUT) -> Health:
    """A function calling one service's `health` RPC (its own proxy: used from threads)."""
    from nameko.standalone.rpc import ClusterRpcProxy

    def call(service: str) -> Mapping[str, Any]:
        config = {"AMQP_URI": amqp_uri, "serializer": "json"}
        with ClusterRpcProxy(config, timeout=timeout) as cluster:
            return getattr(cluster, service).health()

    return call


def gather_health(services: Iterable[str], health: Health) -> dict[str, ServiceHealth]:
    """Every service's answer, asked in parallel so dead services cost one timeout."""
    names = list(services)

    def ask(service: str) -> ServiceHealth:
        try:
            return ServiceHealth(service, health(service))
        except Exception as error:  # noqa: BLE001 - any failure is "no answer"
            return ServiceHealth(service, None, f"{type(error).__name__}: {error}")

    if not names:
        return {}
    with ThreadPoolExecutor(max_workers=min(8, len(names))) as pool:
        return {h.service: h for h in pool.map(ask, names)}


def status_rows(
    services: Sequence[str],
    healths: Mapping[str, ServiceHealth],
    queues: Sequence[QueueInfo],
) -> list[tuple[Any, ...]]:
    """The table's rows: known services first (in the given order), then any other
    consumer that owns queues (e.g. a tool's own consumer)."""
    owned: dict[str, list[QueueInfo]] = {}
    dead: dict[str, int] = {}
    for queue in queues:
        owner = queue_owner(queue.name)
        if owner is None:
            continue
        if queue.name.startswith("dlq."):
            dead[owner] = queue.depth
        else:
            owned.setdefault(owner, []).append(queue)
    owners = list(services) + sorted((set(owned) | set(dead)) - set(services))
    rows: list[tuple[Any, ...]] = []
    for owner in owners:
        health = healths.get(owner)
        first = (
            owner,
            health.label if health else "-",
            health.relay_lag if health else "-",
            health.views_lag if health else "-",
        )
        blank = ("", "", "", "")
        own_queues: list[QueueInfo | None] = [*owned.get(owner, [])] or [None]
        for index, own in enumerate(own_queues):
            queue_cells = ((own.name, own.consumers, own.ready, own.unacked)
                           if own is not None else ("(no queues)", 0, 0, 0))
            dead_cell = dead.get(owner, 0) if index == 0 else ""
            rows.append((first if index == 0 else blank) + queue_cells + (dead_cell,))
    return rows


def render_status(services: Sequence[str], healths: Mapping[str, ServiceHealth],
                  queues: Sequence[QueueInfo]) -> str:
    table = render(HEADERS, status_rows(services, healths, queues))
    problems = [f"  {h.service}: {h.problem}" for h in healths.values() if h.problem]
    if problems:
        table += "\n\nno health answer:\n" + "\n".join(problems)
    return table
