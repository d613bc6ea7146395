"""The city agencies' (市直单位) ranking, beside the counties': every agency ranked under
the rulebook's agency indicators, one agency's score explained, and the branches and
volunteers of one agency ranked among its own (the scoring service). Options and caching
as for the county ranking."""
from __future__ import annotations

from typing import Any

from contracts.scoring.replies import AgencyScore, RankedBranch, RankedVolunteer
from gateway.context import Ctx
from gateway.resources.common import ADMINS
from gateway.resources.rankings import (
    READERS,
    cached_call,
    paged_unit_ranking,
    ranking_options,
    scoped_agency,
    with_names,
)
from gateway.roles import BRANCH_SECRETARY, ROLES
from gateway.routing import route
from gateway.schemas import AgencyRanking, PagedRankingQuery, RankingQuery, page_of


@route("GET", "/rankings/agencies", roles=ROLES, query=RankingQuery, response=AgencyRanking,
       etag=True, tag="rankings",
       summary="The city agencies' ranking (市直单位, optionally as of a date)")
def agency_ranking(ctx: Ctx) -> dict[str, Any]:
    return {"items": cached_call(ctx, "agency_ranking", **ranking_options(ctx))}


@route("GET", "/rankings/agencies/<agency_code>", roles=READERS, query=RankingQuery,
       response=AgencyScore, etag=True, tag="rankings",
       summary="One city agency's score explained: indicator → raw → normalised → points")
def explain_agency(ctx: Ctx) -> dict[str, Any]:
    agency_code = scoped_agency(ctx, ctx.params["agency_code"])
    return cached_call(ctx, "explain_agency", agency_code, **ranking_options(ctx))


def _paged_ranking(ctx: Ctx, method: str) -> dict[str, Any]:
    return paged_unit_ranking(ctx, method, "agency_code",
                              scoped_agency(ctx, ctx.params["agency_code"]))


@route("GET", "/rankings/agencies/<agency_code>/branches", roles=(*ADMINS, BRANCH_SECRETARY),
       query=PagedRankingQuery, response=page_of(RankedBranch), etag=True, paged=True,
       tag="rankings", summary="Branches of a city agency, ranked")
def branch_ranking(ctx: Ctx) -> dict[str, Any]:
    return _paged_ranking(ctx, "branch_ranking")


@route("GET", "/rankings/agencies/<agency_code>/volunteers", roles=ADMINS,
       query=PagedRankingQuery, response=page_of(RankedVolunteer), etag=True, paged=True,
       tag="rankings", summary="Volunteers of a city agency, ranked")
def volunteer_ranking(ctx: Ctx) -> dict[str, Any]:
    return with_names(ctx, _paged_ranking(ctx, "volunteer_ranking"))
