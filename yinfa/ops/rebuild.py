"""`yinfa rebuild <service> [<projection>]`: fold a service's read models again from the
events, with a progress bar.

The rebuild runs inside the service (it owns its database and its fold code); this side
starts it over RPC and draws its progress. Two kinds of service:

- views kept by the kernel's projector (`EventSourcedService`): `rebuild_views` runs the
  rebuild to the end, while the `health` answer's `views` position climbs to `head`. The
  views share one checkpoint, so they are rebuilt together; naming one view (its
  collection) checks that it is one of them.
- a service with a background rebuild (`rebuild(from_sources)` answering at once, and
  `rebuild_progress()`; scoring): polled until it is no longer running. With several
  replicas, each RPC is answered by any one: an `idle` answer (a replica not rebuilding)
  is skipped.
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


Answer = Mapping[str, Any]


def rebuild_in_background(
    start_call: Callable[[], Answer],
    progress_call: Callable[[], Answer],
    progress: Callable[[Answer], None],
    poll_seconds: float = POLL_SECONDS,
    timeout: float = REBUILD_TIMEOUT,
) -> Answer:
    """Start a background rebuild and follow it to its end; its last progress answer."""
    answer = start_call()
    progress(answer)
    deadline = time.monotonic() + timeout
    while answer.get("running"):
        if time.monotonic() > deadline:
            raise RebuildError(f"still running after {timeout:.0f} s: {dict(answer)}")
        time.sleep(poll_seconds)
        latest = progress_call()
        if latest.get("phase") == "idle":
            continue  # another replica answered: it is not the one rebuilding
        answer = latest
        progress(answer)
    if answer.get("phase") == "failed" or answer.get("error"):
        raise RebuildError(f"rebuild failed: {answer.get('error')}")
    return answer


def background_fraction(answer: Answer) -> tuple[int, int]:
    """(done, total) of a background rebuild's answer: sources read while backfilling,
    then journal entries folded."""
    phase = str(answer.get("phase", ""))
    if phase.startswith("backfill"):
        sources = answer.get("sources") or {}
        return (sum(int(s.get("read", 0)) for s in sources.values()),
                sum(int(s.get("head", 0)) for s in sources.values()))
    return int(answer.get("folded") or 0), int(answer.get("journal_head") or 0)


def has_background_rebuild(service: str) -> bool:
    from yinfa.catalog import service_class

    return callable(getattr(service_class(service), "rebuild_progress", None))


def run_background_with_bar(amqp_uri: str, service: str, from_sources: bool,
                            out: Any = None) -> tuple[Answer, float]:
    from nameko.standalone.rpc import ClusterRpcProxy
    from tqdm import tqdm

    config = {"AMQP_URI": amqp_uri, "serializer": "json"}
    started = time.monotonic()
    with ClusterRpcProxy(config, timeout=60) as cluster, tqdm(
        total=0, unit="event", desc=f"rebuild {service}", file=out, dynamic_ncols=True
    ) as bar:
        remote = getattr(cluster, service)

        def progress(answer: Answer) -> None:
            done, total = background_fraction(answer)
            bar.set_description(f"rebuild {service}: {answer.get('phase', '?')}")
            bar.total = max(total, 1)
            bar.n = min(done, bar.total)
            bar.refresh()

        answer = rebuild_in_background(lambda: remote.rebuild(from_sources),
                                       remote.rebuild_progress, progress)
    return answer, time.monotonic() - started


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
