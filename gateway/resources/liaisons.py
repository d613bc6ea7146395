"""A branch's liaison (联络员): named by the county bureau or the branch's secretary, and
given an account of the `branch_liaison` role bound to the branch, in one request.

The name goes to the branches service as the branch's liaison, which keeps it sealed
(its events carry a reference only); on the account it is the display name, kept beside
the password hash, never in the account's log. A liaison who is a volunteer is linked to
their record by `volunteer_id`. Naming a new liaison closes the accounts of the ones
before, so a branch has one liaison who can sign in.
"""
from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from gateway.context import Ctx, Reply
from gateway.problem import Problem
from gateway.resources.branches import BRANCH_ROLES, scoped_branch
from gateway.resources.common import created
from gateway.resources.volunteers import scoped_volunteer
from gateway.roles import BRANCH_LIAISON
from gateway.routing import route
from gateway.schemas import USERNAME, AccountSchema, Strict
from yinfa.schemas import IdString, trimmed

B = "branches"
REPLACED = "联络员已更换"


class NameLiaisonBody(Strict):
    name = trimmed(50, required=True)
    volunteer_id = IdString(load_default=None, allow_none=True)  # a volunteer as liaison
    username = fields.String(required=True, validate=validate.Regexp(
        USERNAME, error="3-40 lower-case letters, digits, '-' or '_'."))
    password = fields.String(required=True, validate=validate.Length(min=10, max=200))


class NamedLiaison(Strict):
    branch_id = fields.String(required=True)
    liaison = fields.String(required=True)  # the name, as the branch now shows it
    account = fields.Nested(AccountSchema, required=True)
    closed_accounts = fields.List(fields.String(), required=True)  # the liaisons before


def _conflict(detail: str, field: str) -> Problem:
    return Problem(409, "conflict", detail, errors={field: [detail]})


def _earlier_liaisons(ctx: Ctx, branch: dict[str, Any], username: str) -> list[str]:
    accounts, _ = ctx.gateway.reads.list(BRANCH_LIAISON, branch["county_code"], 0, 1000)
    return [a["username"] for a in accounts
            if a["branch_id"] == branch["branch_id"] and a["active"]
            and a["username"] != username]


@route("POST", "/branches/<branch_id>/liaison", roles=BRANCH_ROLES, body=NameLiaisonBody,
       response=NamedLiaison, status=201, tag="branches",
       summary="Name the branch's liaison (联络员) and open their account")
def name_liaison(ctx: Ctx) -> Reply:
    branch = scoped_branch(ctx, ctx.params["branch_id"])
    if branch["status"] != "active":
        raise _conflict(f"A {branch['status']} branch takes no liaison.", "branch_id")
    volunteer_id = ctx.data["volunteer_id"]
    if volunteer_id is not None:
        scoped_volunteer(ctx, volunteer_id)  # another county's: 404, as if none
    username = ctx.data["username"]
    if ctx.gateway.reads.find(username) is not None:  # before anything is written
        raise _conflict("The username is taken.", "username")
    named = ctx.call(B, "change_officers", {"branch_id": branch["branch_id"],
                                            "liaison": ctx.data["name"]})
    book = ctx.gateway.accounts(ctx)
    account = book.open({"username": username, "password": ctx.data["password"],
                         "role": BRANCH_LIAISON, "county_code": branch["county_code"],
                         "branch_id": branch["branch_id"], "volunteer_id": volunteer_id,
                         "display_name": ctx.data["name"]})
    closed = _earlier_liaisons(ctx, branch, username)
    for earlier in closed:
        book.close(earlier, REPLACED, closed_by=ctx.principal.account)
        ctx.gateway.refresh_tokens.revoke_account(earlier)
    return created({"branch_id": branch["branch_id"], "liaison": named["liaison"],
                    "account": account, "closed_accounts": closed},
                   f"/branches/{branch['branch_id']}")
