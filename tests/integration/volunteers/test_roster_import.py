"""Registering a roster in one call (`register_volunteers`), over real RabbitMQ and the
real store: each item answered on its own, and what is recorded is what registering the
same people one by one records."""
from __future__ import annotations

import pytest

from services.activities.directory import KnowsVolunteers, VolunteerDirectory
from services.volunteers import dependencies as personal
from services.volunteers.service import VolunteersService
from yinfa.errors import ValidationFailed

TINGHU = "320902"


class DirectoryKeeper(KnowsVolunteers):
    """Another service's replica of the volunteers, fed by the relay."""

    name = "directory_keeper"


def with_bad_check_digit(payload: dict) -> dict:
    number = payload["id_number"]
    return {**payload, "id_number": number[:-1] + ("0" if number[-1] != "0" else "1")}


def test_each_item_of_a_roster_is_answered_in_order(volunteers, registration, mongo_db):
    known = volunteers.register_volunteer(registration(seq=1))
    roster = [
        registration(seq=2),
        with_bad_check_digit(registration(seq=3)),
        registration(seq=1, name="王建国（又报一次）"),  # registered before
        registration(seq=4),
        registration(seq=4, name="同一人两次"),  # the same ID number again in this roster
        "不是一个对象",
        registration(seq=5, skills=["juggling"]),
        registration(seq=6, nickname="老王"),
    ]

    answer = volunteers.register_volunteers(roster)

    results = answer["results"]
    assert [r["index"] for r in results] == list(range(len(roster)))
    assert [r["status"] for r in results] == [
        "created", "invalid", "exists", "created", "exists", "invalid", "invalid", "invalid"]
    assert answer["created"] == 2
    assert results[2]["volunteer_id"] == known["volunteer_id"]
    assert results[4]["volunteer_id"] == results[3]["volunteer_id"]
    assert "id_number" in results[1]["errors"]
    assert "skills" in results[6]["errors"]
    assert "nickname" in results[7]["errors"]
    assert "volunteer_id" not in results[1]
    assert mongo_db["commits"].count_documents({}) == 3
    assert volunteers.get_volunteer(known["volunteer_id"])["name"] == "王建国"


def test_registered_items_are_readable_at_once_with_personal_data_kept_apart(
    volunteers, registration
):
    roster = [registration(seq=n) for n in range(10, 15)]

    results = volunteers.register_volunteers(roster)["results"]

    for payload, result in zip(roster, results, strict=True):
        shown = volunteers.get_volunteer(result["volunteer_id"])
        assert shown["status"] == "registered"
        assert shown["phone_masked"] == "138****5678" and "id_number" not in shown
        revealed = volunteers.get_volunteer(result["volunteer_id"], True)
        assert revealed["id_number"] == payload["id_number"]


def test_a_roster_records_what_registering_one_by_one_records(
    container_factory, service_config, rpc_proxy, registration, mongo_client, mongo_db
):
    roster = [registration(seq=n, party_member=n % 2 == 0) for n in range(20, 32)]
    batched = container_factory(VolunteersService, service_config)
    batched.start()
    rpc_proxy("volunteers").register_volunteers(roster)
    batched.stop()
    one_by_one = mongo_client[mongo_db.name + "_singles"]
    try:
        container_factory(VolunteersService, {**service_config,
                                               "DB_NAME": one_by_one.name}).start()
        single = rpc_proxy("volunteers")
        for payload in roster:
            single.register_volunteer(payload)

        assert len(recorded(mongo_db)) == len(roster)
        assert recorded(mongo_db) == recorded(one_by_one)
        assert documents(mongo_db["volunteer_view"]) == documents(one_by_one["volunteer_view"])
        assert people(mongo_db) == people(one_by_one)  # sealed under other keys: opened
    finally:
        mongo_client.drop_database(one_by_one.name)


def recorded(db) -> list[tuple]:
    """Events as a reader sees them, without what differs by the moment of recording."""
    return [(c["stream_id"], c["position"], c["version"], e["type"], e["schema_version"],
             e["data"])
            for c in db["commits"].find().sort("position", 1) for e in c["events"]]


def people(db) -> dict[str, dict]:
    return personal.people(db, [d["_id"] for d in db[personal.COLLECTION].find({}, {"_id": 1})])


def documents(collection) -> list[dict]:
    return sorted(({k: v for k, v in d.items() if k != "registered_at"}
                   for d in collection.find()), key=lambda d: d["_id"])


def test_events_of_a_roster_carry_the_callers_correlation_id(
    volunteers, rpc_proxy, registration, mongo_db
):
    caller = rpc_proxy("volunteers", context_data={"correlation_id": "roster-2026-11",
                                                    "actor": "feed_client:民政局"})

    caller.register_volunteers([registration(seq=40), registration(seq=41)])

    commits = list(mongo_db["commits"].find())
    assert len(commits) == 2
    assert {(c["correlation_id"], c["actor"]) for c in commits} == {
        ("roster-2026-11", "feed_client:民政局")}


def test_a_roster_reaches_other_services_through_the_relay(
    container_factory, service_config, mongo_db, volunteers, registration, eventually
):
    keeper = dict(service_config, DB_NAME=mongo_db.name + "_keeper")
    container_factory(DirectoryKeeper, keeper).start()
    directory = VolunteerDirectory(mongo_db.client[keeper["DB_NAME"]])

    results = volunteers.register_volunteers([registration(seq=n) for n in range(50, 56)])
    ids = [r["volunteer_id"] for r in results["results"]]

    assert eventually(lambda: all(directory.status(v) == "registered" for v in ids))
    assert {county_in(directory, v) for v in ids} == {TINGHU}


@pytest.mark.parametrize("roster", [[], "一份名单", list(range(501))])
def test_an_empty_oversized_or_malformed_roster_is_refused_whole(
    volunteers, mongo_db, roster
):
    with pytest.raises(ValidationFailed) as refused:
        volunteers.register_volunteers(roster)

    assert "items" in refused.value.errors
    assert mongo_db["commits"].count_documents({}) == 0


def county_in(directory, volunteer_id):
    """The county the replica holds for a volunteer (activities keep it, unused)."""
    doc = directory.volunteers.find_one({"_id": f"volunteer-{volunteer_id}"})
    return None if doc is None else doc.get("county_code")
