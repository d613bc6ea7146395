"""Transfer between counties (转移接续): requested by the sending county, accepted or
declined by the receiving one, released by the sender; the person keeps their record."""
from __future__ import annotations

import pytest

from contracts.volunteers import commands as published
from contracts.volunteers.standing import standing_facts
from services.volunteers.domain import commands as c, transfer as t, volunteer as v
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound, ValidationFailed
from yinfa.events.envelope import NewEvent

WANG = "0f5c6b1e-8a7d-4c2e-9b1a-3d4e5f607182"
TINGHU, YANDU, DAFENG = "320902", "320903", "320904"  # 亭湖区, 盐都区, 大丰区
MOVE = "7a1d4c9e-0b2f-4e6a-8c3d-5f6a7b8c9d0e"
RELEASED_AT = "2026-07-01T02:00:00+00:00"


def requested(to=YANDU, by=TINGHU, transfer_id=MOVE):
    return c.RequestTransfer(WANG, transfer_id, to, "moved_home", by)


def then(state, decision, command):
    events = decision(state, command)
    return events, v.replay(events, state)


@pytest.fixture
def accepted(volunteer):
    state = volunteer("active", logged=[12, 20])
    _, state = then(state, t.request, requested())
    _, state = then(state, t.accept, c.AcceptTransfer(WANG, MOVE, YANDU))
    return state


def test_a_released_volunteer_belongs_to_the_receiving_county_with_everything_they_had(
        volunteer, accepted):
    before = volunteer("active", logged=[12, 20])

    events, after = then(accepted, t.release, c.ReleaseTransfer(WANG, MOVE, TINGHU,
                                                                RELEASED_AT))

    assert [e.type for e in events] == ["VolunteerTransferred"]
    assert events[0].data == {"transfer_id": MOVE, "from_county": TINGHU, "to_county": YANDU,
                              "to_city": None, "effective_at": RELEASED_AT}
    assert after.county_code == YANDU and after.transfer is None
    assert (after.ledger, after.star_level, after.status, after.verified) == (
        before.ledger, before.star_level, before.status, before.verified)


def test_the_request_names_both_counties_and_a_reason_code_and_nothing_personal(volunteer):
    events, state = then(volunteer("verified"), t.request, requested())

    assert events[0].data == {"transfer_id": MOVE, "from_county": TINGHU,
                              "to_county": YANDU, "to_city": None,
                              "reason_code": "moved_home"}
    assert state.transfer.status == "requested" and state.county_code == TINGHU


def test_the_city_may_act_for_either_side(volunteer):
    state = volunteer("verified")
    for decision, command in ((t.request, requested(by=None)),
                              (t.accept, c.AcceptTransfer(WANG, MOVE, None)),
                              (t.release, c.ReleaseTransfer(WANG, MOVE, None, RELEASED_AT))):
        events, state = then(state, decision, command)
    assert state.county_code == YANDU
    assert events[0].type == "VolunteerTransferred"


def test_only_the_sending_county_requests(volunteer):
    with pytest.raises(DomainRuleViolated, match="sending county") as refused:
        t.request(volunteer("verified"), requested(by=YANDU))
    assert refused.value.field == "acting_county"


def test_a_transfer_to_the_county_the_volunteer_is_in_is_refused(volunteer):
    with pytest.raises(DomainRuleViolated, match="already belongs") as refused:
        t.request(volunteer("verified"), requested(to=TINGHU))
    assert refused.value.field == "to_county"


def test_a_transfer_to_a_county_the_city_does_not_have_is_refused_at_the_boundary():
    with pytest.raises(ValidationFailed) as refused:
        published.load_command(published.RequestTransfer, {
            "volunteer_id": WANG, "to_county": "110101", "reason_code": "moved_home"})
    assert "to_county" in refused.value.errors


def test_an_unknown_reason_is_refused_at_the_boundary():
    with pytest.raises(ValidationFailed) as refused:
        published.load_command(published.DeclineTransfer, {
            "volunteer_id": WANG, "transfer_id": MOVE, "reason_code": "不想要"})
    assert "reason_code" in refused.value.errors


@pytest.mark.parametrize("status", ["withdrawn"])
def test_a_withdrawn_volunteer_is_not_transferred(status, volunteer):
    with pytest.raises(DomainRuleViolated, match="withdrawn"):
        t.request(volunteer(status), requested())


