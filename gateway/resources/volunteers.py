"""Volunteers, their hours, and teams (the volunteers service)."""
from __future__ import annotations

from typing import Any

from contracts.volunteers import catalog as volunteer_catalog, commands as cmd
from contracts.volunteers.replies import RosterOutcome, Team, Volunteer, VolunteerHours
from gateway.context import Ctx, Reply
from gateway.problem import forbidden, not_found
from gateway.resources.common import (
    ADMINS,
    CITY,
    PEOPLE,
    created,
    filters_of,
    in_scope,
    retry_safe_id,
    service_page,
    whole_page,
)
from gateway.roles import (
    AGENCY_ADMIN,
    CITY_ADMIN,
    COUNTY_ADMIN,
    FEED_CLIENT,
    VOLUNTEER,
    check_volunteer,
    may_reveal,
)
from gateway.routing import route
from gateway.schemas import (
    CountyQuery,
    RevealQuery,
    Strict,
    VolunteerQuery,
    batch_of,
    body_of,
    page_of,
)

V = "volunteers"
VOLUNTEER_ROLES = (*ADMINS, VOLUNTEER)
REGISTRATION = body_of(cmd.RegisterVolunteer)
ROSTER = batch_of(REGISTRATION, cmd.MAX_ROSTER, "RosterBody")


def scoped_volunteer(ctx: Ctx, volunteer_id: str, reveal: bool = False) -> dict[str, Any]:
    """The volunteer if the caller may see it; 404 otherwise, like a missing id."""
    check_volunteer(ctx.principal, volunteer_id)
    return in_scope(ctx, ctx.call(V, "get_volunteer", volunteer_id, reveal=reveal))


def _command(ctx: Ctx, method: str) -> dict[str, Any]:
    volunteer_id = ctx.params["volunteer_id"]
    scoped_volunteer(ctx, volunteer_id)
    return ctx.call(V, method, ctx.payload(volunteer_id=volunteer_id))


# ---- volunteers ------------------------------------------------------------------------


@route("GET", "/volunteers", roles=ADMINS, query=VolunteerQuery, response=page_of(Volunteer),
       paged=True, tag="volunteers", summary="List volunteers (personal data masked)")
def list_volunteers(ctx: Ctx) -> dict[str, Any]:
    return service_page(ctx, V, "list_volunteers", filters_of(ctx, ("county_code", "status")))


@route("POST", "/volunteers", roles=ADMINS, body=REGISTRATION,
       response=Volunteer, status=201, tag="volunteers", summary="Register a volunteer")
def register_volunteer(ctx: Ctx) -> Reply:
    in_scope(ctx, {"county_code": ctx.data["county_code"]})
    scope = ctx.principal.county_code if ctx.principal.county_bound else None
    volunteer = ctx.call(V, "register_volunteer", ctx.payload(), within_county=scope)
    return created(volunteer, f"/volunteers/{volunteer['volunteer_id']}")


@route("POST", "/volunteers/batch", roles=(*ADMINS, FEED_CLIENT), body=ROSTER,
       response=RosterOutcome, batch=True, tag="volunteers",
       summary="Register many volunteers at once (a roster import); each item is answered "
               "on its own, in order: created, exists, invalid or refused")
def register_volunteers(ctx: Ctx) -> dict[str, Any]:
    items = ctx.data["items"]
    results: dict[int, dict[str, Any]] = {}
    sent = []
    for index, item in enumerate(items):
        if _outside_scope(ctx, item):
            results[index] = {"index": index, "status": "refused",
                              "errors": {"county_code": ["Not a county in your scope."]}}
        else:
            sent.append(index)
    if sent:
        scope = ctx.principal.county_code if ctx.principal.county_bound else None
        answer = ctx.call(V, "register_volunteers", [items[i] for i in sent],
                          within_county=scope)
        for result in answer["results"]:
            results[sent[result["index"]]] = {**result, "index": sent[result["index"]]}
    ordered = [results[index] for index in range(len(items))]
    return {"results": ordered, "created": sum(r["status"] == "created" for r in ordered)}


def _outside_scope(ctx: Ctx, item: Any) -> bool:
    """An item a county-bound caller may not write: it names another county. (Without a
    county it goes on, and the service answers it invalid.)"""
    return (ctx.principal.county_bound and isinstance(item, dict) and "county_code" in item
            and item["county_code"] != ctx.principal.county_code)


class IdNumberLookup(Strict):
    id_number = cmd.id_number_field(required=True)


@route("POST", "/volunteers/lookup", roles=ADMINS, body=IdNumberLookup, response=Volunteer,
       tag="volunteers",
       summary="Find a volunteer by ID number (also one their record was corrected to); "
               "in the body, so that the number stays out of URLs and logs")
def find_volunteer(ctx: Ctx) -> dict[str, Any]:
    return in_scope(ctx, ctx.call(V, "find_volunteer", ctx.data["id_number"]))


