"""The volunteers service over real RabbitMQ and the real store."""
from __future__ import annotations

import pytest

from yinfa.errors import AlreadyExists, DomainRuleViolated, ValidationFailed
from yinfa.projections import Projector
from yinfa.store.event_store import EventStore

TINGHU = "320902"


def test_a_registered_volunteer_is_shown_with_masked_personal_data(volunteers, registration):
    shown = volunteers.register_volunteer(registration())

    assert shown["status"] == "registered"
    assert shown["id_number_masked"].startswith("320902") and "*" in shown["id_number_masked"]
    assert shown["phone_masked"] == "138****5678"
    assert "id_number" not in shown and "phone" not in shown


def test_a_registrations_answer_is_the_volunteer_as_read_back(volunteers, registration):
    """The answer is built from what the registration recorded, not read back: it must be
    exactly what a read gives, skills, hours and personal data masked alike."""
    shown = volunteers.register_volunteer(registration(skills=["medicine", "law"]))

    assert shown == volunteers.get_volunteer(shown["volunteer_id"])


def test_a_retried_registration_answers_the_personal_data_kept_first(
        volunteers, mongo_db, registration):
    """A registration that crashed after keeping the personal data and is retried with
    other data answers the data kept (the first), as a read does."""
    first = registration()
    vid = volunteers.register_volunteer(first)["volunteer_id"]
    mongo_db["commits"].delete_many({})  # as if the first had stopped before its events
    mongo_db["volunteer_view"].delete_many({})

    shown = volunteers.register_volunteer({**first, "name": "李四"})

    assert shown["name"] == first["name"] == volunteers.get_volunteer(vid)["name"]


def test_revealing_personal_data_gives_the_full_id_number(volunteers, registration):
    payload = registration()
    shown = volunteers.register_volunteer(payload)

    revealed = volunteers.get_volunteer(shown["volunteer_id"], True)

    assert revealed["id_number"] == payload["id_number"]
    assert revealed["phone"] == payload["phone"]


def test_registering_the_same_id_number_twice_is_refused_and_stores_nothing(
    volunteers, mongo_db
, registration):
    volunteers.register_volunteer(registration())
    before = mongo_db["commits"].count_documents({})

    with pytest.raises(AlreadyExists) as refused:
        volunteers.register_volunteer(registration(name="李四"))

    assert refused.value.field == "id_number"
    assert mongo_db["commits"].count_documents({}) == before


def test_an_invalid_id_number_is_refused_naming_the_field(volunteers, mongo_db, registration):
    bad = registration()
    bad["id_number"] = bad["id_number"][:-1] + ("0" if bad["id_number"][-1] != "0" else "1")

    with pytest.raises(ValidationFailed) as refused:
        volunteers.register_volunteer(bad)

    assert "id_number" in refused.value.errors
    assert mongo_db["commits"].count_documents({}) == 0


def test_verifying_a_withdrawn_volunteer_is_refused(volunteers, registration):
    vid = volunteers.register_volunteer(registration())["volunteer_id"]
    volunteers.withdraw_volunteer({"volunteer_id": vid, "reason_code": "deceased"})

    with pytest.raises(DomainRuleViolated):
        volunteers.verify_volunteer({"volunteer_id": vid, "county_code": TINGHU})


def test_hours_reach_a_star_once_verified(volunteers, registration):
    vid = volunteers.register_volunteer(registration())["volunteer_id"]
    volunteers.verify_volunteer({"volunteer_id": vid, "county_code": TINGHU})
    for n in range(5):
        volunteers.record_hours({
            "volunteer_id": vid, "entry_id": f"00000000-0000-4000-8000-00000000000{n}",
            "hours": 20, "served_on": f"2026-10-0{n + 1}", "source": "bureau",
        })

    shown = volunteers.get_volunteer(vid)

    assert (shown["star_level_reached"], shown["star_level_pending"]) == (1, 1)
    assert shown["star_level"] == 0  # until the county bureau approves it
    assert shown["verified_hours"] == "100.0" or float(shown["verified_hours"]) == 100


def test_joining_a_team_twice_is_refused(volunteers, registration):
    vid = volunteers.register_volunteer(registration())["volunteer_id"]
    team = volunteers.create_team({"name": "亭湖理论宣讲团", "category": "theory_outreach",
                                   "county_code": TINGHU})
    volunteers.join_team({"team_id": team["team_id"], "volunteer_id": vid})

    with pytest.raises(AlreadyExists):
        volunteers.join_team({"team_id": team["team_id"], "volunteer_id": vid})

    assert volunteers.get_volunteer(vid)["teams"] == [team["team_id"]]


def test_views_equal_a_rebuild_from_events(volunteers, mongo_client, mongo_db, registration):
    ids = [volunteers.register_volunteer(registration(seq=n))["volunteer_id"] for n in range(4)]
    volunteers.verify_volunteer({"volunteer_id": ids[0], "county_code": TINGHU})
    volunteers.suspend_volunteer({"volunteer_id": ids[1], "reason": "长期外出"})
    team = volunteers.create_team({"name": "润苗育才队", "category": "youth_nurturing",
                                   "county_code": TINGHU})
    volunteers.join_team({"team_id": team["team_id"], "volunteer_id": ids[0]})

    rebuilt_db = mongo_client[mongo_db.name + "_rebuilt"]
    try:
        from contracts.volunteers.streams import build_registry
        from services.volunteers.views import VIEWS

        Projector(EventStore(mongo_db, build_registry()), VIEWS, db=rebuilt_db).rebuild()
        for collection in ("volunteer_view", "team_view"):
            live = sorted(mongo_db[collection].find(), key=lambda d: d["_id"])
            rebuilt = sorted(rebuilt_db[collection].find(), key=lambda d: d["_id"])
            assert live == rebuilt and live, collection
    finally:
        mongo_client.drop_database(rebuilt_db.name)
