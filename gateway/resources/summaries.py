"""County summaries for the dashboard: volunteers against the baseline, activities and
wishes, certification coverage and demonstration branches (one answer per county, put
together from three services); a county's activities by month and theme; its micro-wish
funnel, both live or as of an instant (`?as_of=`, bounded like the rankings'). A
county-bound caller sees its own county only; another county answers 404."""
from __future__ import annotations

from typing import Any

from contracts.activities.replies import CountyTrends, WishFunnel
from gateway.context import Ctx
from gateway.resources.common import ADMINS
from gateway.resources.rankings import check_as_of, scoped_county
from gateway.routing import route
from gateway.schemas import AsOfQuery, CountySummary, CountySummaryList

NO_ACTIVITIES = {"activities": {}, "themes": {}, "hours": "0", "audience": 0, "wishes": {}}


def summaries(ctx: Ctx, only: str | None) -> list[dict[str, Any]]:
    volunteers = ctx.call("volunteers", "county_summary")
    activities = ctx.call("activities", "county_summary")
    coverage = {row["county_code"]: row for row in ctx.call("branches", "coverage")}
    demonstration = ctx.call("branches", "demonstration_branches")["by_county"]
    return [{"county_code": row["county_code"], "county_name": row["county_name"],
             "volunteers": row,
             "activities": activities.get(row["county_code"], NO_ACTIVITIES),
             "coverage": coverage[row["county_code"]],
             "demonstration": demonstration.get(row["county_code"], {})}
            for row in volunteers if only is None or row["county_code"] == only]


@route("GET", "/summaries/counties", roles=ADMINS, response=CountySummaryList,
       tag="summaries", summary="Every county at a glance (a county admin: its own)")
def county_summaries(ctx: Ctx) -> dict[str, Any]:
    own = ctx.principal.county_code if ctx.principal.county_bound else None
    return {"items": summaries(ctx, own)}


@route("GET", "/summaries/counties/<county_code>", roles=ADMINS, response=CountySummary,
       tag="summaries", summary="One county at a glance")
def county_summary(ctx: Ctx) -> dict[str, Any]:
    return summaries(ctx, scoped_county(ctx, ctx.params["county_code"]))[0]


@route("GET", "/summaries/counties/<county_code>/trends", roles=ADMINS, query=AsOfQuery,
       response=CountyTrends, tag="summaries",
       summary="Completed activities by month (city time) and theme; hours and audience")
def county_trends(ctx: Ctx) -> Any:
    county = scoped_county(ctx, ctx.params["county_code"])
    return ctx.call("activities", "county_trends", county, **as_of_option(ctx))


@route("GET", "/summaries/counties/<county_code>/wishes", roles=ADMINS, query=AsOfQuery,
       response=WishFunnel, tag="summaries",
       summary="Micro-wishes: posted → claimed → fulfilled → confirmed, and time to fulfil")
def wish_funnel(ctx: Ctx) -> Any:
    county = scoped_county(ctx, ctx.params["county_code"])
    return ctx.call("activities", "wish_funnel", county, **as_of_option(ctx))


def as_of_option(ctx: Ctx) -> dict[str, str]:
    """The as-of asked for, refused like the rankings' when it names the future or a time
    before the first event; nothing when live."""
    as_of = ctx.query.get("as_of")
    check_as_of(ctx, as_of)
    return {} if as_of is None else {"as_of": as_of}
