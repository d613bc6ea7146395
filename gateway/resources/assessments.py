"""Annual assessments: the city closes a period under a rulebook; results stay readable."""
from __future__ import annotations

from typing import Any

from contracts.scoring.replies import Assessment, AssessmentSummary
from gateway.context import Ctx, Reply
from gateway.resources.common import ADMINS, CITY, created, whole_page
from gateway.routing import route
from gateway.schemas import AssessmentBody, PageQuery, page_of

S = "scoring"


@route("POST", "/assessments", roles=CITY, body=AssessmentBody, response=Assessment, status=201,
       tag="assessments", summary="Close a period: freeze its ranking under a rulebook")
def close_period(ctx: Ctx) -> Reply:
    assessment = ctx.call(S, "close_period", ctx.payload())
    return created(assessment, f"/assessments/{ctx.data['period']}")


@route("GET", "/assessments", roles=ADMINS, query=PageQuery,
       response=page_of(AssessmentSummary), paged=True, tag="assessments",
       summary="Closed assessments")
def list_assessments(ctx: Ctx) -> dict[str, Any]:
    return whole_page(ctx, ctx.call(S, "list_assessments"), {})


@route("GET", "/assessments/<period>", roles=ADMINS, response=Assessment, etag=True,
       tag="assessments", summary="One closed assessment")
def get_assessment(ctx: Ctx) -> dict[str, Any]:
    return ctx.call(S, "get_assessment", ctx.params["period"])
