"""Hours fed by the activities service's events: recorded once, however often delivered."""
from __future__ import annotations

import uuid

import polling
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


def completed(volunteer_id: str, entry_id: str, hours: str) -> NewEvent:
    return NewEvent("ActivityCompleted", {"served": [
        {"volunteer_id": volunteer_id, "entry_id": entry_id, "hours": hours,
         "served_on": "2026-11-02"}]})


def corrected(volunteer_id: str, entry_id: str, hours: str) -> NewEvent:
    return NewEvent("CompletionCorrected", {"reason": "签到表核对", "corrections": [
        {"volunteer_id": volunteer_id, "entry_id": entry_id, "hours": hours,
         "served_on": "2026-11-02", "new_entry": False}]})


def test_completions_and_corrections_reach_the_ledger_once(
    volunteers, activities_outbox, registration, eventually
):
    store, relay = activities_outbox
    vid = volunteers.register_volunteer(registration())["volunteer_id"]
    volunteers.verify_volunteer({"volunteer_id": vid, "county_code": "320902"})
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    talk, clinic = f"activity-{uuid.uuid4()}", f"activity-{uuid.uuid4()}"
    store.append(talk, [completed(vid, first, "3.5")], NO_STREAM)
    store.append(clinic, [completed(vid, second, "2")], NO_STREAM)
    store.append(clinic, [corrected(vid, second, "1.5")], 1)

    relay.run_once()
    eventually(lambda: volunteers.get_volunteer(vid)["total_hours"] == "5.0")

    relay.db["relay_checkpoints"].delete_many({})  # as if the relay crashed before marking
    relay.run_once()
    polling.throughout(lambda: volunteers.get_volunteer(vid)["total_hours"] == "5.0",
                       seconds=1.0, every=0.25)
