"""A service that keeps no views (the feeds service reads its log by position): its
projector reads nothing and never lags."""
from __future__ import annotations

from yinfa.events.envelope import NewEvent
from yinfa.projections import Projector
from yinfa.store.memory import InMemoryEventStore


def test_a_projector_without_views_reads_nothing_and_is_at_the_head():
    store = InMemoryEventStore(None, None, service="test")
    store.append("entry-1", [NewEvent("Entry", {"n": 1}), NewEvent("Entry", {"n": 2})])
    reads = []
    store.read_all = lambda *args, **kwargs: reads.append(args) or []  # type: ignore[method-assign]
    projector = Projector(store, [], db=None)

    assert projector.catch_up() == 0
    assert reads == []
    assert projector.checkpoint() == store.head_position() == 2
