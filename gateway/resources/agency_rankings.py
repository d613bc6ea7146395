"""The city agencies' (市直单位) ranking, beside the counties': every agency ranked under
the rulebook's agency indicators, and one agency's score explained (the scoring
service). Options and caching as for the county ranking."""
from __future__ import annotations

from typing import Any

from contracts.scoring.replies import AgencyScore
from gateway.context import Ctx
from gateway.resources.rankings import READERS, cached_call, ranking_options, scoped_agency
from gateway.roles import ROLES
from gateway.routing import route
from gateway.schemas import AgencyRanking, RankingQuery


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
