from decimal import Decimal

import pytest

from services.volunteers.domain import commands as c, volunteer as v
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound

WANG = "0f5c6b1e-8a7d-4c2e-9b1a-3d4e5f607182"


def correction(entry_id, hours, reason="签到表核对后更正"):
    """A correction as the boundary schema hands it on: hours a Decimal in tenths."""
    return c.CorrectHours(WANG, entry_id, Decimal(hours), reason)


def test_recorded_hours_land_on_the_ledger(volunteer, decide, hours, entry):
    events, state = decide(volunteer(), v.record_hours, hours("3.5"))

    assert [e.type for e in events] == ["HoursRecorded"]
    assert events[0].data == {
        "entry_id": entry("重阳节义诊"), "hours": "3.5", "served_on": "2023-10-23",
        "source": "bureau", "activity_id": None,
    }
    assert state.ledger == {entry("重阳节义诊"): Decimal("3.5")}


def test_the_first_hours_make_a_verified_volunteer_active(volunteer, decide, hours):
    _, state = decide(volunteer("verified"), v.record_hours, hours(2))
    assert state.status == "active"


def test_hours_of_an_unverified_volunteer_are_pending_until_verification(volunteer, decide):
    pending = volunteer("registered", logged=[4, 4])
    assert pending.total_hours == 8 and pending.verified_hours == 0

    _, verified = decide(pending, v.verify, c.VerifyVolunteer(WANG, "320902"))
    assert verified.verified_hours == 8
    assert verified.status == "active"


def test_recording_the_same_entry_twice_is_refused(volunteer, decide, hours, catalog):
    _, state = decide(volunteer(), v.record_hours, hours(2))

    with pytest.raises(AlreadyExists) as refused:
        v.record_hours(state, hours(3), catalog)
    assert refused.value.field == "entry_id"


def test_recording_hours_for_a_withdrawn_volunteer_is_refused(volunteer, hours, catalog):
    with pytest.raises(DomainRuleViolated, match="withdrawn"):
        v.record_hours(volunteer("withdrawn"), hours(2), catalog)


def test_recording_hours_for_a_suspended_volunteer_is_refused(volunteer, hours, catalog):
    with pytest.raises(DomainRuleViolated, match="suspended"):
        v.record_hours(volunteer("suspended"), hours(2), catalog)


def test_a_correction_is_recorded_next_to_the_original_entry(volunteer, decide, entry):
    before = volunteer(logged=[8])
    events, after = decide(before, v.correct_hours, correction(entry("服务0"), "6.5"))

    assert [e.type for e in events] == ["HoursCorrected"]
    assert events[0].data == {
        "entry_id": entry("服务0"), "hours": "6.5", "previous_hours": "8.0",
        "reason": "签到表核对后更正",
    }
    assert after.ledger[entry("服务0")] == Decimal("6.5")


def test_an_entry_can_be_corrected_down_to_zero(volunteer, decide, entry):
    _, state = decide(volunteer(logged=[8]), v.correct_hours, correction(entry("服务0"), "0.0"))
    assert state.total_hours == 0


def test_correcting_an_unknown_entry_is_not_found(volunteer, catalog, entry):
    with pytest.raises(NotFound) as missing:
        v.correct_hours(volunteer(logged=[8]), correction(entry("从未记录"), "2.0"), catalog)
    assert missing.value.field == "entry_id"


def test_a_correction_that_changes_nothing_is_refused(volunteer, catalog, entry):
    with pytest.raises(DomainRuleViolated, match="changes nothing") as refused:
        v.correct_hours(volunteer(logged=[8]), correction(entry("服务0"), "8.0"), catalog)
    assert refused.value.field == "hours"  # what a repeated correction from activities meets


def test_a_suspended_volunteer_keeps_their_hours_and_can_have_them_corrected(
    volunteer, decide, entry
):
    suspended = volunteer("suspended", logged=[8])
    assert suspended.verified_hours == 8

    _, corrected = decide(suspended, v.correct_hours, correction(entry("服务0"), "5.0"))
    assert corrected.verified_hours == 5
