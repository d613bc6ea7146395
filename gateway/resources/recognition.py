"""Model volunteers (典型选树) and the silver talent pool (银发人才库), of the volunteers
service. A county (or agency) bureau nominates its own volunteers and reviews them first;
the city reviews next and announces a title's year at once. The pool is searched by the
bureaus and branch secretaries, who see a volunteer's name but no ID number or phone."""
from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from contracts.volunteers import commands as cmd
from contracts.volunteers.catalog import load_volunteer_catalog
from contracts.volunteers.recognition import load_recognition_catalog
from contracts.volunteers.recognition_commands import MAX_DEEDS
from contracts.volunteers.recognition_replies import (
    NOMINATION_STATUSES,
    Campaign,
    Nomination,
    TalentCard,
    TalentNeed,
    TalentProfile,
)
from contracts.volunteers.talent import load_talent_catalog
from gateway.context import Ctx, Reply
from gateway.resources.common import (
    created,
    filters_of,
    in_scope,
    retry_safe_id,
    service_page,
    whole_page,
)
from gateway.resources.volunteers import VOLUNTEER_ROLES, scoped_volunteer
from gateway.roles import (
    AGENCY_ADMIN,
    BRANCH_SECRETARY,
    CITY_ADMIN,
    COUNTY_ADMIN,
    check_county,
)
from gateway.routing import route
from gateway.schemas import PageQuery, Strict, body_of, catalog_code, county_field, one_of, page_of

V = "volunteers"
UNIT_ADMINS = (COUNTY_ADMIN, AGENCY_ADMIN)
BUREAUS = (CITY_ADMIN, *UNIT_ADMINS)
POOL_USERS = (*BUREAUS, BRANCH_SECRETARY)
CITY = (CITY_ADMIN,)


# ---- model volunteers ----------------------------------------------------------------------


def _title_codes() -> list[str]:
    return list(load_recognition_catalog().titles)


class NominationQuery(PageQuery):
    title = catalog_code(_title_codes)
    year = fields.Integer(load_default=None, validate=validate.Range(min=2000, max=2100))
    county_code = county_field()
    status = one_of(*NOMINATION_STATUSES)


class ReviewBody(Strict):
    decision = fields.String(required=True, validate=validate.OneOf(("approved", "rejected")))
    reason_code = fields.String(load_default=None, allow_none=True)


class TitleSchema(Strict):
    code = fields.String(required=True)
    label = fields.String(required=True)
    quota = fields.Integer(required=True)  # a county's, unless `quotas` names its own
    min_star_level = fields.Integer(required=True)
    quotas = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


def scoped_nomination(ctx: Ctx, nomination_id: str) -> dict[str, Any]:
    """The nomination if the caller may see it (a bureau, its own county's); else 404."""
    return in_scope(ctx, ctx.call(V, "get_nomination", nomination_id))


@route("GET", "/titles", roles=BUREAUS, response=page_of(TitleSchema), paged=True,
       query=PageQuery, tag="model volunteers",
       summary="The model-volunteer titles (最美老干部志愿者, 正能量之星, 双先) and each "
               "county's yearly quota of nominations")
def list_titles(ctx: Ctx) -> dict[str, Any]:
    titles = [{"code": t.code, "label": t.label, "quota": t.quota,
               "min_star_level": t.min_star_level, "quotas": dict(t.quotas)}
              for t in load_recognition_catalog().titles.values()]
    return whole_page(ctx, titles, {})


@route("POST", "/nominations", roles=UNIT_ADMINS,
       body=body_of(cmd.NominateVolunteer, "county_code", "nomination_id"),
       response=Nomination, status=201, tag="model volunteers",
       summary=f"Nominate a volunteer of your county for a title and year, with their deeds "
               f"(事迹, up to {MAX_DEEDS} characters, kept sealed); the record (verified "
               f"hours, approved stars) is attached as it stands. Over the county's quota, "
               f"or of a suspended, withdrawn or unverified volunteer: 409")
def nominate(ctx: Ctx) -> Reply:
    scoped_volunteer(ctx, ctx.data["volunteer_id"])
    nomination = ctx.call(V, "nominate_volunteer", ctx.payload(
        county_code=ctx.principal.county_code, nomination_id=retry_safe_id(ctx)))
    return created(nomination, f"/nominations/{nomination['nomination_id']}")


@route("GET", "/nominations", roles=BUREAUS, query=NominationQuery,
       response=page_of(Nomination), paged=True, tag="model volunteers",
       summary="Nominations (a county bureau: its own county's), newest year first")
def list_nominations(ctx: Ctx) -> dict[str, Any]:
    filters = filters_of(ctx, ("title", "year", "county_code", "status"))
    return whole_page(ctx, ctx.call(V, "list_nominations", **filters), filters)


@route("GET", "/nominations/<nomination_id>", roles=BUREAUS, response=Nomination,
       tag="model volunteers", summary="One nomination, with the nominee's deeds")
