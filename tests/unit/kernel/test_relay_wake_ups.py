"""The background loop coalesces wake-ups: the appends of a burst, each of which wakes it,
are published in one pass (on the in-memory store, with a relay that notes each pass)."""
from __future__ import annotations

import threading

from yinfa.events.envelope import Metadata, NewEvent
from yinfa.projections import Projector
from yinfa.service.dependencies import EventSourcedStreams, EventSourcing
from yinfa.store.memory import InMemoryEventStore


class NotingRelay:
    """Publishes nothing; notes how many new events each pass found."""

    def __init__(self, store: InMemoryEventStore) -> None:
        self.store, self.position, self.passes = store, 0, []
        self.passed = threading.Semaphore(0)

    def run_once(self) -> int:
        events = self.store.read_all(self.position)
        self.position = events[-1].position if events else self.position
        self.passes.append(len(events))
        self.passed.release()
        return len(events)

    def reset_connection(self) -> None:
        pass

    def release_lease(self) -> None:
        pass


class NoViews(Projector):
    def catch_up(self, batch: int = 1000, max_batches: int | None = None) -> int:
        return 0  # no checkpoint to keep


def test_a_burst_of_appends_is_published_in_one_pass():
    provider = EventSourcing(None, store_factory=InMemoryEventStore).standalone()
    provider.relay = NotingRelay(provider.store)
    provider.projector = NoViews(provider.store, [])
    provider.relay_enabled, provider.idle_seconds, provider._running = True, 60.0, True
    burst_done = threading.Event()

    def pause(seconds: float) -> None:  # the burst goes on while the woken loop gathers
        burst_done.wait(10)

    provider._pause = pause
    loop = threading.Thread(target=provider._background)
    loop.start()
    provider.relay.passed.acquire(timeout=10)  # the first pass, on an empty store
    streams = EventSourcedStreams(provider, Metadata(actor="test"))
    try:
        for n in range(20):
            streams.execute(f"volunteer-{n % 3}", len,
                            lambda seen: [NewEvent("HoursLogged", {"hours": 1})])
            if n == 0:  # time for a loop that publishes on every wake-up to do so
                provider.relay.passed.acquire(timeout=0.5)
        burst_done.set()
        provider.relay.passed.acquire(timeout=10)
    finally:
        provider._running = False
        provider._wake.set()
        burst_done.set()
        loop.join(10)

    assert provider.relay.passes[:2] == [0, 20]
