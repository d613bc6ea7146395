"""Which queues a relay declares before it publishes, and how long it pauses when the
broker returns its messages (yinfa.messaging.relay)."""
from __future__ import annotations

import inspect
from collections import defaultdict

from yinfa.catalog import SERVICES, service_class
from yinfa.messaging.relay import UNROUTABLE_PAUSE, consumer_queues, pause_after
from yinfa.service.subscriptions import EveryEventHandler


def subscriptions() -> dict[str, set[str]]:
    """source → "<service>.<method>" of every `every_event_of(source)` in the services."""
    found: dict[str, set[str]] = defaultdict(set)
    for name in SERVICES:
        cls = service_class(name)
        for attr, member in inspect.getmembers(cls):
            for entrypoint in getattr(member, "nameko_entrypoints", ()):
                if isinstance(entrypoint, EveryEventHandler):
                    found[entrypoint.source_service].add(f"{cls.name}.{attr}")
    return found


def test_the_catalog_names_every_consumer_of_each_source_and_no_other():
    named = {name: set(service.consumers) for name, service in SERVICES.items()
             if service.consumers}
    assert named == subscriptions()


def test_a_consumer_queue_is_the_one_nameko_declares_for_every_event_of():
    assert "evt-volunteers-#--scoring.on_volunteers_event" in consumer_queues("volunteers")
    # scoring follows its own log (the reports submitted); feeds' events nobody consumes,
    # and a name the catalog does not know has no consumer
    assert consumer_queues("scoring") == ["evt-scoring-#--scoring.on_scoring_event"]
    assert consumer_queues("feeds") == consumer_queues("no-such-service") == []


def test_the_pause_after_returned_messages_grows_is_capped_and_jittered():
    first, longest = UNROUTABLE_PAUSE
    pauses = [[pause_after(stalls) for _ in range(200)] for stalls in range(1, 40)]
    assert all(first / 2 <= p <= first for p in pauses[0])
    assert all(0 < p <= longest for run in pauses for p in run)
    assert min(pauses[-1]) >= longest / 2  # long stalls wait near the cap, not more
    assert len(set(pauses[0])) > 1  # relays that stalled together do not retry together
    assert sum(pauses[3]) > sum(pauses[0])
