"""Party branches, their certification ladder and brands (the branches service)."""
from __future__ import annotations

from typing import Any

from contracts.branches import commands as cmd
from contracts.branches.replies import (
    Branch,
    Brand,
    CertificationHistory,
    Demonstration,
    TopBrands,
)
from gateway.context import Ctx, Reply
from gateway.problem import forbidden
from gateway.resources.common import (
    ADMINS,
    CITY,
    created,
    filters_of,
    in_scope,
    retry_safe_id,
    service_page,
)
from gateway.resources.volunteers import scoped_volunteer
from gateway.roles import (
    AGENCY_ADMIN,
    BRANCH_LIAISON,
    BRANCH_SECRETARY,
    COUNTY_ADMIN,
    UNIT_ADMINS,
    check_branch,
)
from gateway.routing import route
from gateway.schemas import BranchQuery, CoverageList, ReviewItemsBody, body_of, page_of

B = "branches"
BRANCH_ROLES = (*ADMINS, BRANCH_SECRETARY)
CITY_ONLY_GRANTER = "city_bureau"
# the one granter a unit's admin decides as: its own kind of bureau
OWN_GRANTER = {COUNTY_ADMIN: "county_bureau", AGENCY_ADMIN: "agency_office"}


def scoped_branch(ctx: Ctx, branch_id: str) -> dict[str, Any]:
    check_branch(ctx.principal, branch_id)
    return in_scope(ctx, ctx.call(B, "get_branch", branch_id))


def _on_branch(ctx: Ctx, method: str, **extra: Any) -> Any:
    branch_id = ctx.params["branch_id"]
    scoped_branch(ctx, branch_id)
    return ctx.call(B, method, {**ctx.payload(branch_id=branch_id), **extra})


def _as_granter(ctx: Ctx, role_field: str) -> dict[str, Any]:
    """A county (or agency) admin decides as its own unit's bureau; only the city acts as
    the city."""
    if ctx.principal.role not in UNIT_ADMINS:
        return {}
    granter = ctx.data.get(role_field)  # the validated code, not the body
    if granter == CITY_ONLY_GRANTER:
        raise forbidden("Only the city bureau decides as the city bureau.")
    if granter != OWN_GRANTER[ctx.principal.role]:
        raise forbidden(f"Your account decides as {OWN_GRANTER[ctx.principal.role]} only.")
    return {"granter_county": ctx.principal.county_code}


# ---- branches --------------------------------------------------------------------------


@route("GET", "/branches", roles=ADMINS, query=BranchQuery, response=page_of(Branch),
       paged=True, tag="branches", summary="List branches")
def list_branches(ctx: Ctx) -> dict[str, Any]:
    names = ("county_code", "level", "branch_type", "status", "certification_level",
             "parent_id")
    return service_page(ctx, B, "list_branches", filters_of(ctx, names))


@route("POST", "/branches", roles=ADMINS, body=body_of(cmd.EstablishBranch),
       response=Branch, status=201, tag="branches", summary="Establish a branch")
def establish_branch(ctx: Ctx) -> Reply:
    in_scope(ctx, {"county_code": ctx.data["county_code"]})
    branch_id = ctx.body.get("branch_id") or retry_safe_id(ctx)
    branch = ctx.call(B, "establish_branch", ctx.payload(branch_id=branch_id))
    return created(branch, f"/branches/{branch['branch_id']}")


@route("GET", "/branches/<branch_id>", roles=(*BRANCH_ROLES, BRANCH_LIAISON), response=Branch,
       tag="branches", summary="One branch")
def get_branch(ctx: Ctx) -> dict[str, Any]:
    return scoped_branch(ctx, ctx.params["branch_id"])


for _path, _method, _schema, _roles, _summary in (
    ("rename", "rename_branch", cmd.RenameBranch, ADMINS, "Rename a branch"),
    ("officers", "change_officers", cmd.ChangeOfficers, BRANCH_ROLES,
     "Change the secretary or liaison"),
    ("move", "move_branch", cmd.MoveBranch, ADMINS, "Move a branch under another parent"),
    ("merge", "merge_branch", cmd.MergeBranch, ADMINS, "Merge a branch into another"),
    ("dissolve", "dissolve_branch", cmd.DissolveBranch, ADMINS, "Dissolve a branch"),
):
    def _branch_command(ctx: Ctx, method: str = _method) -> Any:
        return _on_branch(ctx, method)

    route("POST", f"/branches/<branch_id>/{_path}", roles=_roles,
          body=body_of(_schema, "branch_id"), response=Branch, tag="branches",
          summary=_summary)(_branch_command)


@route("POST", "/branches/<branch_id>/members", roles=BRANCH_ROLES,
       body=body_of(cmd.AddMember, "branch_id"), response=Branch, status=201,
       tag="branches", summary="Add a volunteer as a member")
