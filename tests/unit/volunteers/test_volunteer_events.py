import json
from datetime import date
from decimal import Decimal
from functools import partial

from contracts.volunteers import events as ev
from contracts.volunteers.id_number import make_id_number
from services.volunteers.domain import (
    certificate as cert,
    commands as c,
    team as t,
    volunteer as v,
)

WANG_ID = make_id_number("320902", date(1956, 10, 1), 123)

V1_REGISTRATION = {
    "name": "李秀英", "gender": "female", "birth_year": 1950,
    "id_number_masked": "320923********0024", "phone": "13951500024", "county_code": "320923",
    "former_employer": "阜宁县人民医院", "retirement_status": "lixiu", "party_member": True,
    "branch_id": None, "skills": ["medicine"],
}


from test_merging import every_merge_event  # noqa: E402
from test_moving_city import every_city_transfer_event  # noqa: E402
from test_nominations import every_recognition_event  # noqa: E402
from test_transfers import every_transfer_event  # noqa: E402

WANG = "0f5c6b1e-8a7d-4c2e-9b1a-3d4e5f607182"


def a_volunteers_whole_life(registering, decide, hours, entry, small_stars):
    """Every volunteer event type, produced by the domain itself."""
    produced = []
    steps = [
        (v.update_profile, c.UpdateProfile(WANG, {"insurance": False})),
        (partial(v.update_profile, personal_changed=["phone"]),
         c.UpdateProfile(WANG, {"phone": "13951500000"})),
        (v.record_hours, hours(24, name="义诊")),
        (partial(v.correct_record, kept={"name": "王建国", "id_number": WANG_ID}),
         c.CorrectRecord(WANG, "户籍信息更正", "public_security", name="王建华")),
        (v.verify, c.VerifyVolunteer(WANG, "320902", "已核实")),
        (v.return_star_level, c.ReturnStarLevel(WANG, 1, "county", "签到表待核实")),
        (v.record_hours, hours(1, name="补录")),
        (v.approve_star_level, c.ApproveStarLevel(WANG, 1, "county", "已认定")),
        (v.correct_hours, c.CorrectHours(WANG, entry("义诊"), Decimal("8.5"), "更正")),
        (v.suspend, c.SuspendVolunteer(WANG, "外出就医")),
        (v.reinstate, c.ReinstateVolunteer(WANG, None)),
        (v.withdraw, c.WithdrawVolunteer(WANG, "moved_away", "随子女迁居南京")),
        (v.return_after_withdrawal, c.ReturnVolunteer(WANG, "回盐城定居，本人申请")),
        (v.erase, c.EraseVolunteer(WANG, "person_request", date(2026, 12, 1))),
    ]
    events, state = decide(None, v.register, registering(), small_stars)
    produced += events
    for command_fn, command in steps:
        events, state = decide(state, command_fn, command, small_stars)
        produced += events
    return produced


def team_events(catalog):
    team_id = "5b2e9d40-1c3a-4f6e-8d7b-2a9c0e1f3d45"
    created = t.create_team(None, c.CreateTeam(team_id, "盐都区银发义诊队", "health_care",
                                               "320903"), catalog)
    joined = t.join_team(t.replay(created), c.JoinTeam(team_id, WANG), "active")
    left = t.leave_team(t.replay(joined, t.replay(created)), c.LeaveTeam(team_id, WANG))
    return created + joined + left


def certificate_events(holder):
    issue = c.IssueCertificate(WANG, "ABCD-EFGH-JKLM", "county_admin")
    issued = cert.issue(None, issue, holder, date(2026, 12, 1))
    revoked = cert.revoke(cert.replay(issued), c.RevokeCertificate(issue.code, "信息有误"),
                          date(2026, 12, 2))
    return issued + revoked


def test_every_emitted_event_matches_its_current_schema_and_is_json(
    registering, decide, hours, entry, small_stars, catalog, volunteer
):
    produced = a_volunteers_whole_life(registering, decide, hours, entry, small_stars)
    produced += team_events(catalog)
    produced += certificate_events(volunteer("active"))
    produced += every_transfer_event(volunteer("active"))
    produced += every_merge_event(volunteer("active"), volunteer("active"), catalog)
    produced += every_city_transfer_event(volunteer("active"), catalog)
    produced += every_recognition_event(volunteer("active"))

    assert {e.type for e in produced} == set(ev.CURRENT_VERSIONS)
    for event in produced:
        assert event.schema_version == ev.CURRENT_VERSIONS[event.type]
        schema = ev.SCHEMAS[(event.type, event.schema_version)]()
        assert schema.load(event.data) == event.data
        json.dumps(event.data)


def test_every_event_type_has_a_schema_for_its_current_version():
    for event_type, version in ev.CURRENT_VERSIONS.items():
        assert (event_type, version) in ev.SCHEMAS


def test_registration_is_at_version_three_which_carries_no_personal_data():
    assert ev.CURRENT_VERSIONS["VolunteerRegistered"] == 3
    assert "insurance" in ev.SCHEMAS[("VolunteerRegistered", 2)]().fields
    assert "insurance" not in ev.SCHEMAS[("VolunteerRegistered", 1)]().fields
    assert not {"name", "phone", "id_number_masked", "id_number"} & set(
        ev.SCHEMAS[("VolunteerRegistered", 3)]().fields)


def test_a_version_one_registration_is_upcast_without_insurance_or_personal_data():
    upcast = ev.upcast("VolunteerRegistered", 1, V1_REGISTRATION)

    personal = {"name", "phone", "id_number_masked"}
    assert upcast == {**{k: v for k, v in V1_REGISTRATION.items() if k not in personal},
                      "insurance": False}
    assert ev.SCHEMAS[("VolunteerRegistered", 3)]().load(upcast) == upcast
    assert "insurance" not in V1_REGISTRATION


def test_a_profile_update_that_carried_a_phone_is_upcast_without_it():
    assert ev.upcast("VolunteerProfileUpdated", 1, {"phone": "13951500024", "skills": []}) == {
        "skills": []}


def test_upcasting_a_current_payload_changes_nothing():
    current = ev.upcast("VolunteerRegistered", 1, {**V1_REGISTRATION, "insurance": True})
    assert ev.upcast("VolunteerRegistered", 3, current) == current
    assert ev.upcast("HoursRecorded", 1, {"entry_id": "e"}) == {"entry_id": "e"}


def test_an_upcast_version_one_registration_folds_into_a_volunteer():
    data = ev.UPCASTERS[("VolunteerRegistered", 1)](V1_REGISTRATION)
    state = v.evolve(None, "VolunteerRegistered", data)
    assert state.insurance is False and state.retirement_status == "lixiu"


def test_hours_in_payloads_are_decimal_strings_with_one_decimal_at_most():
    schema = ev.SCHEMAS[("HoursRecorded", 1)]()
    good = {"entry_id": "e", "hours": "2.5", "served_on": "2023-10-23", "source": "bureau"}
    assert schema.validate(good) == {}
    assert "hours" in schema.validate({**good, "hours": "2.55"})
    assert "served_on" in schema.validate({**good, "served_on": "23/10/2023"})
