"""What a branch's own people may do, as pure rules: a secretary names only their own
branch as a party, and runs only the activities it organises; other roles are not
concerned (their scope is the county's)."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from gateway.branch_scope import act_for_own_branch, on_own_branch_activity, on_own_branch_claim
from gateway.problem import Problem
from gateway.roles import ROLES, Principal

OWN = "b-own"
parties = st.one_of(
    st.none(),
    st.fixed_dictionaries({"kind": st.sampled_from(["branch", "team", "bureau", "volunteer",
                                                    "community"]),
                           "id": st.sampled_from([OWN, "b-other", "county-320902"])}))


def principal(role: str) -> Principal:
    return Principal("someone", role, "320902", branch_id=OWN if role.startswith("branch")
                     else None)


def refused(check, *args) -> bool:
    try:
        check(*args)
    except Problem as problem:
        assert problem.status == 403
        return True
    return False


@given(st.sampled_from(ROLES), parties)
def test_only_a_secretary_naming_another_party_is_refused(role, party):
    own = party == {"kind": "branch", "id": OWN}
    expected = role == "branch_secretary" and not own
    assert refused(act_for_own_branch, principal(role), party) == expected


@given(st.sampled_from(ROLES), parties)
def test_a_branch_s_people_run_only_its_activities(role, organiser):
    own = organiser == {"kind": "branch", "id": OWN}
    expected = role in ("branch_secretary", "branch_liaison") and not own
    assert refused(on_own_branch_activity, principal(role), {"organiser": organiser}) == expected


@pytest.mark.parametrize(("claimant", "expected"), [
    ({"kind": "branch", "id": OWN}, False),
    ({"kind": "branch", "id": "b-other"}, True),
    ({"kind": "volunteer", "id": OWN}, True),
    (None, True),
])
def test_a_secretary_releases_only_their_branch_s_claim(claimant, expected):
    assert refused(on_own_branch_claim, principal("branch_secretary"),
                   {"claimant": claimant}) == expected
    assert not refused(on_own_branch_claim, principal("county_admin"), {"claimant": claimant})
