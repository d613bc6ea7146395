"""Exports for the city agencies (市直单位): their ranking with every indicator's row, and
one agency's volunteer roster, as CSV or XLSX (as the counties' exports)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from gateway.city_clock import city_zone
from gateway.context import Ctx, Reply
from gateway.exports import tables
from gateway.resources.common import ADMINS
from gateway.resources.exports import SPREADSHEETS, all_pages, download
from gateway.resources.rankings import ranking_options, scoped_agency
from gateway.routing import route
from gateway.schemas import ExportQuery, RankingExportQuery
from yinfa.city_time import local_year

HEADERS = ("排名", "市直单位代码", "市直单位", "总分", "指标代码", "指标", "口径", "原始值",
           "分母", "标准化值", "目标值", "权重", "得分")


def agency_ranking(ranking: Iterable[Mapping[str, Any]], title: str) -> tables.Table:
    """One row per agency and indicator, so each agency's points can be traced."""
    n = tables.number
    rows = tuple(
        (agency.get("rank"), agency.get("agency_code"), agency.get("agency_name"),
         n(agency.get("total")), row.get("code"), row.get("label"), row.get("measure"),
         n(row.get("raw")), n(row.get("denominator")), n(row.get("normalised")),
         n(row.get("target")), n(row.get("weight")), n(row.get("points")))
        for agency in ranking for row in agency.get("rows") or [{}])
    return tables.Table(title, HEADERS, rows)


@route("GET", "/exports/agency-ranking", roles=ADMINS, query=RankingExportQuery,
       produces=SPREADSHEETS, tag="exports",
       summary="The city agencies' ranking with every indicator's row (CSV or XLSX)")
def export_agency_ranking(ctx: Ctx) -> Reply:
    ranking = ctx.call("scoring", "agency_ranking", **ranking_options(ctx))
    period = ctx.query.get("period") or local_year(datetime.now(UTC), city_zone())
    return download(ctx, agency_ranking(ranking, f"市直单位排名_{period}"))


@route("GET", "/exports/agencies/<agency_code>/volunteers", roles=ADMINS, query=ExportQuery,
       produces=SPREADSHEETS, tag="exports",
       summary="A city agency's volunteer roster, personal data masked (CSV or XLSX)")
def export_agency_roster(ctx: Ctx) -> Reply:
    agency_code = scoped_agency(ctx, ctx.params["agency_code"])
    volunteers = all_pages(ctx, "volunteers", "list_volunteers", county_code=agency_code)
    title = f"{tables.county_name(agency_code)}志愿者名册"
    return download(ctx, tables.volunteer_roster(volunteers, title))
