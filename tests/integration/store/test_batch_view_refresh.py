"""Views refreshed a batch of streams at a time (`Projector.refresh_streams`,
`write_all_if_newer`), on the real store: the same documents as stream by stream, and a
newer document is never overwritten by an older one, even when writers race."""
from __future__ import annotations

import threading

import pytest

from yinfa.events.envelope import NewEvent
from yinfa.projections import Projector, StreamView, write_all_if_newer
from yinfa.store.event_store import NO_STREAM

pytestmark = pytest.mark.integration


class HoursView(StreamView):
    collection = "hours_view"
    stream_prefix = "volunteer-"

    def document(self, events):
        return {"name": events[0].data["name"],
                "hours": sum(e.data["hours"] for e in events if e.type == "HoursLogged")}


class FirstEventView(StreamView):
    """A view that reads its streams its own way (as the branches' view does)."""

    collection = "first_event_view"
    stream_prefix = "volunteer-"

    def refresh(self, db, store, stream_id):
        events = store.read_stream(stream_id)
        db[self.collection].replace_one(
            {"_id": stream_id}, {"_id": stream_id, "first": events[0].data["name"]}, upsert=True)


def registered(name: str) -> NewEvent:
    return NewEvent("VolunteerRegistered", {"name": name})


def hours(h: int) -> NewEvent:
    return NewEvent("HoursLogged", {"hours": h})


@pytest.fixture
def projector(event_store, mongo_db):
    return Projector(event_store, [HoursView(), FirstEventView()], db=mongo_db)


def test_a_batch_refresh_writes_what_refreshing_each_stream_writes(
    event_store, projector, mongo_db
):
    for n in range(6):
        event_store.append(f"volunteer-{n}", [registered(f"志愿者{n}")] + [hours(n)] * n,
                           NO_STREAM)
    streams = [f"volunteer-{n}" for n in range(6)] + ["team-unrelated"]

    projector.refresh_streams(streams)
    batched = sorted(mongo_db["hours_view"].find(), key=lambda d: d["_id"])
    mongo_db["hours_view"].drop()
    for stream in streams:
        projector.refresh_stream(stream)

    assert batched == sorted(mongo_db["hours_view"].find(), key=lambda d: d["_id"])
    assert batched[3] == {"_id": "volunteer-3", "name": "志愿者3", "hours": 9, "version": 4}
    assert mongo_db["first_event_view"].count_documents({}) == 6


def test_an_older_history_never_overwrites_a_newer_document(event_store, projector, mongo_db):
    first = event_store.append("volunteer-wang", [registered("王建国")], NO_STREAM)
    event_store.append("volunteer-wang", [hours(2), hours(3)])
    projector.refresh_streams(["volunteer-wang"])

    projector.refresh_streams(["volunteer-wang"], known={"volunteer-wang": first})

    assert mongo_db["hours_view"].find_one({"_id": "volunteer-wang"})["version"] == 3
    assert mongo_db["hours_view"].find_one({"_id": "volunteer-wang"})["hours"] == 5


def test_mixed_stored_versions_end_at_the_newest_of_each(mongo_db):
    views = mongo_db["some_view"]
    views.insert_many([{"_id": "older", "version": 1, "v": "old"},
                       {"_id": "newer", "version": 9, "v": "kept"},
                       {"_id": "same", "version": 4, "v": "kept"}])

    write_all_if_newer(views, {"older": ({"v": "new"}, 2), "newer": ({"v": "stale"}, 3),
                               "same": ({"v": "again"}, 4), "missing": ({"v": "new"}, 1)})

    assert {d["_id"]: (d["version"], d["v"]) for d in views.find()} == {
        "older": (2, "new"), "newer": (9, "kept"), "same": (4, "kept"), "missing": (1, "new")}


def test_a_stream_taken_for_started_keeps_a_newer_document_already_there(mongo_db):
    """Started streams are written without a read of their versions; one that another
    instance has already written further keeps that newer document."""
    views = mongo_db["started_view"]
    views.insert_one({"_id": "written", "version": 2, "v": "kept"})

    write_all_if_newer(views, {"written": ({"v": "first"}, 1), "fresh": ({"v": "first"}, 1),
                               "asked": ({"v": "new"}, 3)}, started={"written", "fresh"})

    assert {d["_id"]: (d["version"], d["v"]) for d in views.find()} == {
        "written": (2, "kept"), "fresh": (1, "first"), "asked": (3, "new")}


def test_racing_batch_writers_leave_every_document_at_its_highest_version(mongo_db):
    views = mongo_db["raced_view"]
    ids = [f"volunteer-{n}" for n in range(30)]
    errors: list[BaseException] = []

    def writer(versions: range) -> None:
        try:
            for version in versions:
                write_all_if_newer(views, {i: ({"seen": version}, version) for i in ids})
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(r,))
               for r in (range(1, 12), range(11, 0, -1), range(5, 9))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors, errors
    assert {(d["version"], d["seen"]) for d in views.find()} == {(11, 11)}
    assert views.count_documents({}) == 30


def test_catching_up_in_batches_equals_a_rebuild(event_store, projector, mongo_db):
    for n in range(30):
        event_store.append(f"volunteer-{n}", [registered(f"志愿者{n}")], NO_STREAM)
    for n in range(0, 30, 3):
        event_store.append(f"volunteer-{n}", [hours(n)])

    assert projector.catch_up(batch=7) == 40
    live = sorted(mongo_db["hours_view"].find(), key=lambda d: d["_id"])
    projector.rebuild()

    assert sorted(mongo_db["hours_view"].find(), key=lambda d: d["_id"]) == live
    assert {d["_id"]: d["hours"] for d in live}["volunteer-27"] == 27


def test_the_catch_up_passes_over_streams_this_process_has_written_and_not_others(
    event_store, make_event_store, mongo_db
):
    """Documents a command wrote at the version it recorded are not folded and written
    again by the catch-up, which does so for other instances' appends; a rebuild folds
    them all."""
    view = NotingView()
    here = Projector(event_store, [view], db=mongo_db)
    mine = event_store.append("volunteer-mine", [registered("王建国")], NO_STREAM)
    here.refresh_streams(["volunteer-mine"], known={"volunteer-mine": mine},
                         started={"volunteer-mine"})
    make_event_store().append("volunteer-theirs", [registered("李秀英")], NO_STREAM)
    view.folded.clear()

    assert here.catch_up() == 2

    assert view.folded == ["volunteer-theirs"]
    assert mongo_db["hours_view"].count_documents({}) == 2
    here.rebuild()
    assert sorted(view.folded) == ["volunteer-mine", "volunteer-theirs", "volunteer-theirs"]


class NotingView(HoursView):
    def __init__(self) -> None:
        self.folded: list[str] = []

    def document(self, events):
        self.folded.append(events[0].stream_id)
        return super().document(events)


def test_a_stream_written_here_and_appended_elsewhere_since_is_caught_up(
    event_store, make_event_store, mongo_db
):
    here = Projector(event_store, [HoursView()], db=mongo_db)
    mine = event_store.append("volunteer-wang", [registered("王建国")], NO_STREAM)
    here.refresh_streams(["volunteer-wang"], known={"volunteer-wang": mine})
    make_event_store().append("volunteer-wang", [hours(4)])

    here.catch_up()

    assert mongo_db["hours_view"].find_one({"_id": "volunteer-wang"})["hours"] == 4
