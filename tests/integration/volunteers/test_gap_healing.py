"""A consumer whose copy of an event was lost heals the gap: it asks the source service
for what its stream lacks (`stream_events`) and applies it, instead of parking the
stream's later events for ever. Real volunteers service, broker and store; the consumer
is the activities service's volunteer directory, fed by hand so that one message can be
lost on purpose."""
from __future__ import annotations

import time

import pytest

from services.activities.directory import (
    VOLUNTEER_DIRECTORY,
    WANTED,
    DirectoryWrites,
    KnowsVolunteers,
    VolunteerDirectory,
)
from yinfa import failpoints
from yinfa.config import settings
from yinfa.messaging.dead_letters import DeadLetters
from yinfa.messaging.inbox import PARKED, Inbox
from yinfa.service.dependencies import events_of_stream

TINGHU = "320902"


@pytest.fixture
def keeper(mongo_db, amqp_uri):
    """The directory's inbox in a database of its own, as the activities service has it."""
    dead_letters = DeadLetters(amqp_uri)
    db = mongo_db.client[mongo_db.name + "_keeper"]
    inbox = Inbox(db, "activities", dead_letters, layout=VOLUNTEER_DIRECTORY)
    inbox.ensure_indexes()
    yield inbox
    dead_letters.close()
    mongo_db.client.drop_database(db.name)


def hand(inbox: Inbox, payloads: list[dict]) -> list[str]:
    """Payloads delivered to the directory's handler as one batch."""
    writes = DirectoryWrites(inbox.db)
    return inbox.handle(payloads, writes.add, WANTED.__contains__, flush=writes.flush)


@pytest.fixture
def suspended_volunteer(volunteers, registration):
    """A volunteer registered, verified and suspended: versions 1, 2 and 3."""
    vid = volunteers.register_volunteer(registration())["volunteer_id"]
    volunteers.verify_volunteer({"volunteer_id": vid, "county_code": TINGHU})
    volunteers.suspend_volunteer({"volunteer_id": vid, "reason": "住院"})
    return vid


def test_the_source_answers_a_stream_s_events_after_a_version(volunteers, suspended_volunteer):
    stream = f"volunteer-{suspended_volunteer}"

    later = volunteers.stream_events(stream, 1)

    assert [(e["stream_id"], e["version"], e["type"]) for e in later] == [
        (stream, 2, "VolunteerVerified"), (stream, 3, "VolunteerSuspended")]
    assert volunteers.stream_events("volunteer-nobody", 0) == []


def test_a_lost_event_is_fetched_from_its_source_and_the_stream_moves_on(
    volunteers, suspended_volunteer, keeper, service_config
):
    registered, verified, suspended = volunteers.stream_events(
        f"volunteer-{suspended_volunteer}", 0)
    directory = VolunteerDirectory(keeper.db)
    hand(keeper, [registered])
    assert hand(keeper, [suspended]) == [PARKED]  # the verification never came
    assert directory.status(suspended_volunteer) == "registered"

    keeper.fetch = events_of_stream(service_config, "volunteers")
    # a gap younger than the wait is left to the delivery that may still close it
    writes = DirectoryWrites(keeper.db)
    assert keeper.sweep(writes.add, WANTED.__contains__, writes.flush) == 0
    keeper.parked.update_many({}, {"$set": {"parked_at": time.time() - 60}})
    assert keeper.sweep(writes.add, WANTED.__contains__, writes.flush) == 1

    assert directory.status(suspended_volunteer) == "suspended"
    assert keeper.parked.count_documents({}) == 0
    assert keeper.applied_version(f"volunteer-{suspended_volunteer}") == 3
    # the lost message arrives after all: a duplicate, nothing changes
    assert hand(keeper, [verified]) == ["duplicate"]
    assert directory.status(suspended_volunteer) == "suspended"


def test_a_source_that_does_not_answer_leaves_the_gap_for_the_next_sweep(
    volunteers, suspended_volunteer, keeper
):
    registered, _, suspended = volunteers.stream_events(f"volunteer-{suspended_volunteer}", 0)
    hand(keeper, [registered, suspended])
    keeper.parked.update_many({}, {"$set": {"parked_at": time.time() - 60}})

    def unreachable(stream_id: str, after_version: int) -> list[dict]:
        raise OSError("the volunteers service does not answer")

    writes = DirectoryWrites(keeper.db)
    assert keeper.heal(unreachable, writes.add, WANTED.__contains__, writes.flush) == 0
    assert keeper.parked.count_documents({}) == 1  # kept, asked again next time


class DirectoryKeeper(KnowsVolunteers):
    """A consumer service holding the activities' directory replica."""

    name = "directory_keeper"


def test_a_message_lost_on_the_way_is_healed_by_the_running_consumer(
    container_factory, service_config, volunteers, registration, mongo_db, monkeypatch,
    eventually
):
    """The keeper loses the first message it receives (failpoint `consumer.drop_one`):
    its sweep fetches the missing events from the volunteers service and catches up."""
    monkeypatch.setenv("YINFA_FAILPOINTS", "consumer.drop_one")
    monkeypatch.setenv("YINFA_INBOX_HEAL_SECONDS", "1")
    settings.cache_clear()
    failpoints._reached.clear()
    keeper_config = dict(service_config, DB_NAME=mongo_db.name + "_keeper")
    container_factory(DirectoryKeeper, keeper_config).start()
    directory = VolunteerDirectory(mongo_db.client[keeper_config["DB_NAME"]])

    vid = volunteers.register_volunteer(registration())["volunteer_id"]  # lost
    volunteers.verify_volunteer({"volunteer_id": vid, "county_code": TINGHU})

    assert eventually(lambda: directory.status(vid) == "verified", timeout=30)
    assert failpoints._reached == {"consumer.drop_one"}  # a message was lost indeed
