"""Accident insurance (安全保障, seed 001): the report of uninsured volunteers signed up
for activities that take insured volunteers only (the activities service's), scoped by
county like every list. The sign-up itself is refused by the activities service (409)."""
from __future__ import annotations

from typing import Any

from marshmallow import fields

from contracts.activities.insurance_replies import UninsuredSignUp
from gateway.context import Ctx
from gateway.resources.common import filters_of, whole_page
from gateway.roles import ADMINS
from gateway.routing import route
from gateway.schemas import CountyQuery, page_of


class UninsuredRow(UninsuredSignUp):
    name = fields.String(required=True)  # as the volunteers service has it (已注销: erased)


@route("GET", "/reports/uninsured", roles=ADMINS, query=CountyQuery,
       response=page_of(UninsuredRow), paged=True, tag="reports",
       summary="Uninsured volunteers signed up (or waitlisted) for activities that take "
               "insured volunteers only (a county bureau: its own county's), soonest first")
def uninsured_sign_ups(ctx: Ctx) -> dict[str, Any]:
    filters = filters_of(ctx, ("county_code",))
    rows = ctx.call("activities", "uninsured_sign_ups", filters["county_code"])
    names = ctx.call("volunteers", "names_of", sorted({r["volunteer_id"] for r in rows})
                     ) if rows else {}
    named = [{**row, "name": names.get(row["volunteer_id"], "已注销")} for row in rows]
    return whole_page(ctx, named, filters)