def add_member(ctx: Ctx) -> Reply:
    scoped_volunteer(ctx, ctx.data["volunteer_id"])  # another county's: 404, as if none
    branch = _on_branch(ctx, "add_member")
    return created(branch, f"/branches/{branch['branch_id']}")


@route("POST", "/branches/<branch_id>/members/<volunteer_id>/remove", roles=BRANCH_ROLES,
       body=body_of(cmd.RemoveMember, "branch_id", "volunteer_id"), response=Branch,
       tag="branches", summary="Remove a member")
def remove_member(ctx: Ctx) -> Any:
    return _on_branch(ctx, "remove_member", volunteer_id=ctx.params["volunteer_id"])


# ---- certifications --------------------------------------------------------------------


@route("GET", "/branches/<branch_id>/certifications", roles=BRANCH_ROLES,
       response=CertificationHistory, tag="certifications",
       summary="A branch's certification history")
def certification_history(ctx: Ctx) -> Any:
    branch_id = ctx.params["branch_id"]
    scoped_branch(ctx, branch_id)
    return ctx.call(B, "certification_history", branch_id)


@route("POST", "/branches/<branch_id>/certifications", roles=BRANCH_ROLES,
       body=body_of(cmd.ApplyForCertification, "branch_id"), response=CertificationHistory,
       status=201,
       tag="certifications", summary="Apply for a certification level")
def apply_for_certification(ctx: Ctx) -> Reply:
    history = _on_branch(ctx, "apply_for_certification",
                         application_id=ctx.body.get("application_id") or retry_safe_id(ctx))
    return created(history, f"/branches/{ctx.params['branch_id']}/certifications")


@route("POST", "/branches/<branch_id>/certifications/reviews", roles=ADMINS,
       body=ReviewItemsBody, response=CertificationHistory, tag="certifications",
       summary="Review checklist items of an application (all or none)")
def review_items(ctx: Ctx) -> Any:
    return _on_branch(ctx, "review_items")


for _dpath, _dmethod, _dschema, _role_field, _dsummary in (
    ("grant", "grant_certification", cmd.GrantCertification, "granted_by",
     "Grant the level applied for"),
    ("refuse", "refuse_certification", cmd.RefuseCertification, "refused_by",
     "Refuse an application"),
    ("pass-review", "pass_review", cmd.PassReview, "reviewer", "Record a passed re-review"),
    ("fail-review", "fail_review", cmd.FailReview, "reviewer", "Record a failed re-review"),
    ("revoke", "revoke_certification", cmd.RevokeCertification, "revoked_by",
     "Revoke the level held"),
):
    def _decision(ctx: Ctx, method: str = _dmethod, role_field: str = _role_field) -> Any:
        return _on_branch(ctx, method, **_as_granter(ctx, role_field))

    route("POST", f"/branches/<branch_id>/certifications/{_dpath}", roles=ADMINS,
          body=body_of(_dschema, "branch_id", "granter_county"), response=CertificationHistory,
          tag="certifications", summary=_dsummary)(_decision)


@route("GET", "/certifications/coverage", roles=ADMINS, response=CoverageList,
       tag="certifications", summary="Certification coverage per county")
def coverage(ctx: Ctx) -> dict[str, Any]:
    rows = ctx.call(B, "coverage")
    county = ctx.principal.county_code if ctx.principal.county_bound else None
    return {"items": [r for r in rows if county is None or r.get("county_code") == county]}


@route("GET", "/certifications/demonstration", roles=CITY, response=Demonstration,
       tag="certifications", summary="Demonstration branches of the city")
def demonstration(ctx: Ctx) -> Any:
    return ctx.call(B, "demonstration_branches")


# ---- brands ----------------------------------------------------------------------------


@route("POST", "/branches/<branch_id>/brand", roles=BRANCH_ROLES,
       body=body_of(cmd.ApplyForBrand, "branch_id"), response=Brand, status=201,
       tag="brands", summary="Apply for a party-building brand")
def apply_brand(ctx: Ctx) -> Reply:
    brand = _on_branch(ctx, "apply_brand")
    return created(brand, f"/branches/{ctx.params['branch_id']}")


@route("POST", "/branches/<branch_id>/brand/review", roles=ADMINS,
       body=body_of(cmd.ReviewBrand, "branch_id"), response=Brand, tag="brands",
       summary="Review a brand application")
def review_brand(ctx: Ctx) -> Any:
    return _on_branch(ctx, "review_brand")


@route("POST", "/brands/top-ten", roles=CITY, body=body_of(cmd.SelectTopBrands),
       response=TopBrands, status=201, tag="brands", summary="Select the year's top brands")
def select_top_brands(ctx: Ctx) -> Reply:
    selection = ctx.call(B, "select_top_brands", ctx.payload())
    return created(selection, f"/brands/top-ten/{selection['year']}")
