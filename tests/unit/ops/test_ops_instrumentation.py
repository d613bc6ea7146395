"""The instrumentation provider the runner adds to every service: worker timing, lag
sources of other providers, the queue a worker's message came from."""
from __future__ import annotations

from types import SimpleNamespace

from prometheus_client import REGISTRY

from yinfa.messaging import dead_letters
from yinfa.ops.instrumentation import OPS_ATTRIBUTE, Instrumentation, instrumented


class Journaled:
    def lag_sources(self):
        return {"fold": lambda: (40, 25)}


def provider(service: str, *dependencies) -> Instrumentation:
    instrumentation = Instrumentation()
    instrumentation.container = SimpleNamespace(service_name=service,
                                                dependencies=list(dependencies))
    instrumentation.setup()
    return instrumentation


def test_other_providers_report_their_followers_lag():
    instrumentation = provider("unit_journal", Journaled())

    assert REGISTRY.get_sample_value(
        "yinfa_lag_events", {"service": "unit_journal", "follower": "fold"}) == 15
    instrumentation.stop()
    assert REGISTRY.get_sample_value(
        "yinfa_lag_events", {"service": "unit_journal", "follower": "fold"}) is None


def test_each_worker_is_timed_by_entrypoint_and_outcome_and_notes_its_queue():
    instrumentation = provider("unit_timed")
    entrypoint = SimpleNamespace(method_name="on_event", queue=SimpleNamespace(name="evt-q"))
    labels = {"service": "unit_timed", "entrypoint": "on_event",
              "kind": "SimpleNamespace", "outcome": "error"}

    for _ in range(2):
        worker = SimpleNamespace(entrypoint=entrypoint)
        instrumentation.worker_setup(worker)
        assert dead_letters._delivery.queue == "evt-q"
        instrumentation.worker_result(worker, None, exc_info=(ValueError, None, None))
        instrumentation.worker_teardown(worker)
        assert dead_letters._delivery.queue is None

    assert REGISTRY.get_sample_value("yinfa_handler_seconds_count", labels) == 2


def test_instrumented_adds_the_provider_once_and_keeps_the_service_name():
    class Plain:
        name = "plain"

    once = instrumented(Plain)
    assert issubclass(once, Plain) and once.name == "plain"
    assert isinstance(getattr(once, OPS_ATTRIBUTE), Instrumentation)
    assert instrumented(once) is once
