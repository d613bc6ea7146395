"""A command's path through the real store: the stream is read once (the views are written
from the events the command already holds), and a long stream is loaded from its snapshot
and the events after it, to the same state as a full replay."""
from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

import pytest
from nameko.rpc import rpc
from nameko.testing.utils import get_extension
from pymongo import MongoClient, monitoring

from yinfa.config import settings
from yinfa.events.envelope import Metadata, NewEvent
from yinfa.events.fold import Fold
from yinfa.projections import StreamView
from yinfa.service.dependencies import EventSourcedStreams, EventSourcing
from yinfa.store.event_store import EventStore

pytestmark = pytest.mark.integration

WANG = "volunteer-wang-jianguo"


@dataclass(frozen=True)
class Ledger:
    name: str
    entries: tuple[Decimal, ...] = ()
    days: frozenset[str] = frozenset()


HOURS = Fold("volunteer", "VolunteerRegistered", {
    "VolunteerRegistered": lambda _, data: Ledger(data["name"]),
    "HoursLogged": lambda state, data: replace(
        state, entries=(*state.entries, Decimal(data["hours"])),
        days=state.days | {data["day"]}),
})


class LedgerView(StreamView):
    collection = "ledger_view"
    stream_prefix = "volunteer-"

    def document(self, events):
        state = HOURS.replay(events)
        return {"name": state.name, "hours": str(sum(state.entries, Decimal(0)))}


class StreamReads(monitoring.CommandListener):
    """Every `find` on the commits, by the stream it asks for."""

    def __init__(self) -> None:
        self.finds: list[dict] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find" and event.command.get("find") == "commits":
            self.finds.append(dict(event.command.get("filter", {})))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def of(self, stream_id: str) -> list[dict]:
        return [f for f in self.finds if f.get("stream_id") == stream_id]


@pytest.fixture
def reads():
    return StreamReads()


@pytest.fixture
def streams(container_factory, service_config, mongo_uri, reads, monkeypatch):
    monkeypatch.setenv("YINFA_SNAPSHOT_EVERY", "5")
    settings.cache_clear()
    client = MongoClient(mongo_uri, tz_aware=True, event_listeners=[reads])

    def listened_store(db, registry, service):
        return EventStore(client[db.name], registry, service=service)

    class Volunteers:
        name = "volunteers"
        events = EventSourcing(None, views=[LedgerView()], relay=False,
                               store_factory=listened_store)

        @rpc
        def ping(self):
            return "pong"

    container = container_factory(Volunteers, service_config)
    container.start()
    yield EventSourcedStreams(get_extension(container, EventSourcing), Metadata(actor="test"))
    container.stop()
    client.close()


def log(hours: str, day: str = "2026-11-30"):
    return lambda state: [NewEvent("HoursLogged", {"hours": hours, "day": day})]


def test_each_command_reads_its_stream_once_and_leaves_its_view_current(streams, reads):
    streams.execute(WANG, HOURS.replay,
                    lambda state: [NewEvent("VolunteerRegistered", {"name": "王建国"})])
    assert len(reads.of(WANG)) == 1  # a new stream: its empty read is its head

    streams.execute(WANG, HOURS.replay, log("2.5"))

    assert len(reads.of(WANG)) == 2
    view = streams.views["ledger_view"].find_one({"_id": WANG})
    assert (view["version"], view["hours"]) == (2, "2.5")


def test_a_long_stream_loads_from_its_snapshot_and_the_events_after_it(streams, reads):
    streams.execute(WANG, HOURS.replay,
                    lambda state: [NewEvent("VolunteerRegistered", {"name": "王建国"})])
    for n in range(1, 13):
        streams.execute(WANG, HOURS.replay, log(f"{n}.5", day=f"2026-11-{n:02d}"))
    snapshot = streams.views["snapshots"].find_one({"_id": WANG})
    reads.finds.clear()

    state, version = streams.load(WANG, HOURS.replay)

    assert (version, snapshot["version"]) == (13, 10)
    assert state == HOURS.replay(streams.store.read_stream(WANG))
    # the load reads after the snapshot (the views' catch-up may read the stream beside it)
    assert {"$gt": 10} in [f.get("last_version") for f in reads.of(WANG)]
    view = streams.views["ledger_view"].find_one({"_id": WANG})
    assert (view["version"], view["hours"]) == (13, str(sum(state.entries, Decimal(0))))


def test_a_snapshot_of_another_fold_is_ignored(streams, reads):
    streams.execute(WANG, HOURS.replay,
                    lambda state: [NewEvent("VolunteerRegistered", {"name": "王建国"})])
    for _ in range(6):
        streams.execute(WANG, HOURS.replay, log("1"))
    streams.views["snapshots"].update_one({"_id": WANG}, {"$set": {"fold": "volunteer:old"}})
    reads.finds.clear()

    state, version = streams.load(WANG, HOURS.replay)

    assert version == 7 and state.entries == (Decimal(1),) * 6
    assert "last_version" not in reads.of(WANG)[0]