def get_nomination(ctx: Ctx) -> dict[str, Any]:
    return scoped_nomination(ctx, ctx.params["nomination_id"])


@route("POST", "/nominations/<nomination_id>/review", roles=BUREAUS, body=ReviewBody,
       response=Nomination, tag="model volunteers",
       summary="Review a nomination: the county bureau first, then the city; a rejection "
               "names a reason code")
def review_nomination(ctx: Ctx) -> dict[str, Any]:
    nomination = scoped_nomination(ctx, ctx.params["nomination_id"])
    stage = "city" if ctx.principal.role == CITY_ADMIN else "county"
    return ctx.call(V, "review_nomination", {
        **ctx.body, "nomination_id": nomination["nomination_id"],
        "title": nomination["title"], "year": nomination["year"], "stage": stage,
        "county_code": ctx.principal.county_code if stage == "county" else None})


@route("POST", "/titles/announcements", roles=CITY, body=body_of(cmd.AnnounceTitles),
       response=Campaign, status=201, tag="model volunteers",
       summary="Announce a title's year: every nomination the city approved is awarded "
               "(on the volunteer's record and certificates from then on); refused while "
               "a nomination awaits review")
def announce_titles(ctx: Ctx) -> Reply:
    campaign = ctx.call(V, "announce_titles", ctx.payload())
    return created(campaign, f"/nominations?title={campaign['title']}&year={campaign['year']}")


# ---- the talent pool --------------------------------------------------------------------


def _skills() -> list[str]:
    return list(load_volunteer_catalog().skills)


def _talent(section: str) -> Any:
    return lambda: list(getattr(load_talent_catalog(), section))


class TalentQuery(PageQuery):
    skill = catalog_code(_skills)
    speciality = catalog_code(_talent("specialities"))
    former_post = catalog_code(_talent("former_posts"))
    availability = catalog_code(_talent("availability"))
    county_code = county_field()
    min_star_level = fields.Integer(load_default=None, validate=validate.Range(min=0, max=9))
    former_employer = fields.String(load_default=None, validate=validate.Length(min=1, max=100))


TALENT_FILTERS = ("skill", "speciality", "former_post", "availability", "county_code",
                  "min_star_level", "former_employer")
HIDDEN_FROM_BRANCHES = ("id_number_masked", "phone_masked")


def masked_for(ctx: Ctx, cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A branch secretary finds people to ask, by name: not even masked numbers."""
    if ctx.principal.role != BRANCH_SECRETARY:
        return cards
    return [{**card, **dict.fromkeys(HIDDEN_FROM_BRANCHES)} for card in cards]


@route("GET", "/talent", roles=POOL_USERS, query=TalentQuery, response=page_of(TalentCard),
       paged=True, tag="talent pool",
       summary="Search the silver talent pool (银发人才库): serving volunteers by skill, "
               "speciality, kind of former post, availability, county, approved star level "
               "and former employer; the highest stars first. Unknown codes: 422")
def search_talent(ctx: Ctx) -> dict[str, Any]:
    page = service_page(ctx, V, "search_talent", filters_of(ctx, TALENT_FILTERS))
    return {**page, "items": masked_for(ctx, page["items"])}


@route("PUT", "/volunteers/<volunteer_id>/talent", roles=VOLUNTEER_ROLES,
       body=body_of(cmd.RecordTalentProfile, "volunteer_id"), response=TalentProfile,
       tag="talent pool",
       summary="Record a volunteer's talent profile: specialities, kind of former post, "
               "when they can serve (a volunteer may record their own)")
def record_talent_profile(ctx: Ctx) -> dict[str, Any]:
    volunteer_id = ctx.params["volunteer_id"]
    scoped_volunteer(ctx, volunteer_id)
    return ctx.call(V, "record_talent_profile", ctx.payload(volunteer_id=volunteer_id))


@route("POST", "/talent/needs", roles=POOL_USERS,
       body=body_of(cmd.PostTalentNeed, "need_id", "posted_by", "branch_id"),
       response=TalentNeed, status=201, tag="talent pool",
       summary="Post a need (skills or specialities wanted, county, dates): answered with "
               "the county's serving volunteers who match, the best first")
def post_talent_need(ctx: Ctx) -> Reply:
    check_county(ctx.principal, ctx.data["county_code"])
    need = ctx.call(V, "post_talent_need", ctx.payload(
        need_id=retry_safe_id(ctx), posted_by=ctx.principal.role,
        branch_id=ctx.principal.branch_id if ctx.principal.role == BRANCH_SECRETARY
        else None))
    return created({**need, "matches": masked_for(ctx, need["matches"])},
                   f"/talent/needs/{need['need_id']}")


@route("GET", "/talent/needs/<need_id>", roles=POOL_USERS, response=TalentNeed,
       tag="talent pool", summary="A posted need, with who matches it now")
def get_talent_need(ctx: Ctx) -> dict[str, Any]:
    need = in_scope(ctx, ctx.call(V, "get_talent_need", ctx.params["need_id"]))
    return {**need, "matches": masked_for(ctx, need["matches"])}
