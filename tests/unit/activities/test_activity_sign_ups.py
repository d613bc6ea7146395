import pytest
from activities_examples import HEALTH_TEAM, LI, WANG, ZHANG, ZHAO, bj, known

from services.activities.domain import activity as a
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound


def sign_up(volunteer_id, at=None):
    return {"volunteer_id": volunteer_id, "at": at or bj(20, 10)}


def test_a_verified_volunteer_takes_a_place(activity, decide):
    events, state = decide(activity(), a.sign_up, sign_up(WANG), "verified", ())

    assert [(e.type, dict(e.data)) for e in events] == [
        ("VolunteerSignedUp", {"volunteer_id": WANG})]
    assert state.participants == (WANG,) and state.waitlist == ()


def test_past_capacity_a_volunteer_is_waitlisted_in_order(activity, decide):
    full = activity(WANG, LI, capacity=2)

    events, state = decide(full, a.sign_up, sign_up(ZHANG), "active", ())
    _, state = decide(state, a.sign_up, sign_up(ZHAO), "active", ())

    assert [(e.type, dict(e.data)) for e in events] == [
        ("VolunteerWaitlisted", {"volunteer_id": ZHANG, "position": 1})]
    assert state.participants == (WANG, LI)
    assert state.waitlist == (ZHANG, ZHAO)


def test_places_never_exceed_capacity(activity):
    crowd = [known(f"志愿者{i}") for i in range(12)]
    state = activity(*crowd, capacity=5)
    assert len(state.participants) == 5 and state.waitlist == tuple(crowd[5:])


@pytest.mark.parametrize("status", ["registered", "suspended", "withdrawn"])
def test_an_unverified_suspended_or_withdrawn_volunteer_cannot_sign_up(status, activity, decide):
    with pytest.raises(DomainRuleViolated) as refused:
        decide(activity(), a.sign_up, sign_up(WANG), status, ())
    assert refused.value.field == "volunteer_id"
    assert refused.value.context == {"status": status}


def test_an_unknown_volunteer_cannot_sign_up(activity, decide):
    with pytest.raises(NotFound) as missing:
        decide(activity(), a.sign_up, sign_up(WANG), None, ())
    assert missing.value.field == "volunteer_id"


def test_a_team_only_activity_takes_members_of_its_team(activity, decide):
    team_only = activity(team_only=True, team_id=HEALTH_TEAM)

    _, state = decide(team_only, a.sign_up, sign_up(WANG), "active", {HEALTH_TEAM, known("x")})

    assert state.participants == (WANG,)


def test_a_team_only_activity_refuses_volunteers_outside_the_team(activity, decide):
    team_only = activity(team_only=True, team_id=HEALTH_TEAM)
    with pytest.raises(DomainRuleViolated) as refused:
        decide(team_only, a.sign_up, sign_up(LI), "active", {known("红色宣讲团")})
    assert refused.value.field == "volunteer_id"
    assert refused.value.context == {"team_id": HEALTH_TEAM}


@pytest.mark.parametrize("signed_up", [(WANG,), (LI, ZHANG, WANG)])
def test_signing_up_twice_is_refused_even_from_the_waitlist(signed_up, activity, decide):
    with pytest.raises(AlreadyExists) as refused:
        decide(activity(*signed_up, capacity=2), a.sign_up, sign_up(WANG), "active", ())
    assert refused.value.field == "volunteer_id"


def test_sign_up_closes_when_the_activity_starts(activity, decide):
    with pytest.raises(DomainRuleViolated) as refused:
        decide(activity(), a.sign_up, sign_up(WANG, at=bj(23, 9)), "active", ())
    assert "started" in refused.value.message


def test_a_cancelled_activity_takes_no_sign_ups(activity, decide):
    _, cancelled = decide(activity(WANG), a.cancel, {"reason": "台风"})
    with pytest.raises(DomainRuleViolated):
        decide(cancelled, a.sign_up, sign_up(LI), "active", ())


def test_a_participant_withdrawing_promotes_the_first_on_the_waitlist(activity, decide):
    full = activity(WANG, LI, ZHANG, ZHAO, capacity=2)

    events, state = decide(full, a.withdraw_sign_up, {"volunteer_id": LI, "reason": "住院"})

    assert [(e.type, dict(e.data)) for e in events] == [
        ("SignUpWithdrawn", {"volunteer_id": LI, "was_waitlisted": False, "reason": "住院"}),
        ("WaitlistPromoted", {"volunteer_id": ZHANG}),
    ]
    assert state.participants == (WANG, ZHANG) and state.waitlist == (ZHAO,)


def test_a_participant_withdrawing_with_no_waitlist_frees_the_place(activity, decide):
    events, state = decide(activity(WANG, LI), a.withdraw_sign_up, {"volunteer_id": WANG})

    assert [e.type for e in events] == ["SignUpWithdrawn"]
    assert state.participants == (LI,)


def test_leaving_the_waitlist_promotes_nobody(activity, decide):
    full = activity(WANG, LI, ZHANG, ZHAO, capacity=2)

    events, state = decide(full, a.withdraw_sign_up, {"volunteer_id": ZHANG})

    assert [(e.type, e.data["was_waitlisted"]) for e in events] == [("SignUpWithdrawn", True)]
    assert state.participants == (WANG, LI) and state.waitlist == (ZHAO,)


def test_withdrawing_without_a_sign_up_is_not_found(activity, decide):
    with pytest.raises(NotFound) as missing:
        decide(activity(WANG), a.withdraw_sign_up, {"volunteer_id": LI})
    assert missing.value.field == "volunteer_id"


def test_a_volunteer_who_checked_in_cannot_withdraw(activity, decide):
    present = activity(WANG, attended={WANG: (bj(23, 8, 55), None)})
    with pytest.raises(DomainRuleViolated) as refused:
        decide(present, a.withdraw_sign_up, {"volunteer_id": WANG})
    assert refused.value.field == "volunteer_id"