@route("POST", "/volunteers/<volunteer_id>/record-corrections", roles=ADMINS,
       body=body_of(cmd.CorrectRecord, "volunteer_id"), response=Volunteer, tag="volunteers",
       summary="Correct a record's name, gender, birth date or ID number, with a reason and "
               "the authority; the volunteer id stays. An ID number that is another "
               "record's is refused (409): the two records are to be merged")
def correct_record(ctx: Ctx) -> dict[str, Any]:
    return _command(ctx, "correct_record")


@route("GET", "/volunteers/<volunteer_id>", roles=VOLUNTEER_ROLES, query=RevealQuery,
       response=Volunteer, tag="volunteers",
       summary="One volunteer; reveal=true shows the ID number and phone to roles that may")
def get_volunteer(ctx: Ctx) -> dict[str, Any]:
    volunteer_id = ctx.params["volunteer_id"]
    volunteer = scoped_volunteer(ctx, volunteer_id)
    if not ctx.query["reveal"]:
        return volunteer
    if not may_reveal(ctx.principal, volunteer.get("county_code"), volunteer_id):
        raise forbidden("Your role sees personal data masked.")
    return ctx.call(V, "get_volunteer", volunteer_id, reveal=True)


@route("PATCH", "/volunteers/<volunteer_id>", roles=VOLUNTEER_ROLES,
       body=body_of(cmd.UpdateProfile, "volunteer_id"), response=Volunteer, tag="volunteers",
       summary="Update a volunteer's profile")
def update_profile(ctx: Ctx) -> dict[str, Any]:
    return _command(ctx, "update_profile")


for _action, _schema, _summary in (
    ("verify", cmd.VerifyVolunteer, "Verify a registration"),
    ("suspend", cmd.SuspendVolunteer, "Suspend a volunteer"),
    ("reinstate", cmd.ReinstateVolunteer, "Reinstate a suspended volunteer"),
    ("withdraw", cmd.WithdrawVolunteer, "Record a volunteer's withdrawal"),
    ("return", cmd.ReturnVolunteer, "A withdrawn volunteer returns (not after a death): "
     "the same record, hours, stars and history; the reason is required"),
):
    def _handler(ctx: Ctx, method: str = f"{_action}_volunteer") -> dict[str, Any]:
        return _command(ctx, method)

    route("POST", f"/volunteers/<volunteer_id>/{_action}", roles=ADMINS,
          body=body_of(_schema, "volunteer_id"), response=Volunteer, tag="volunteers",
          summary=_summary)(_handler)


@route("POST", "/volunteers/<volunteer_id>/erasure", roles=CITY,
       body=body_of(cmd.EraseVolunteer, "volunteer_id"), response=Volunteer, status=201,
       tag="volunteers",
       summary="Erase a person's personal data (PIPL art. 47); hours and stars stay, anonymous")
def erase_volunteer(ctx: Ctx) -> Reply:
    volunteer = _command(ctx, "erase_volunteer")
    return created(volunteer, f"/volunteers/{ctx.params['volunteer_id']}")


# ---- hours -----------------------------------------------------------------------------


@route("GET", "/volunteers/<volunteer_id>/hours", roles=VOLUNTEER_ROLES,
       response=VolunteerHours, tag="hours", summary="A volunteer's hours and star level")
def get_hours(ctx: Ctx) -> dict[str, Any]:
    volunteer = scoped_volunteer(ctx, ctx.params["volunteer_id"])
    return {k: volunteer.get(k) for k in ("volunteer_id", "total_hours", "verified_hours",
                                          "activity_hours", "star_level",
                                          "star_level_reached", "star_level_pending",
                                          "carried_hours") if k in volunteer}


for _path, _method, _hours_schema, _summary in (
    ("hours", "record_hours", cmd.RecordHours, "Record service hours (one ledger entry)"),
    ("hours/batch", "record_hours_batch", cmd.RecordHoursBatch,
     "Record many ledger entries at once (all or none)"),
    ("hours/corrections", "correct_hours", cmd.CorrectHours, "Correct a ledger entry"),
):
    def _hours_command(ctx: Ctx, method: str = _method) -> Reply:
        return created(_command(ctx, method), f"/volunteers/{ctx.params['volunteer_id']}/hours")

    _hours_command.__name__ = _method  # the OpenAPI operation's name
    route("POST", f"/volunteers/<volunteer_id>/{_path}", roles=ADMINS,
          body=body_of(_hours_schema, "volunteer_id"), response=Volunteer, status=201,
          tag="hours", summary=_summary)(_hours_command)


# ---- star levels: reached, pending, approved (认定) by the level's authority ------------

# an agency's retiree office approves its volunteers' stars as a county bureau does
AUTHORITY_OF_ROLE = {CITY_ADMIN: volunteer_catalog.CITY, COUNTY_ADMIN: volunteer_catalog.COUNTY,
                     AGENCY_ADMIN: volunteer_catalog.COUNTY}


