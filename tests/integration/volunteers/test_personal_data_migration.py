"""`yinfa migrate personal-data` on a store written before personal data left the events:
afterwards a raw scan of every database finds no name, phone or ID number, and every
reader sees what it saw before."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import bson
import kombu

from contracts.activities.streams import build_registry as activities_registry
from contracts.branches.streams import build_registry as branches_registry
from contracts.volunteers.streams import build_registry
from services.activities.dependencies import wish_description
from services.branches import dependencies as people
from services.volunteers import dependencies as personal
from services.volunteers.domain.volunteer import replay as fold_volunteer
from yinfa.events.envelope import Metadata, NewEvent
from yinfa.store.event_store import NO_STREAM, EventStore

VOLUNTEER_ID = "0b9e4a4e-8f0c-8d2b-9a1e-3c5d7f9b1a2c"
OLD_REGISTRATION = {
    "name": "欧阳秀英", "gender": "female", "birth_year": 1952,
    "id_number_masked": "320902********0024", "phone": "13951500024",
    "county_code": "320902", "former_employer": "亭湖区人民医院",
    "retirement_status": "tuixiu", "party_member": True, "branch_id": None,
    "skills": ["medicine"], "insurance": True,
}
FULL_ID = "320902195205050024"
TRACES = ("欧阳秀英", "13951500024", "13951509999", FULL_ID, "320902********0024",
          "司马建国", "诸葛桂英", "想请人陪着去菜市场")
OLD_WISH = {"client_request_id": "r-1", "label": "王奶奶", "county_code": "320902",
            "category": "companionship", "description": "想请人陪着去菜市场",
            "posted_by": {"kind": "community", "id": "c-1"},
            "posted_at": "2026-05-01T01:00:00+00:00", "expires_at": "2026-06-30T01:00:00+00:00"}
OLD_BRANCH = {"name": "亭湖区财政局离退休干部党支部", "branch_type": "formal", "level": "branch",
              "county_code": "320902", "parent_id": None, "former_employer": "亭湖区财政局",
              "community": None, "secretary": "司马建国", "liaison": "诸葛桂英",
              "established_on": "2021-03-01"}


def everything(client, prefix: str) -> bytes:
    return b"".join(bson.encode(doc) for name in client.list_database_names()
                    if name.startswith(prefix)
                    for collection in client[name].list_collection_names()
                    for doc in client[name][collection].find())


def old_store(client, prefix: str) -> EventStore:
    """What a store written by the former version holds."""
    volunteers = client[f"{prefix}_volunteers"]
    store = EventStore(volunteers, build_registry())
    store.ensure_indexes()
    stream = f"volunteer-{VOLUNTEER_ID}"
    store.append(stream, [NewEvent("VolunteerRegistered", OLD_REGISTRATION, 2)], NO_STREAM,
                 Metadata(actor="test"))
    store.append(stream, [NewEvent("VolunteerProfileUpdated", {"phone": "13951509999"}, 1)],
                 1, Metadata(actor="test"))
    volunteers[personal.COLLECTION].insert_one(
        {"_id": VOLUNTEER_ID, "id_number": FULL_ID, "phone": "13951509999"})
    volunteers["volunteer_view"].insert_one(
        {"_id": stream, "volunteer_id": VOLUNTEER_ID, "name": "欧阳秀英",
         "id_number_masked": "320902********0024", "phone_masked": "139****9999"})
    client[f"{prefix}_activities"]["volunteer_directory"].insert_one(
        {"_id": stream, "county_code": "320902", "name": "欧阳秀英", "registered": True})
    activities = EventStore(client[f"{prefix}_activities"], activities_registry())
    activities.ensure_indexes()
    activities.append("wish-w1", [NewEvent("WishPosted", OLD_WISH, 1)], NO_STREAM,
                      Metadata(actor="test"))
    branches = EventStore(client[f"{prefix}_branches"], branches_registry())
    branches.ensure_indexes()
    branches.append("branch-b1", [NewEvent("BranchEstablished", OLD_BRANCH, 1)], NO_STREAM,
                    Metadata(actor="test"))
    packed = json.dumps([["e1", "VolunteerRegistered", stream, 1, None, OLD_REGISTRATION],
                         ["e2", "BranchEstablished", "branch-b1", 1, None, OLD_BRANCH]],
                        ensure_ascii=False)
    client[f"{prefix}_scoring"]["journal"].insert_one(
        {"_id": "j1", "events": [{"type": "SourceEventsKept", "data": {"packed": packed}}]})
    return store


def run_migration(mongo_uri: str, prefix: str) -> dict[str, str]:
    """The command as an operator runs it; its counts from its last line."""
    done = subprocess.run(
        [sys.executable, "-m", "yinfa.cli", "migrate", "personal-data", "--skip-queues"],
        env={**os.environ, "MONGO_URI": mongo_uri, "YINFA_DB_PREFIX": prefix},
        capture_output=True, text=True, timeout=120, check=True)
    return dict(pair.split("=") for pair in done.stdout.strip().splitlines()[-1].split())


def test_the_migration_leaves_personal_data_only_sealed(mongo_client, mongo_uri):
    prefix = "t_migrate_personal"
    store = old_store(mongo_client, prefix)
    assert all(trace.encode() in everything(mongo_client, prefix) for trace in TRACES)
    before = fold_volunteer(store.read_stream(f"volunteer-{VOLUNTEER_ID}"))

    counts = run_migration(mongo_uri, prefix)

    assert counts == {"commits": "2", "people": "1", "views": "1",
                      "activities_directory": "1", "branches_directory": "0",
                      "branch_commits": "1", "wish_commits": "1", "journal": "1"}
    stored = everything(mongo_client, prefix)
    assert not [trace for trace in TRACES if trace.encode() in stored]
    assert fold_volunteer(store.read_stream(f"volunteer-{VOLUNTEER_ID}")) == before
    assert personal.reveal(mongo_client[f"{prefix}_volunteers"], VOLUNTEER_ID) == {
        "name": "欧阳秀英", "phone": "13951509999", "id_number": FULL_ID}
    branch = mongo_client[f"{prefix}_branches"]["branch_view"].find_one({})
    assert people.names_of(mongo_client[f"{prefix}_branches"],
                           [branch["secretary_ref"], branch["liaison_ref"]]) == {
        branch["secretary_ref"]: "司马建国", branch["liaison_ref"]: "诸葛桂英"}
    assert wish_description(mongo_client[f"{prefix}_activities"], "w1") == (
        "想请人陪着去菜市场")
    again = run_migration(mongo_uri, prefix)
    assert again == dict.fromkeys(counts, "0")
    for name in mongo_client.list_database_names():
        if name.startswith(prefix):
            mongo_client.drop_database(name)


def test_the_migration_rewrites_old_events_waiting_in_queues_in_their_order(
        mongo_uri, rabbit_config, request):
    amqp_uri = rabbit_config["AMQP_URI"]
    old = {"event_id": "e-old", "type": "VolunteerRegistered", "schema_version": 2,
           "stream_id": f"volunteer-{VOLUNTEER_ID}", "version": 1, "data": OLD_REGISTRATION}
    later = {**old, "event_id": "e-later", "type": "VolunteerVerified", "schema_version": 1,
             "version": 2, "data": {"county_code": "320902", "note": None}}
    with kombu.Connection(amqp_uri) as connection:
        for name in ("evt-volunteers--somewhere", "dlq.somewhere"):
            queue = kombu.Queue(name, durable=True)(connection.default_channel)
            queue.declare()
            producer = kombu.Producer(connection.default_channel)
            for body in (old, [old, later], "not an event"):
                producer.publish(json.dumps(body, ensure_ascii=False), routing_key=name,
                                 delivery_mode=2, headers={"x-reason": "kept"})
    env = {**os.environ, "MONGO_URI": mongo_uri, "YINFA_DB_PREFIX": "t_migrate_queues",
           "AMQP_URI": amqp_uri, "RABBIT_CTL_URI": request.config.getoption("RABBIT_API_URI")}
    with kombu.Connection(amqp_uri) as holder:  # an RPC client's reply queue: not ours
        kombu.Queue("rpc.reply-held", exclusive=True)(holder.default_channel).declare()
        done = subprocess.run([sys.executable, "-m", "yinfa.cli", "migrate", "personal-data"],
                              env=env, capture_output=True, text=True, timeout=120,
                              check=True)
    assert "queued=4" in done.stdout
    with kombu.Connection(amqp_uri) as connection:
        for name in ("evt-volunteers--somewhere", "dlq.somewhere"):
            queue = kombu.Queue(name, durable=True)(connection.default_channel)
            bodies = []
            while (message := queue.get(no_ack=True, accept=None)) is not None:
                assert message.headers["x-reason"] == "kept"
                bodies.append(message.body if isinstance(message.body, str)
                              else message.body.decode())
            assert len(bodies) == 3 and json.loads(bodies[2]) == "not an event"
            assert not [t for t in TRACES if any(t in body for body in bodies)]
            first, batch = json.loads(bodies[0]), json.loads(bodies[1])
            assert first["schema_version"] == 3 and "name" not in first["data"]
            assert [e["event_id"] for e in batch] == ["e-old", "e-later"]
