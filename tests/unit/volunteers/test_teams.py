import pytest

from services.volunteers.domain import commands as c, team as t
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound

WANG = "0f5c6b1e-8a7d-4c2e-9b1a-3d4e5f607182"
LI = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
TEAM = "5b2e9d40-1c3a-4f6e-8d7b-2a9c0e1f3d45"


def joining(volunteer_id):
    return c.JoinTeam(TEAM, volunteer_id)


def leaving(volunteer_id, reason=None):
    return c.LeaveTeam(TEAM, volunteer_id, reason)


@pytest.fixture
def team(catalog):
    """A team state with the given members: 亭湖区's 红色宣讲团 by default."""

    def make(*members, category="theory_outreach"):
        events = t.create_team(None, c.CreateTeam(TEAM, "亭湖区银发红色宣讲团", category,
                                                  "320902", leader_id=WANG), catalog)
        state = t.replay(events)
        for member in members:
            state = t.replay(t.join_team(state, joining(member), "active"), state)
        return state

    return make


def test_a_team_is_created_in_a_category_and_county(team):
    created = team()
    assert (created.name, created.category, created.county_code) == (
        "亭湖区银发红色宣讲团", "theory_outreach", "320902")
    assert created.leader_id == WANG and created.members == frozenset()


def test_creating_a_team_that_exists_is_refused(team, catalog):
    with pytest.raises(AlreadyExists) as refused:
        t.create_team(team(), c.CreateTeam(TEAM, "x", "health_care", "320902"), catalog)
    assert refused.value.field == "team_id"


def test_a_volunteer_joins_a_team(team):
    events = t.join_team(team(), joining(WANG), "verified")

    assert [(e.type, dict(e.data)) for e in events] == [
        ("VolunteerJoinedTeam", {"volunteer_id": WANG})]
    assert t.replay(events, team()).members == {WANG}


def test_joining_twice_is_refused(team):
    with pytest.raises(AlreadyExists) as refused:
        t.join_team(team(WANG), joining(WANG), "active")
    assert refused.value.field == "volunteer_id"


@pytest.mark.parametrize("status", ["withdrawn", "suspended"])
def test_a_withdrawn_or_suspended_volunteer_cannot_join(status, team):
    with pytest.raises(DomainRuleViolated) as refused:
        t.join_team(team(), joining(LI), status)
    assert refused.value.field == "volunteer_id"


def test_an_unknown_volunteer_cannot_join(team):
    with pytest.raises(NotFound) as missing:
        t.join_team(team(), joining(LI), None)
    assert missing.value.field == "volunteer_id"


def test_joining_an_unknown_team_is_not_found():
    with pytest.raises(NotFound) as missing:
        t.join_team(None, joining(LI), "active")
    assert missing.value.field == "team_id"


def test_leaving_removes_the_member(team):
    events = t.leave_team(team(WANG, LI), leaving(LI, "身体原因"))

    assert events[0].type == "VolunteerLeftTeam"
    assert t.replay(events, team(WANG, LI)).members == {WANG}


def test_leaving_a_team_one_is_not_in_is_not_found(team):
    with pytest.raises(NotFound) as missing:
        t.leave_team(team(WANG), leaving(LI))
    assert missing.value.field == "volunteer_id"


def test_a_volunteer_who_left_may_join_again(team):
    state = t.replay(t.leave_team(team(LI), leaving(LI)), team(LI))
    assert t.join_team(state, joining(LI), "active")[0].type == "VolunteerJoinedTeam"


def test_a_team_stream_must_start_with_its_creation():
    with pytest.raises(ValueError):
        t.evolve(None, "VolunteerJoinedTeam", {"volunteer_id": LI})