def _speaks_for(ctx: Ctx, level: int) -> str:
    """The authority the caller speaks for, if it may decide this level (else 403)."""
    authority = AUTHORITY_OF_ROLE[ctx.principal.role]
    required = volunteer_catalog.load_volunteer_catalog().star_authority(level)
    ranks = volunteer_catalog.AUTHORITIES  # from the lower to the higher
    if ranks.index(authority) < ranks.index(required):
        raise forbidden(f"Star level {level} is approved by the {required}.")
    return authority


@route("GET", "/star-levels/pending", roles=ADMINS, query=CountyQuery,
       response=page_of(Volunteer), paged=True, tag="hours",
       summary="The caller's work: volunteers whose next star level waits for approval by "
               "the caller's authority (a county bureau: levels 1–3 of its county by "
               "default; the city: levels 4–5)")
def pending_star_levels(ctx: Ctx) -> dict[str, Any]:
    levels = volunteer_catalog.load_volunteer_catalog().levels_approved_by(
        AUTHORITY_OF_ROLE[ctx.principal.role])
    return service_page(ctx, V, "pending_star_levels",
                        {**filters_of(ctx, ("county_code",)), "levels": levels})


for _path, _method, _star_schema, _summary in (
    ("star-levels/approvals", "approve_star_level", cmd.ApproveStarLevel,
     "Approve (认定) a volunteer's pending star level: from then on it counts"),
    ("star-levels/returns", "return_star_level", cmd.ReturnStarLevel,
     "Return a pending star level with a reason (pending again once the ledger changes)"),
):
    def _star_decision(ctx: Ctx, method: str = _method) -> Reply:
        approver = _speaks_for(ctx, ctx.data["level"])
        volunteer_id = ctx.params["volunteer_id"]
        scoped_volunteer(ctx, volunteer_id)
        decided = ctx.call(V, method, ctx.payload(volunteer_id=volunteer_id, approver=approver))
        return created(decided, f"/volunteers/{volunteer_id}")

    _star_decision.__name__ = _method  # the OpenAPI operation's name
    route("POST", f"/volunteers/<volunteer_id>/{_path}", roles=ADMINS,
          body=body_of(_star_schema, "volunteer_id", "approver"), response=Volunteer,
          status=201, tag="hours", summary=_summary)(_star_decision)


# ---- teams -----------------------------------------------------------------------------


def scoped_team(ctx: Ctx, team_id: str) -> dict[str, Any]:
    county = ctx.principal.county_code if ctx.principal.county_bound else None
    for team in ctx.call(V, "list_teams", county):
        if team["team_id"] == team_id:
            return in_scope(ctx, team)
    raise not_found("No such team.")


@route("GET", "/teams", roles=PEOPLE, query=CountyQuery, response=page_of(Team), paged=True,
       tag="teams", summary="List teams")
def list_teams(ctx: Ctx) -> dict[str, Any]:
    filters = filters_of(ctx, ("county_code",))
    return whole_page(ctx, ctx.call(V, "list_teams", filters["county_code"]), filters)


@route("POST", "/teams", roles=ADMINS, body=body_of(cmd.CreateTeam), response=Team,
       status=201, tag="teams", summary="Create a team")
def create_team(ctx: Ctx) -> Reply:
    in_scope(ctx, {"county_code": ctx.data["county_code"]})
    team_id = ctx.body.get("team_id") or retry_safe_id(ctx)
    team = ctx.call(V, "create_team", ctx.payload(team_id=team_id))
    return created(team, f"/teams/{team['team_id']}")


@route("GET", "/teams/<team_id>", roles=PEOPLE, response=Team, tag="teams",
       summary="One team")
def get_team(ctx: Ctx) -> dict[str, Any]:
    return scoped_team(ctx, ctx.params["team_id"])


@route("POST", "/teams/<team_id>/members", roles=VOLUNTEER_ROLES,
       body=body_of(cmd.JoinTeam, "team_id"), response=Team, status=201, tag="teams",
       summary="Add a volunteer to a team (a volunteer may add themself)")
def join_team(ctx: Ctx) -> Reply:
    team_id = ctx.params["team_id"]
    scoped_team(ctx, team_id)
    scoped_volunteer(ctx, ctx.data["volunteer_id"])
    team = ctx.call(V, "join_team", ctx.payload(team_id=team_id))
    return created(team, f"/teams/{team_id}")


@route("POST", "/teams/<team_id>/members/<volunteer_id>/leave", roles=VOLUNTEER_ROLES,
       body=body_of(cmd.LeaveTeam, "team_id", "volunteer_id"), response=Team,
       tag="teams", summary="A volunteer leaves a team")
def leave_team(ctx: Ctx) -> dict[str, Any]:
    team_id, volunteer_id = ctx.params["team_id"], ctx.params["volunteer_id"]
    scoped_team(ctx, team_id)
    scoped_volunteer(ctx, volunteer_id)
    return ctx.call(V, "leave_team", ctx.payload(team_id=team_id, volunteer_id=volunteer_id))
