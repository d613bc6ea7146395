"""Micro-wishes (微心愿): posted, claimed, fulfilled, confirmed (activities service)."""
from __future__ import annotations

from typing import Any

from contracts.activities import commands as cmd
from contracts.activities.replies import Wish
from gateway.branch_scope import act_for_own_branch, on_own_branch_claim
from gateway.context import Ctx, Reply
from gateway.problem import forbidden
from gateway.resources.activities import READERS, VOLUNTEER_ROLES, client_request_id
from gateway.resources.branches import scoped_branch
from gateway.resources.common import ADMINS, created, filters_of, in_scope, service_page
from gateway.resources.volunteers import scoped_volunteer
from gateway.roles import BRANCH_SECRETARY, VOLUNTEER
from gateway.routing import route
from gateway.schemas import WishQuery, body_of, page_of

A = "activities"
# a secretary claims, fulfils and releases wishes in the name of their own branch
CLAIMERS = (*VOLUNTEER_ROLES, BRANCH_SECRETARY)
RELEASERS = (*ADMINS, BRANCH_SECRETARY)


def scoped_wish(ctx: Ctx, wish_id: str) -> dict[str, Any]:
    return in_scope(ctx, ctx.call(A, "get_wish", wish_id))


def _as_self(ctx: Ctx, party_field: str) -> None:
    """A volunteer acts only as themself, a secretary only as their own branch."""
    act_for_own_branch(ctx.principal, ctx.data.get(party_field), "acts on wishes")
    if ctx.principal.role != VOLUNTEER:
        return
    party = ctx.body.get(party_field) or {}
    if party.get("kind") != "volunteer" or party.get("id") != ctx.principal.volunteer_id:
        raise forbidden("A volunteer acts only in their own name.")


def _party_in_scope(ctx: Ctx, party: dict[str, Any]) -> None:
    """A volunteer or branch named in the body must be one the caller may see (404 as if
    it did not exist otherwise, so another county's people cannot be probed)."""
    if party.get("kind") == "volunteer":
        scoped_volunteer(ctx, str(party.get("id")))
    elif party.get("kind") == "branch":
        scoped_branch(ctx, str(party.get("id")))


@route("GET", "/wishes", roles=READERS, query=WishQuery, response=page_of(Wish),
       paged=True, tag="micro-wishes", summary="List micro-wishes")
def list_wishes(ctx: Ctx) -> dict[str, Any]:
    return service_page(ctx, A, "list_wishes",
                        filters_of(ctx, ("county_code", "status", "branch_id")))


@route("POST", "/wishes", roles=ADMINS, body=body_of(cmd.PostWish, "client_request_id"),
       response=Wish, status=201, tag="micro-wishes", summary="Post a micro-wish")
def post_wish(ctx: Ctx) -> Reply:
    in_scope(ctx, {"county_code": ctx.data["county_code"]})
    wish = ctx.call(A, "post_wish", ctx.payload(client_request_id=client_request_id(ctx)))
    return created(wish, f"/wishes/{wish['wish_id']}")


@route("GET", "/wishes/<wish_id>", roles=READERS, response=Wish, tag="micro-wishes",
       summary="One micro-wish")
def get_wish(ctx: Ctx) -> dict[str, Any]:
    return scoped_wish(ctx, ctx.params["wish_id"])


for _path, _method, _schema, _roles, _party, _summary in (
    ("claim", "claim_wish", cmd.ClaimWish, CLAIMERS, "claimant", "Claim a wish"),
    ("release", "release_wish_claim", cmd.ReleaseWishClaim, RELEASERS, None,
     "Release a claim"),
    ("fulfil", "fulfil_wish", cmd.FulfilWish, CLAIMERS, "fulfilled_by",
     "Report a wish fulfilled"),
    ("confirm", "confirm_wish", cmd.ConfirmWish, ADMINS, None,
     "Confirm a fulfilment"),
):
    def _wish_command(ctx: Ctx, method: str = _method, party: str | None = _party) -> Any:
        wish_id = ctx.params["wish_id"]
        wish = scoped_wish(ctx, wish_id)
        if method == "release_wish_claim":
            on_own_branch_claim(ctx.principal, wish)
        if party:
            _as_self(ctx, party)
            _party_in_scope(ctx, ctx.data.get(party) or {})
        return ctx.call(A, method, ctx.payload(wish_id=wish_id))

    route("POST", f"/wishes/<wish_id>/{_path}", roles=_roles,
          body=body_of(_schema, "wish_id"), response=Wish, tag="micro-wishes",
          summary=_summary)(_wish_command)
