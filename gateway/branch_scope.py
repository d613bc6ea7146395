"""What a branch's own people may do for it: a secretary acts in the name of their own
branch only, and a liaison keeps the records of that branch's activities.

Checked on validated values (the organiser or claimant in the loaded body) and on the
stored resource (the activity's organiser, the wish's claimant), never on raw input.
A party naming another branch is a 403: the activity or wish is visible to the caller
(their county's), acting for someone else is what is refused.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.problem import Problem, forbidden, invalid
from gateway.roles import BRANCH_LIAISON, BRANCH_SECRETARY, Principal

BRANCH_PEOPLE = (BRANCH_SECRETARY, BRANCH_LIAISON)


def is_own_branch(principal: Principal, party: Mapping[str, Any] | None) -> bool:
    return (party is not None and party.get("kind") == "branch"
            and party.get("id") == principal.branch_id)


def act_for_own_branch(principal: Principal, party: Mapping[str, Any] | None,
                       what: str = "acts") -> None:
    """A secretary names only their own branch as the party (organiser, claimant, …)."""
    if principal.role == BRANCH_SECRETARY and not is_own_branch(principal, party):
        raise forbidden(f"A branch secretary {what} only in the name of their own branch.")


def on_own_branch_activity(principal: Principal, activity: Mapping[str, Any]) -> None:
    """A secretary or liaison runs only the activities their branch organises."""
    if principal.role in BRANCH_PEOPLE and not is_own_branch(principal,
                                                             activity.get("organiser")):
        raise forbidden("Only the activities your branch organises.")


def check_branch_of_account(ctx: Any, branch_id: str, county_code: str | None) -> None:
    """An account bound to a branch names an existing branch of the account's county:
    a secretary's rights follow the branch, so a branch of another county would let them
    publish in its name (422 for both, so another county's ids are not told apart)."""
    try:
        branch = ctx.call("branches", "get_branch", branch_id)
    except Problem as problem:
        if problem.status != 404:
            raise
        branch = None
    if branch is None or branch.get("county_code") != county_code:
        raise invalid({"branch_id": ["No such branch in this county."]})


def on_own_branch_claim(principal: Principal, wish: Mapping[str, Any]) -> None:
    """A secretary releases only a claim their branch holds."""
    if principal.role == BRANCH_SECRETARY and not is_own_branch(principal, wish.get("claimant")):
        raise forbidden("Only a claim your branch holds.")
