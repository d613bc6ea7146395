import uuid
from datetime import date
from decimal import Decimal

import pytest

from services.volunteers.domain import commands as c, volunteer as v
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound

WANG = "0f5c6b1e-8a7d-4c2e-9b1a-3d4e5f607182"


def verifying(county_code="320902"):
    return c.VerifyVolunteer(WANG, county_code)


def test_registering_records_no_name_phone_or_id_number_in_the_event(decide, registering):
    command = registering()
    events, state = decide(None, v.register, command)

    assert [e.type for e in events] == ["VolunteerRegistered"]
    data = str(events[0].data)
    for personal in (command.name, command.phone, "320902195610011233", "1233"):
        assert personal not in data
    assert state.status == "registered" and not state.verified
    assert state.skills == ("theory", "economy")


def test_registering_an_existing_volunteer_is_refused_on_the_id_number(
    volunteer, registering, catalog
):
    with pytest.raises(AlreadyExists) as refused:
        v.register(volunteer("registered"), registering(), catalog)
    assert refused.value.field == "id_number"


def test_the_same_id_number_always_leads_to_the_same_volunteer_id():
    first = v.volunteer_id_for("11010519491231002X", "bureau-secret")
    again = v.volunteer_id_for(" 11010519491231002x ", "bureau-secret")

    assert first == again
    assert uuid.UUID(first).version == 8


def test_another_secret_gives_another_volunteer_id():
    assert v.volunteer_id_for("11010519491231002X", "a") != v.volunteer_id_for(
        "11010519491231002X", "b"
    )


def test_a_volunteer_id_cannot_be_derived_without_a_secret():
    with pytest.raises(ValueError):
        v.volunteer_id_for("11010519491231002X", "")


def test_the_own_county_bureau_verifies_a_registered_volunteer(volunteer, decide):
    events, state = decide(volunteer("registered"), v.verify, verifying())

    assert [e.type for e in events] == ["VolunteerVerified"]
    assert state.status == "verified" and state.verified


def test_a_bureau_of_another_county_cannot_verify(volunteer, catalog):
    with pytest.raises(DomainRuleViolated) as refused:
        v.verify(volunteer("registered"), verifying("320903"), catalog)
    assert refused.value.field == "county_code"
    assert refused.value.context == {"volunteer_county": "320902", "verifier_county": "320903"}


def test_verifying_twice_is_refused(volunteer, catalog):
    with pytest.raises(DomainRuleViolated, match="already verified"):
        v.verify(volunteer("verified"), verifying(), catalog)


def test_verifying_a_withdrawn_volunteer_is_refused(volunteer, catalog):
    with pytest.raises(DomainRuleViolated) as refused:
        v.verify(volunteer("withdrawn"), verifying(), catalog)
    assert refused.value.field == "volunteer_id"


def test_verifying_a_suspended_volunteer_is_refused(volunteer, catalog):
    with pytest.raises(DomainRuleViolated, match="reinstate"):
        v.verify(volunteer("suspended"), verifying(), catalog)


ENTRY = str(uuid.uuid5(uuid.NAMESPACE_URL, "yinfa-test:义诊"))
COMMANDS_ON_A_VOLUNTEER = [  # as the boundary schemas hand them on
    (v.verify, verifying()),
    (v.suspend, c.SuspendVolunteer(WANG, "健康原因暂停")),
    (v.reinstate, c.ReinstateVolunteer(WANG)),
    (v.withdraw, c.WithdrawVolunteer(WANG, "own_request")),
    (v.update_profile, c.UpdateProfile(WANG, {"phone": "13900001111"})),
    (v.record_hours, c.RecordHours(volunteer_id=WANG, entry_id=ENTRY, hours=Decimal("2.0"),
                                   served_on=date(2023, 9, 1), source="bureau")),
    (v.correct_hours, c.CorrectHours(WANG, ENTRY, Decimal("1.0"), "录入错误")),
]


@pytest.mark.parametrize(("command_fn", "command"), COMMANDS_ON_A_VOLUNTEER)
def test_commands_on_an_unknown_volunteer_are_not_found(command_fn, command, catalog):
    with pytest.raises(NotFound) as missing:
        command_fn(None, command, catalog)
    assert missing.value.field == "volunteer_id"


@pytest.mark.parametrize(("command_fn", "command"), COMMANDS_ON_A_VOLUNTEER)
def test_a_withdrawn_volunteer_can_no_longer_be_changed(command_fn, command, volunteer, catalog):
    with pytest.raises(DomainRuleViolated, match="withdrawn"):
        command_fn(volunteer("withdrawn", logged=[2]), command, catalog)


@pytest.mark.parametrize("status", ["registered", "verified", "active"])
def test_reinstating_returns_a_suspended_volunteer_to_where_they_were(status, volunteer, decide):
    _, suspended = decide(volunteer(status), v.suspend, c.SuspendVolunteer(WANG, "长期联系不上"))
    assert suspended.status == "suspended"

    _, reinstated = decide(suspended, v.reinstate, c.ReinstateVolunteer(WANG, "已恢复联系"))
    assert reinstated.status == status


def test_suspending_twice_is_refused(volunteer, catalog):
    with pytest.raises(DomainRuleViolated, match="already suspended"):
        v.suspend(volunteer("suspended"), c.SuspendVolunteer(WANG, "again"), catalog)


@pytest.mark.parametrize("status", ["registered", "verified", "active"])
def test_only_a_suspended_volunteer_can_be_reinstated(status, volunteer, catalog):
    with pytest.raises(DomainRuleViolated, match="only a suspended"):
        v.reinstate(volunteer(status), c.ReinstateVolunteer(WANG), catalog)


def test_a_volunteer_who_passed_away_is_withdrawn_for_good(volunteer, decide):
    events, state = decide(volunteer("active"), v.withdraw,
                           c.WithdrawVolunteer(WANG, "deceased", "2023年12月病逝"))

    assert events[0].data == {"reason_code": "deceased", "note": "2023年12月病逝"}
    assert state.status == "withdrawn" and state.withdrawal_reason == "deceased"


def test_updating_the_profile_records_only_what_changed(volunteer, decide):
    events, state = decide(volunteer(insurance=False), v.update_profile, c.UpdateProfile(
        WANG, {"insurance": True, "phone": "13812345678", "skills": ("law",)}))

    assert events[0].type == "VolunteerProfileUpdated"
    assert events[0].data == {"insurance": True, "skills": ["law"]}
    assert state.insurance and state.skills == ("law",)


def test_repeating_a_profile_update_records_nothing(volunteer, catalog):
    repeated = c.UpdateProfile(WANG, {"phone": "13812345678", "skills": ("theory", "economy")})
    assert v.update_profile(volunteer(), repeated, catalog) == []


def test_a_profile_update_loaded_from_a_payload_keeps_only_the_fields_given():
    given = c.UpdateProfile.loaded({"volunteer_id": WANG, "former_employer": None,
                                    "skills": ["law"]})

    assert given.changes == {"former_employer": None, "skills": ("law",)}


def test_a_volunteer_stream_must_start_with_the_registration():
    with pytest.raises(ValueError):
        v.evolve(None, "VolunteerVerified", {"county_code": "320902"})


def test_team_events_do_not_belong_on_a_volunteer_stream(volunteer):
    with pytest.raises(ValueError):
        v.evolve(volunteer(), "TeamCreated", {})
