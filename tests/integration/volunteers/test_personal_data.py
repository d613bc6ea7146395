"""Personal data kept apart from the events, sealed per person, on the real store and
through the real volunteers service."""
from __future__ import annotations

import uuid

import bson
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap

from services.volunteers import dependencies as personal
from yinfa.errors import AlreadyExists, DomainRuleViolated

WANG = {"name": "王建国", "phone": "13812345678", "id_number": "320902195603080038"}
LI = {"name": "李秀英", "phone": "13912345678", "id_number": "320902195603080054"}


def raw_bytes(db) -> bytes:
    """Every document of every collection of the database, as the store keeps it."""
    return b"".join(bson.encode(doc) for name in db.list_collection_names()
                    for doc in db[name].find())


def traces(person: dict) -> list[bytes]:
    return [person["name"].encode(), person["phone"].encode(), person["id_number"].encode()]


def test_a_sealed_person_opens_only_with_the_master_key_and_only_under_their_own_id():
    master, other = b"m" * 32, b"o" * 32
    sealed = personal.seal_person("v-1", WANG, master)
    assert personal.unseal(sealed, master) == WANG
    with pytest.raises(InvalidUnwrap):
        personal.unseal(sealed, other)
    with pytest.raises(InvalidTag):
        personal.unseal({**sealed, "_id": "v-2"}, master)


def test_the_store_holds_only_ciphertext_of_a_person(mongo_db):
    personal.keep(mongo_db, "v-1", WANG)
    stored = raw_bytes(mongo_db)
    assert not any(trace in stored for trace in traces(WANG))
    assert personal.reveal(mongo_db, "v-1") == WANG


def test_keeping_a_person_again_keeps_the_first_data(mongo_db):
    personal.keep(mongo_db, "v-1", WANG)
    personal.keep(mongo_db, "v-1", LI)
    personal.keep_many(mongo_db, [("v-1", LI), ("v-2", LI)])
    assert personal.reveal(mongo_db, "v-1") == WANG
    assert personal.people(mongo_db, ["v-1", "v-2", "v-3"]) == {"v-1": WANG, "v-2": LI}


def test_an_update_keeps_the_person_s_data_key(mongo_db):
    personal.keep(mongo_db, "v-1", WANG)
    key = mongo_db[personal.COLLECTION].find_one({"_id": "v-1"})["key"]
    personal.update(mongo_db, "v-1", {"phone": "13700000000"})
    assert personal.reveal(mongo_db, "v-1") == {**WANG, "phone": "13700000000"}
    assert mongo_db[personal.COLLECTION].find_one({"_id": "v-1"})["key"] == key


def test_erasing_destroys_the_data_and_its_key(mongo_db):
    personal.keep(mongo_db, "v-1", WANG)
    assert personal.erase(mongo_db, "v-1")
    assert personal.reveal(mongo_db, "v-1") is None
    assert mongo_db[personal.COLLECTION].count_documents({}) == 0
    assert not personal.erase(mongo_db, "v-1")


def test_a_registration_leaves_no_name_phone_or_id_number_in_events_or_views(
        volunteers, registration, mongo_db):
    person = registration(seq=41, name="欧阳建国", phone="13655556666")
    volunteer_id = volunteers.register_volunteer(person)["volunteer_id"]
    volunteers.update_profile({"volunteer_id": volunteer_id, "phone": "13677778888"})

    stored = raw_bytes(mongo_db)
    for trace in ("欧阳建国", "13655556666", "13677778888", person["id_number"]):
        assert trace.encode() not in stored, trace
    shown = volunteers.get_volunteer(volunteer_id)
    assert shown["name"] == "欧阳建国"
    assert shown["id_number_masked"] == person["id_number"][:6] + "*" * 12
    assert shown["phone_masked"] == "136****8888"
    revealed = volunteers.get_volunteer(volunteer_id, reveal=True)
    assert (revealed["id_number"], revealed["phone"]) == (person["id_number"], "13677778888")


def test_a_phone_change_is_recorded_by_name_only(volunteers, registration, mongo_db):
    volunteer_id = volunteers.register_volunteer(registration(seq=42))["volunteer_id"]
    volunteers.update_profile({"volunteer_id": volunteer_id, "phone": "13600001111"})
    volunteers.update_profile({"volunteer_id": volunteer_id, "phone": "13600001111"})
    commit = mongo_db["commits"].find_one({"stream_id": f"volunteer-{volunteer_id}",
                                           "version": 2})
    assert [e["type"] for e in commit["events"]] == ["VolunteerPersonalDataChanged"]
    assert commit["events"][0]["data"] == {"fields_changed": ["phone"]}
    assert mongo_db["commits"].count_documents({"stream_id": f"volunteer-{volunteer_id}"}) == 2


def test_an_erased_volunteer_keeps_hours_and_shows_as_erased(volunteers, registration, mongo_db):
    person = registration(seq=43, name="买买提·艾力", phone="13633334444")
    volunteer_id = volunteers.register_volunteer(person)["volunteer_id"]
    volunteers.verify_volunteer({"volunteer_id": volunteer_id, "county_code": "320902"})
    volunteers.record_hours({"volunteer_id": volunteer_id, "entry_id": str(uuid.uuid4()),
                             "hours": "3", "served_on": "2026-05-04", "source": "bureau"})

    erased = volunteers.erase_volunteer({"volunteer_id": volunteer_id})

    assert erased["status"] == "erased" and erased["name"] == "已注销"
    assert erased["total_hours"] == "3.0" and erased["id_number_masked"] is None
    assert volunteers.names_of([volunteer_id]) == {volunteer_id: "已注销"}
    assert volunteers.volunteers_without_personal_data() == []
    with pytest.raises(DomainRuleViolated, match="already erased"):
        volunteers.erase_volunteer({"volunteer_id": volunteer_id})
    with pytest.raises(DomainRuleViolated, match="erased volunteer"):
        volunteers.update_profile({"volunteer_id": volunteer_id, "phone": "13600002222"})
    stored = raw_bytes(mongo_db)
    assert not any(trace in stored for trace in traces(person))


def test_registering_an_erased_person_again_is_refused_and_keeps_no_data(
        volunteers, registration, mongo_db):
    person = registration(seq=45, name="欧阳·春")
    volunteer_id = volunteers.register_volunteer(person)["volunteer_id"]
    volunteers.erase_volunteer({"volunteer_id": volunteer_id})

    with pytest.raises(AlreadyExists):
        volunteers.register_volunteer(person)

    assert mongo_db[personal.COLLECTION].count_documents({"_id": volunteer_id}) == 0
    assert volunteers.get_volunteer(volunteer_id)["name"] == "已注销"
    assert not any(trace in raw_bytes(mongo_db) for trace in traces(person))


def test_a_person_whose_personal_data_is_missing_is_reported(volunteers, registration,
                                                              mongo_db):
    volunteer_id = volunteers.register_volunteer(registration(seq=44))["volunteer_id"]
    assert volunteers.volunteers_without_personal_data() == []
    mongo_db[personal.COLLECTION].delete_one({"_id": volunteer_id})
    assert volunteers.volunteers_without_personal_data() == [volunteer_id]
