import json
from decimal import Decimal

import pytest
from activities_examples import ACTIVITY_ID, CODE, LI, WANG, ZHANG, bj

from services.activities.domain import activity as a
from services.activities.domain.check_in_code import code_salt, hash_code, verify_code
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound


def at_the_door(volunteer_id, at, code=CODE):
    return {"volunteer_id": volunteer_id, "code": code, "at": at}


def test_a_code_hash_verifies_the_code_and_nothing_else():
    stored = hash_code("CY2023", code_salt(ACTIVITY_ID, "2023-10-23T00:00:00+00:00"))

    assert verify_code("CY2023", stored)
    assert verify_code(" cy 2023 ", stored)  # typed on a phone
    assert not verify_code("CY2024", stored)
    assert not verify_code("CY2023", "md5$1$salt$abc")
    assert not verify_code("CY2023", "not a hash")


def test_the_same_code_hashes_differently_per_activity():
    assert hash_code(CODE, code_salt("one")) != hash_code(CODE, code_salt("another"))


def test_issuing_a_code_records_its_hash_and_validity_window_only(activity, decide):
    events, state = decide(activity(WANG), a.issue_check_in_code, {"code": CODE, "at": bj(23, 8)})

    data = events[0].data
    assert events[0].type == "CheckInCodeIssued"
    assert CODE not in json.dumps(dict(data)) and verify_code(CODE, data["code_hash"])
    assert (data["valid_from"], data["valid_until"]) == (
        "2023-10-23T00:00:00+00:00", "2023-10-23T05:30:00+00:00")  # 08:00–13:30 in Beijing
    assert data["replaces_previous"] is False
    assert state.check_in_code.valid_from == bj(23, 8)


def test_a_second_code_replaces_the_first_only_when_asked(activity, decide):
    issued = activity(WANG, code=CODE)
    with pytest.raises(AlreadyExists) as refused:
        decide(issued, a.issue_check_in_code, {"code": "NEW123", "at": bj(23, 8, 30)})
    assert refused.value.field == "code"

    events, state = decide(issued, a.issue_check_in_code,
                           {"code": "NEW123", "at": bj(23, 8, 30), "replace": True})

    assert events[0].data["replaces_previous"] is True
    with pytest.raises(DomainRuleViolated):
        decide(state, a.check_in, at_the_door(WANG, bj(23, 9)))
    assert decide(state, a.check_in, at_the_door(WANG, bj(23, 9), "new123"))[0]


def test_no_code_is_issued_once_check_in_has_closed(activity, decide):
    with pytest.raises(DomainRuleViolated) as refused:
        decide(activity(WANG), a.issue_check_in_code, {"code": CODE, "at": bj(23, 13, 31)})
    assert refused.value.field == "at"


def test_a_participant_checks_in_and_out_with_the_code(activity, decide):
    issued = activity(WANG, code=CODE)

    came, state = decide(issued, a.check_in, at_the_door(WANG, bj(23, 8, 50)))
    left, state = decide(state, a.check_out, at_the_door(WANG, bj(23, 11, 35)))

    assert [(e.type, dict(e.data)) for e in came + left] == [
        ("VolunteerCheckedIn", {"volunteer_id": WANG, "at": "2023-10-23T00:50:00+00:00"}),
        ("VolunteerCheckedOut", {"volunteer_id": WANG, "at": "2023-10-23T03:35:00+00:00"}),
    ]
    assert state.attendance[WANG] == a.Attendance(bj(23, 8, 50), bj(23, 11, 35))


@pytest.mark.parametrize("command_fn", [a.check_in, a.check_out])
def test_a_wrong_code_is_refused(command_fn, activity, decide):
    issued = activity(WANG, attended={WANG: (bj(23, 9), None)})
    with pytest.raises(DomainRuleViolated) as refused:
        decide(issued, command_fn, at_the_door(WANG, bj(23, 11), code="CY2022"))
    assert refused.value.field == "code"
    assert refused.value.context == {"reason": "wrong_code"}


@pytest.mark.parametrize(("at", "reason"), [
    (bj(23, 13, 31), "code_expired"),
    (bj(24, 9), "code_expired"),
    (bj(23, 7, 59), "code_not_yet_valid"),
])
def test_a_code_outside_its_window_is_refused(at, reason, activity, decide):
    with pytest.raises(DomainRuleViolated) as refused:
        decide(activity(WANG, code=CODE), a.check_in, at_the_door(WANG, at))
    assert refused.value.field == "code"
    assert refused.value.context == {"reason": reason}


def test_checking_out_after_the_code_expired_is_refused(activity, decide):
    present = activity(WANG, attended={WANG: (bj(23, 9), None)})
    with pytest.raises(DomainRuleViolated) as refused:
        decide(present, a.check_out, at_the_door(WANG, bj(23, 18)))
    assert refused.value.context == {"reason": "code_expired"}


def test_checking_in_before_any_code_is_issued_is_refused(activity, decide):
    with pytest.raises(DomainRuleViolated) as refused:
        decide(activity(WANG), a.check_in, at_the_door(WANG, bj(23, 9)))
    assert refused.value.context == {"reason": "no_code"}


def test_a_waitlisted_volunteer_cannot_check_in(activity, decide):
    with pytest.raises(DomainRuleViolated) as refused:
        decide(activity(WANG, LI, ZHANG, code=CODE), a.check_in, at_the_door(ZHANG, bj(23, 9)))
    assert refused.value.field == "volunteer_id"


def test_a_volunteer_who_did_not_sign_up_cannot_check_in(activity, decide):
    with pytest.raises(NotFound):
        decide(activity(WANG, code=CODE), a.check_in, at_the_door(LI, bj(23, 9)))


def test_checking_in_twice_is_refused(activity, decide):
    present = activity(WANG, attended={WANG: (bj(23, 9), None)})
    with pytest.raises(AlreadyExists):
        decide(present, a.check_in, at_the_door(WANG, bj(23, 9, 5)))


def test_checking_out_needs_a_check_in_before_it(activity, decide):
    with pytest.raises(DomainRuleViolated) as refused:
        decide(activity(WANG, code=CODE), a.check_out, at_the_door(WANG, bj(23, 11)))
    assert refused.value.field == "volunteer_id"

    present = activity(WANG, attended={WANG: (bj(23, 9), None)})
    with pytest.raises(DomainRuleViolated) as refused:
        decide(present, a.check_out, at_the_door(WANG, bj(23, 8, 59)))
    assert refused.value.field == "at"


def test_checking_out_twice_is_refused(activity, decide):
    done = activity(WANG, attended={WANG: (bj(23, 9), bj(23, 11))})
    with pytest.raises(AlreadyExists):
        decide(done, a.check_out, at_the_door(WANG, bj(23, 11, 30)))


@pytest.mark.parametrize(("came", "left", "share"), [
    (bj(23, 8, 30), bj(23, 12), "1"),  # early and late: only the scheduled time counts
    (bj(23, 9, 30), bj(23, 11), "0.6"),
    (bj(23, 10), bj(23, 10, 30), "0.2"),
    (bj(23, 11, 40), bj(23, 12), "0"),
])
def test_attendance_is_the_share_of_the_scheduled_time_covered(came, left, share, activity):
    state = activity(WANG, attended={WANG: (came, left)})
    assert a.attendance_share(state.details, state.attendance[WANG]) == Decimal(share)
