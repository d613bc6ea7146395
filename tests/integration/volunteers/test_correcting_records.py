"""Corrections of a record over the real broker and store: the values go to the sealed
store only, the volunteer id stays when the ID number is corrected and the new number
finds the record, and a number that is another record's is refused for the merge."""
from __future__ import annotations

from datetime import date

import pytest

from contracts.volunteers.id_number import make_id_number
from yinfa.errors import AlreadyExists, ValidationFailed

TINGHU = "320902"
BORN = date(1956, 3, 8)  # the conftest's registrations
ON = {"reason": "户籍信息更正", "authority": "public_security"}


def stream_of(volunteers, vid):
    return volunteers.stream_events(f"volunteer-{vid}")


def test_a_corrected_name_is_sealed_and_the_event_names_the_field_only(volunteers,
                                                                        registration):
    vid = volunteers.register_volunteer(registration())["volunteer_id"]

    shown = volunteers.correct_record({"volunteer_id": vid, "name": "王建华", **ON})

    assert shown["name"] == "王建华" and shown["volunteer_id"] == vid
    last = stream_of(volunteers, vid)[-1]
    assert last["type"] == "VolunteerRecordCorrected"
    assert last["data"] == {"fields_corrected": ["name"], **ON}


def test_a_corrected_id_number_keeps_the_id_and_finds_the_record(volunteers,
                                                                 registration):
    first = registration(seq=7)
    vid = volunteers.register_volunteer(first)["volunteer_id"]
    number = make_id_number("320903", BORN, 301)  # mistyped region and sequence

    shown = volunteers.correct_record({"volunteer_id": vid, "id_number": number, **ON})

    assert shown["volunteer_id"] == vid and shown["id_number_masked"].startswith("320903")
    assert volunteers.get_volunteer(vid, True)["id_number"] == number
    assert volunteers.find_volunteer(number)["volunteer_id"] == vid
    assert volunteers.find_volunteer(first["id_number"])["volunteer_id"] == vid  # the old
    with pytest.raises(AlreadyExists):  # the new number registers no second person
        volunteers.register_volunteer(registration(seq=7, id_number=number))
    roster = volunteers.register_volunteers([registration(seq=7, id_number=number)])
    assert roster["results"] == [{"index": 0, "status": "exists", "volunteer_id": vid}]
    assert number not in str(stream_of(volunteers, vid))


def test_another_records_number_is_refused_for_the_merge_and_changes_nothing(
        volunteers, registration, mongo_db):
    vid = volunteers.register_volunteer(registration(seq=11))["volunteer_id"]
    other = registration(seq=12)
    other_vid = volunteers.register_volunteer(other)["volunteer_id"]
    commits = mongo_db["commits"].count_documents({})

    with pytest.raises(AlreadyExists, match="merge") as refused:
        volunteers.correct_record({"volunteer_id": vid, "id_number": other["id_number"], **ON})

    assert other_vid in str(refused.value) and refused.value.field == "id_number"
    assert mongo_db["commits"].count_documents({}) == commits
    assert volunteers.get_volunteer(vid, True)["id_number"] == registration(seq=11)["id_number"]


def test_two_records_corrected_to_one_number_at_once_one_wins(volunteers, registration,
                                                              at_once):
    vids = [volunteers.register_volunteer(registration(seq=seq))["volunteer_id"]
            for seq in (21, 22)]
    number = make_id_number("320904", BORN, 401)

    outcomes = at_once("correct_record",
                       *[{"volunteer_id": vid, "id_number": number, **ON} for vid in vids])

    refused = [o for o in outcomes if isinstance(o, AlreadyExists)]
    assert len(refused) == 1
    winner = next(o for o in outcomes if isinstance(o, dict))["volunteer_id"]
    assert volunteers.find_volunteer(number)["volunteer_id"] == winner


def test_a_correction_without_a_reason_or_authority_is_refused(volunteers, registration,
                                                               mongo_db):
    vid = volunteers.register_volunteer(registration(seq=31))["volunteer_id"]
    commits = mongo_db["commits"].count_documents({})

    with pytest.raises(ValidationFailed) as refused:
        volunteers.correct_record({"volunteer_id": vid, "name": "王建华", "authority": "x"})

    assert {"reason", "authority"} <= set(refused.value.errors)
    assert mongo_db["commits"].count_documents({}) == commits
