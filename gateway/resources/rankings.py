"""County rankings with explanations, as-of and what-if; branch and volunteer rankings;
the evidence behind an indicator (the scoring service). Rankings carry an ETag."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from contracts.scoring.replies import (
    BranchScore,
    Comparison,
    CountyScore,
    RankedBranch,
    RankedVolunteer,
    Timeline,
    VolunteerScore,
)
from gateway.city_clock import city_zone
from gateway.context import Ctx
from gateway.pagination import decode_cursor, page
from gateway.problem import Problem, not_found
from gateway.resources.branches import scoped_branch
from gateway.resources.common import ADMINS, PEOPLE
from gateway.resources.volunteers import scoped_volunteer
from gateway.roles import BRANCH_SECRETARY, FEED_CLIENT, ROLES, check_county
from gateway.routing import route
from gateway.schemas import (
    CompareQuery,
    CountyRanking,
    Document,
    EvidencePage,
    EvidenceQuery,
    PagedRankingQuery,
    RankingQuery,
    WhatIfQuery,
    page_of,
)
from yinfa.city_time import local_day
from yinfa.reference import load_city

S = "scoring"
READERS = (*PEOPLE, FEED_CLIENT)


def ranking_options(ctx: Ctx) -> dict[str, Any]:
    """Only the options given: a service that does not know one yet still answers."""
    options = {k: ctx.query.get(k) for k in ("period", "rulebook", "as_of")}
    check_as_of(ctx, options["as_of"])
    return {k: v for k, v in options.items() if v is not None}


def check_as_of(ctx: Ctx, as_of: str | None) -> None:
    """An as-of in the future, or before the first event scoring knows, would show a
    ranking of nothing as if it were one: it is refused with what can be asked for."""
    if as_of is None:
        return
    instant = datetime.fromisoformat(as_of)
    if local_day(instant, city_zone()) > local_day(datetime.now(UTC), city_zone()):
        raise Problem(422, "as_of_in_future", "The as-of date is in the future.",
                      errors={"as_of": ["Cannot be in the future."]})
    first = cached_call(ctx, "timeline")["first_event_at"]
    if first is None or instant < datetime.fromisoformat(first):
        raise Problem(422, "as_of_before_first_event",
                      "The as-of date is before the first recorded event"
                      + (f" ({first})." if first else " (none yet)."),
                      errors={"as_of": [f"Not before {first or 'the first event'}."]})


def scoped_county(ctx: Ctx, county_code: str) -> str:
    if county_code not in load_city().counties:
        raise not_found("No such county.")
    check_county(ctx.principal, county_code)
    return county_code


def scoped_agency(ctx: Ctx, agency_code: str) -> str:
    """A city agency; a caller bound to a county or another agency finds none (404)."""
    if agency_code not in load_city().agencies:
        raise not_found("No such city agency.")
    check_county(ctx.principal, agency_code)
    return agency_code


def cached_call(ctx: Ctx, method: str, *args: Any, **options: Any) -> Any:
    """Rankings are read far more than they change: see gateway/cache.py."""
    key = (method, args, tuple(sorted(options.items())))
    return ctx.gateway.ranking_cache.get(key, lambda: ctx.call(S, method, *args, **options))


@route("GET", "/rankings/timeline", roles=ROLES, response=Timeline, tag="rankings",
       summary="The rulebooks to rank by, and the span of recorded events an as-of may ask")
def timeline(ctx: Ctx) -> dict[str, Any]:
    return cached_call(ctx, "timeline")


@route("GET", "/rankings/counties", roles=ROLES, query=RankingQuery, response=CountyRanking,
       etag=True, tag="rankings", summary="The county ranking (optionally as of a date)")
def county_ranking(ctx: Ctx) -> dict[str, Any]:
    return {"items": cached_call(ctx, "county_ranking", **ranking_options(ctx))}


@route("GET", "/rankings/counties/<county_code>", roles=READERS, query=RankingQuery,
       response=CountyScore, etag=True, tag="rankings",
       summary="One county's score explained: indicator → raw → normalised → points")
def explain_county(ctx: Ctx) -> dict[str, Any]:
    county_code = scoped_county(ctx, ctx.params["county_code"])
    return cached_call(ctx, "explain", county_code, **ranking_options(ctx))


def paged_unit_ranking(ctx: Ctx, method: str, unit_key: str, unit_code: str
                       ) -> dict[str, Any]:
    """A page of a county's or an agency's branch or volunteer ranking; the cursor is bound
    to the unit and the ranking options."""
    options = ranking_options(ctx)
    filters = {unit_key: unit_code, **options}
    offset = decode_cursor(ctx.settings.cursor_secret, ctx.query.get("cursor"), filters)
    limit = ctx.query["limit"]
    answer = ctx.call(S, method, unit_code, limit=limit, offset=offset, **options)
    return page(ctx.settings.cursor_secret, answer["items"], answer["total"], offset, limit,
                filters)


def _paged_ranking(ctx: Ctx, method: str) -> dict[str, Any]:
    return paged_unit_ranking(ctx, method, "county_code",
                              scoped_county(ctx, ctx.params["county_code"]))


@route("GET", "/rankings/counties/<county_code>/branches", roles=(*ADMINS, BRANCH_SECRETARY),
       query=PagedRankingQuery, response=page_of(RankedBranch), etag=True, paged=True,
       tag="rankings", summary="Branches of a county, ranked")
def branch_ranking(ctx: Ctx) -> dict[str, Any]:
    return _paged_ranking(ctx, "branch_ranking")


@route("GET", "/rankings/counties/<county_code>/volunteers", roles=ADMINS,
       query=PagedRankingQuery, response=page_of(RankedVolunteer), etag=True, paged=True,
       tag="rankings", summary="Volunteers of a county, ranked")
def volunteer_ranking(ctx: Ctx) -> dict[str, Any]:
    return with_names(ctx, _paged_ranking(ctx, "volunteer_ranking"))


def with_names(ctx: Ctx, answer: dict[str, Any]) -> dict[str, Any]:
    """Scoring knows volunteers by id only: names come from the volunteers service, which
    answers 已注销 for a person whose data was erased."""
    items = answer["items"] if "items" in answer else [answer]  # a page, or one score
    names = ctx.call("volunteers", "names_of", [item["volunteer_id"] for item in items])
    for item in items:
        item["name"] = names.get(item["volunteer_id"], item.get("name"))
    return answer


@route("GET", "/rankings/branches/<branch_id>", roles=(*ADMINS, BRANCH_SECRETARY),
       query=RankingQuery, response=BranchScore, etag=True, tag="rankings",
       summary="One branch's score explained")
def explain_branch(ctx: Ctx) -> dict[str, Any]:
    branch_id = ctx.params["branch_id"]
    scoped_branch(ctx, branch_id)
    return ctx.call(S, "explain_branch", branch_id, **ranking_options(ctx))


@route("GET", "/rankings/volunteers/<volunteer_id>", roles=(*ADMINS, "volunteer"),
       query=RankingQuery, response=VolunteerScore, etag=True, tag="rankings",
       summary="One volunteer's score explained")
def explain_volunteer(ctx: Ctx) -> dict[str, Any]:
    volunteer_id = ctx.params["volunteer_id"]
    scoped_volunteer(ctx, volunteer_id)
    return with_names(ctx, ctx.call(S, "explain_volunteer", volunteer_id,
                                    **ranking_options(ctx)))


@route("GET", "/rankings/evidence", roles=ADMINS, query=EvidenceQuery, response=EvidencePage,
       tag="rankings", summary="The events behind one indicator of one subject")
def evidence(ctx: Ctx) -> dict[str, Any]:
    q = ctx.query
    subject, subject_id = q["subject"], q["subject_id"]
    if subject == "county":
        scoped_county(ctx, subject_id)
    elif subject == "agency":
        scoped_agency(ctx, subject_id)
    elif subject == "branch":
        scoped_branch(ctx, subject_id)
    else:
        scoped_volunteer(ctx, subject_id)
    check_as_of(ctx, q.get("as_of"))
    options = {k: v for k, v in (("period", q.get("period")), ("after", q.get("cursor")),
                                 ("as_of", q.get("as_of")))
               if v is not None}
    answer = ctx.call(S, "evidence", subject, subject_id, q["indicator"], limit=q["limit"],
                      **options)
    return {"event_ids": answer["event_ids"], "next": answer.get("next")}


@route("GET", "/rankings/what-if", roles=ADMINS, query=WhatIfQuery, response=Document,
       tag="rankings", summary="Per county and indicator: points under rulebook b minus a")
def what_if(ctx: Ctx) -> dict[str, Any]:
    q = ctx.query
    extra = {"period": q["period"]} if q.get("period") else {}
    deltas = ctx.call(S, "what_if", q["rulebook_a"], q["rulebook_b"], **extra)
    if ctx.principal.county_bound:
        deltas = {k: v for k, v in deltas.items() if k == ctx.principal.county_code}
    return deltas


@route("GET", "/rankings/compare", roles=("city_admin",), query=CompareQuery,
       response=Comparison, etag=True, tag="rankings",
       summary="The same events under two rulebooks, side by side, with rank and point deltas")
def compare_rulebooks(ctx: Ctx) -> dict[str, Any]:
    q = ctx.query
    check_as_of(ctx, q.get("as_of"))
    options = {k: v for k, v in (("period", q.get("period")),
                                 ("as_of", q.get("as_of")))
               if v is not None}
    return ctx.call(S, "compare_rulebooks", q["rulebook_a"], q["rulebook_b"], **options)