def test_a_deceased_or_erased_person_is_not_transferred(volunteer, decide):
    _, deceased = decide(volunteer("active"), v.withdraw,
                         c.WithdrawVolunteer(WANG, "deceased", "病逝"))
    _, erased = decide(volunteer("active"), v.erase, c.EraseVolunteer(
        WANG, erased_on=__import__("datetime").date(2026, 5, 1)))
    for state in (deceased, erased):
        with pytest.raises(DomainRuleViolated):
            t.request(state, requested())
    with pytest.raises(NotFound):
        t.request(None, requested())


def test_one_transfer_at_a_time(volunteer):
    _, state = then(volunteer("verified"), t.request, requested())
    with pytest.raises(AlreadyExists, match="under way"):
        t.request(state, requested(to=DAFENG, transfer_id="another"))


def test_a_release_before_acceptance_is_refused(volunteer):
    _, state = then(volunteer("verified"), t.request, requested())
    with pytest.raises(DomainRuleViolated, match="accepted by the receiving county"):
        t.release(state, c.ReleaseTransfer(WANG, MOVE, TINGHU, RELEASED_AT))


def test_only_the_receiving_county_accepts_or_declines(volunteer):
    _, state = then(volunteer("verified"), t.request, requested())
    with pytest.raises(DomainRuleViolated, match="receiving county"):
        t.accept(state, c.AcceptTransfer(WANG, MOVE, TINGHU))
    with pytest.raises(DomainRuleViolated, match="receiving county"):
        t.decline(state, c.DeclineTransfer(WANG, MOVE, "not_resident", DAFENG))


def test_only_the_sending_county_releases(accepted):
    with pytest.raises(DomainRuleViolated, match="sending county"):
        t.release(accepted, c.ReleaseTransfer(WANG, MOVE, YANDU, RELEASED_AT))


def test_a_declined_transfer_is_over_and_the_volunteer_stays(volunteer):
    _, state = then(volunteer("verified"), t.request, requested())
    events, state = then(state, t.decline, c.DeclineTransfer(WANG, MOVE, "not_resident",
                                                             YANDU))
    assert events[0].data == {"transfer_id": MOVE, "decided_by": "county",
                              "reason_code": "not_resident"}
    assert state.transfer is None and state.county_code == TINGHU
    with pytest.raises(DomainRuleViolated, match="not under way"):
        t.accept(state, c.AcceptTransfer(WANG, MOVE, YANDU))


@pytest.mark.parametrize("by, side", [(TINGHU, "sending"), (YANDU, "receiving"),
                                      (None, "city")])
def test_either_side_may_cancel_before_the_release(by, side, accepted):
    events, state = then(accepted, t.cancel, c.CancelTransfer(WANG, MOVE, by))
    assert events[0].data == {"transfer_id": MOVE, "cancelled_by": side}
    assert state.transfer is None and state.county_code == TINGHU


def test_a_third_county_may_not_cancel(accepted):
    with pytest.raises(DomainRuleViolated, match="two counties"):
        t.cancel(accepted, c.CancelTransfer(WANG, MOVE, DAFENG))


def test_nothing_is_decided_twice_after_the_release(accepted):
    _, released = then(accepted, t.release, c.ReleaseTransfer(WANG, MOVE, TINGHU,
                                                             RELEASED_AT))
    for decision, command in ((t.cancel, c.CancelTransfer(WANG, MOVE, None)),
                              (t.release, c.ReleaseTransfer(WANG, MOVE, None, RELEASED_AT)),
                              (t.accept, c.AcceptTransfer(WANG, MOVE, None))):
        with pytest.raises(DomainRuleViolated, match="not under way"):
            decision(released, command)


def test_a_transferred_volunteer_is_verified_by_their_new_county(accepted, decide, hours):
    _, released = then(accepted, t.release, c.ReleaseTransfer(WANG, MOVE, TINGHU,
                                                              RELEASED_AT))
    events, later = decide(released, v.record_hours, hours(3, name="盐都义诊"))
    assert later.county_code == YANDU and events[0].type == "HoursRecorded"


