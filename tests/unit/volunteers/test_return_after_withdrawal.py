"""Return after withdrawal: the same record comes back where it stood, with its ledger,
stars and history; a death is the one withdrawal no return undoes."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from contracts.volunteers import commands as published
from contracts.volunteers.standing import standing_facts, standing_of
from services.volunteers.domain import commands as c, volunteer as v
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound, ValidationFailed

WANG = "0f5c6b1e-8a7d-4c2e-9b1a-3d4e5f607182"
BACK = c.ReturnVolunteer(WANG, "回盐城定居，本人申请")
REASONS = ["health", "own_request", "moved_away"]


@pytest.mark.parametrize("status", ["registered", "verified", "active", "suspended"])
@pytest.mark.parametrize("reason", REASONS)
def test_a_returning_volunteer_stands_where_they_stood_when_they_withdrew(
        status, reason, volunteer, decide, small_stars):
    before = volunteer(status, logged=[12, 20], using=small_stars)
    _, withdrawn = decide(before, v.withdraw, c.WithdrawVolunteer(WANG, reason),
                          small_stars)

    events, back = decide(withdrawn, v.return_after_withdrawal, BACK, small_stars)

    assert [e.type for e in events] == ["VolunteerReturned"]
    assert events[0].data == {"reason": BACK.reason}
    assert back == before  # ledger, stars, verification, profile: nothing from zero


def test_a_returned_volunteer_goes_on_earning_hours_and_stars(volunteer, decide, hours,
                                                              small_stars):
    withdrawn = volunteer("withdrawn", logged=[12], using=small_stars)
    _, back = decide(withdrawn, v.return_after_withdrawal, BACK, small_stars)
    events, later = decide(back, v.record_hours, hours(20, name="回归后的义诊"), small_stars)

    assert [e.type for e in events] == ["HoursRecorded", "StarLevelChanged"]
    assert later.total_hours == 32 and later.star_level_reached == 2


def test_a_volunteer_withdrawn_at_their_death_cannot_return(volunteer, decide, catalog):
    _, deceased = decide(volunteer("active"), v.withdraw,
                         c.WithdrawVolunteer(WANG, "deceased", "病逝"))
    with pytest.raises(DomainRuleViolated, match="death") as refused:
        v.return_after_withdrawal(deceased, BACK, catalog)
    assert refused.value.field == "volunteer_id"


@pytest.mark.parametrize("status", ["registered", "verified", "active", "suspended"])
def test_only_a_withdrawn_volunteer_can_return(status, volunteer, catalog):
    with pytest.raises(DomainRuleViolated, match="only a withdrawn"):
        v.return_after_withdrawal(volunteer(status), BACK, catalog)


def test_an_erased_person_cannot_return(volunteer, decide, catalog):
    withdrawn = volunteer("withdrawn")
    _, erased = decide(withdrawn, v.erase, c.EraseVolunteer(WANG, erased_on=date(2026, 12, 1)))
    with pytest.raises(DomainRuleViolated, match="only a withdrawn"):
        v.return_after_withdrawal(erased, BACK, catalog)


def test_returning_someone_unknown_is_not_found(catalog):
    with pytest.raises(NotFound):
        v.return_after_withdrawal(None, BACK, catalog)


def test_registering_a_withdrawn_person_again_points_to_the_return(volunteer, registering,
                                                                    catalog):
    with pytest.raises(AlreadyExists, match="return them") as refused:
        v.register(volunteer("withdrawn"), registering(), catalog)
    assert refused.value.field == "id_number"


@pytest.mark.parametrize("reason", [None, "", "   ", "长" * 201])
def test_a_return_without_a_reason_is_refused_by_its_schema(reason):
    payload = {"volunteer_id": WANG} if reason is None else {"volunteer_id": WANG,
                                                            "reason": reason}
    with pytest.raises(ValidationFailed) as refused:
        published.load_command(published.ReturnVolunteer, payload)
    assert "reason" in refused.value.errors


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # pure factories
@given(steps=st.lists(st.sampled_from(["suspend", "reinstate", "withdraw", "return"]),
                      max_size=12))
def test_any_run_of_leaving_and_returning_keeps_the_ledger_and_the_replicas_agree(
        steps, volunteer, decide, small_stars):
    """Whatever is accepted of suspensions, withdrawals and returns, the ledger and the
    star level never move, and the replicas' reading of the events (standing.py) is the
    service's own status."""
    state = volunteer("active", logged=[12, 20], using=small_stars)
    ledger, stars = dict(state.ledger), (state.star_level, state.star_level_reached)
    facts: dict = {}
    commands = {
        "suspend": (v.suspend, c.SuspendVolunteer(WANG, "长期联系不上")),
        "reinstate": (v.reinstate, c.ReinstateVolunteer(WANG)),
        "withdraw": (v.withdraw, c.WithdrawVolunteer(WANG, "own_request")),
        "return": (v.return_after_withdrawal, BACK),
    }
    facts.update({"registered": True, "verified": True})
    for step in steps:
        command_fn, command = commands[step]
        try:
            events, state = decide(state, command_fn, command, small_stars)
        except DomainRuleViolated:
            continue
        for event in events:
            facts.update(standing_facts(_recorded(event)))
        assert dict(state.ledger) == ledger
        assert (state.star_level, state.star_level_reached) == stars
        assert standing_of(facts) == _replica_status(state.status)


def _replica_status(status: str) -> str:
    return "verified" if status in ("verified", "active") else status


def _recorded(event):
    class Recorded:  # what standing_facts reads of a recorded event
        type = event.type
        data = event.data
    return Recorded
