"""Hours fed by the activities service's events: recorded once, however often delivered."""
from __future__ import annotations

import time
import uuid

import pytest

from yinfa.events.envelope import NewEvent
from yinfa.messaging.relay import OutboxRelay
from yinfa.store.event_store import NO_STREAM, EventStore


@pytest.fixture
def activities_outbox(mongo_client, mongo_db, service_config):
    """The activities service's store and relay, as a real publisher on the test vhost."""
    db = mongo_client[mongo_db.name + "_activities"]
    store = EventStore(db)
    store.ensure_indexes()
    yield store, OutboxRelay(store, service_config["AMQP_URI"], "activities")
    mongo_client.drop_database(db.name)


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def served(volunteer_id: str, hours: str) -> NewEvent:
    return NewEvent("VolunteerServed", {
        "volunteer_id": volunteer_id, "activity_id": str(uuid.uuid4()),
        "hours": hours, "served_on": "2026-11-02",
    })


def test_service_hours_from_an_activity_reach_the_ledger_once(
    volunteers, activities_outbox, registration
):
    store, relay = activities_outbox
    vid = volunteers.register_volunteer(registration())["volunteer_id"]
    volunteers.verify_volunteer({"volunteer_id": vid, "county_code": "320902"})
    store.append("activity-1", [served(vid, "3.5")], NO_STREAM)
    store.append("activity-2", [served(vid, "2")], NO_STREAM)

    relay.run_once()
    assert wait_for(lambda: volunteers.get_volunteer(vid)["total_hours"] == "5.5")

    relay.db["relay_checkpoints"].delete_many({})  # as if the relay crashed before marking
    relay.run_once()
    time.sleep(1.0)

    assert volunteers.get_volunteer(vid)["total_hours"] == "5.5"