def test_a_transfer_back_is_a_new_transfer(accepted):
    _, state = then(accepted, t.release, c.ReleaseTransfer(WANG, MOVE, TINGHU, RELEASED_AT))
    back = "b" * 8
    _, state = then(state, t.request, c.RequestTransfer(WANG, back, TINGHU, "with_family",
                                                        YANDU))
    _, state = then(state, t.accept, c.AcceptTransfer(WANG, back, TINGHU))
    _, state = then(state, t.release, c.ReleaseTransfer(WANG, back, YANDU, RELEASED_AT))
    assert state.county_code == TINGHU


def test_transfer_events_set_no_standing_fact_except_the_county():
    released = NewEvent("VolunteerTransferred", {"to_county": YANDU})
    assert all(not standing_facts(_recorded(NewEvent(kind, {})))
               for kind in ("VolunteerTransferRequested", "VolunteerTransferAccepted",
                            "VolunteerTransferDeclined", "VolunteerTransferCancelled"))
    assert standing_facts(_recorded(released)) == {"county_code": YANDU}


def _recorded(event: NewEvent):
    class Recorded:
        type = event.type
        data = event.data
    return Recorded()


def every_transfer_event(state):
    """Each transfer event type, produced by the domain (for the schema checks)."""
    produced = []
    for decision, command in ((t.request, requested()),
                              (t.cancel, c.CancelTransfer(WANG, MOVE, TINGHU)),
                              (t.request, requested(transfer_id="again")),
                              (t.decline, c.DeclineTransfer(WANG, "again", "other", YANDU)),
                              (t.request, requested(transfer_id="third")),
                              (t.accept, c.AcceptTransfer(WANG, "third", None)),
                              (t.release, c.ReleaseTransfer(WANG, "third", None, RELEASED_AT))):
        events, state = then(state, decision, command)
        produced += events
    from services.volunteers.domain import team_moves

    made = teams()
    moving = c.MoveTeamMember("t-red", WANG, "t-care", "m-1")
    produced += team_moves.move_member(made["t-red"], moving, made["t-care"], TINGHU)
    return produced


# --- a team's member moves to another team --------------------------------------------------


def teams():
    from services.volunteers.domain import team as tm

    catalog = __import__("contracts.volunteers.catalog", fromlist=["x"]).load_volunteer_catalog()
    made = {}
    for team_id, county in (("t-red", TINGHU), ("t-care", TINGHU), ("t-yandu", YANDU)):
        created = tm.create_team(None, c.CreateTeam(team_id, f"队{team_id}", "health_care",
                                                    county), catalog)
        made[team_id] = tm.replay(created)
    joined = tm.join_team(made["t-red"], c.JoinTeam("t-red", WANG), "active", TINGHU)
    made["t-red"] = tm.replay(joined, made["t-red"])
    return made


def test_a_team_member_moves_with_one_event_out_and_one_in():
    from services.volunteers.domain import team as tm, team_moves

    made, move = teams(), c.MoveTeamMember("t-red", WANG, "t-care", "m-1")

    out = team_moves.move_member(made["t-red"], move, made["t-care"], TINGHU)
    into = team_moves.receive_member(made["t-care"], move)

    assert out[0].data == {"move_id": "m-1", "volunteer_id": WANG, "from_team_id": "t-red",
                           "to_team_id": "t-care", "side": "out"}
    assert WANG not in tm.replay(out, made["t-red"]).members
    assert WANG in tm.replay(into, made["t-care"]).members
    assert team_moves.receive_member(tm.replay(into, made["t-care"]), move) == []


def test_a_team_move_to_an_unknown_team_the_same_team_or_another_county_is_refused():
    from services.volunteers.domain import team_moves

    made = teams()
    red = made["t-red"]

    def to(team_id):
        return c.MoveTeamMember("t-red", WANG, team_id, f"m-{team_id}")

    with pytest.raises(NotFound):
        team_moves.move_member(red, to("t-none"), None, TINGHU)
    with pytest.raises(DomainRuleViolated, match="already"):
        team_moves.move_member(red, to("t-red"), red, TINGHU)
    with pytest.raises(DomainRuleViolated, match="own county"):
        team_moves.move_member(red, to("t-yandu"), made["t-yandu"], TINGHU)
    # transferred to 盐都区 first, the volunteer may move to its team
    assert team_moves.move_member(red, to("t-yandu"), made["t-yandu"], YANDU)
