"""`yinfa rebuild <service> [<projection>]`: fold a service's views again from its events,
with a progress bar.

The rebuild runs inside the service (its `rebuild_views` RPC: the service owns its
database and its view code); this side watches the service's `health` answer, whose
`views` position climbs to `head` as the views are folded again, and draws it.

A service's views share one checkpoint, so they are rebuilt together; naming one view
(its collection) checks that it is one of them.
"""
from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

POLL_SECONDS = 0.3
REBUILD_TIMEOUT = 1800.0


class RebuildError(RuntimeError):
    pass


def view_collections(service: str) -> list[str]:
    """The collections of the service's views; [] for a service without an event store."""
    from yinfa.catalog import service_class
    from yinfa.service.dependencies import EventSourcing

    providers = [value for _, value in inspect.getmembers(
        service_class(service), lambda v: isinstance(v, EventSourcing))]
    return [view.collection for provider in providers for view in provider.view_types]


@dataclass
class RebuildOutcome:
    events: int = 0
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


Progress = Callable[[int, int], None]  # (position reached, head)


def rebuild(
    rebuild_call: Callable[[], int],
    health_call: Callable[[], Mapping[str, Any]],
    progress: Progress,
    poll_seconds: float = POLL_SECONDS,
) -> int:
    """Run `rebuild_call` in a thread, reporting `health_call`'s views/head until done;
    returns how many events were folded."""
    outcome = RebuildOutcome()

    def work() -> None:
        try:
            outcome.events = int(rebuild_call())
        except BaseException as error:  # noqa: BLE001 - handed to the caller
            outcome.error = error
        finally:
            outcome.done.set()

    threading.Thread(target=work, name="rebuild", daemon=True).start()
    while not outcome.done.wait(poll_seconds):
        try:
            answer = health_call()
        except Exception:  # noqa: BLE001 - a missed poll only delays the bar
            continue
        if "views" in answer and "head" in answer:
            progress(int(answer["views"]), int(answer["head"]))
    if outcome.error is not None:
        raise RebuildError(f"rebuild failed: {outcome.error}") from outcome.error
    return outcome.events


def rpc_calls(amqp_uri: str, service: str, timeout: float = REBUILD_TIMEOUT
              ) -> tuple[Callable[[], int], Callable[[], Mapping[str, Any]]]:
    """The rebuild and health calls over RPC, each on a proxy of its own (two threads)."""
    from nameko.standalone.rpc import ClusterRpcProxy

    config = {"AMQP_URI": amqp_uri, "serializer": "json"}

    def rebuild_call() -> int:
        with ClusterRpcProxy(config, timeout=timeout) as cluster:
            return getattr(cluster, service).rebuild_views()

    health_proxy = ClusterRpcProxy(config, timeout=5)
    cluster = health_proxy.start()

    def health_call() -> Mapping[str, Any]:
        return getattr(cluster, service).health()

    health_call.close = health_proxy.stop  # type: ignore[attr-defined]
    return rebuild_call, health_call


def run_with_bar(amqp_uri: str, service: str, out: Any = None) -> tuple[int, float]:
    """The rebuild with a tqdm bar on `out` (stderr by default); (events, seconds)."""
    from tqdm import tqdm

    rebuild_call, health_call = rpc_calls(amqp_uri, service)
    started = time.monotonic()
    with tqdm(total=0, unit="event", desc=f"rebuild {service}", file=out,
              dynamic_ncols=True) as bar:

        def progress(reached: int, head: int) -> None:
            bar.total = max(head, 1)
            bar.n = min(reached, bar.total)
            bar.refresh()

        try:
            events = rebuild(rebuild_call, health_call, progress)
        finally:
            health_call.close()  # type: ignore[attr-defined]
        bar.total = max(events, bar.total or 0, 1)
        bar.n = bar.total
        bar.refresh()
    return events, time.monotonic() - started
