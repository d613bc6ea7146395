"""Party-building brands (党建品牌) as resources of their own: the list with filters, one
brand (a branch has at most one, so its id is the branch's), and a year's top ten (十佳).

Applying, reviewing and selecting stay where they were (`gateway/resources/branches.py`).
A county-bound caller's list is its county's, and another county's brand is a 404; the
top ten is the city's announcement and every reader sees all of it.
"""
from __future__ import annotations

import re
from typing import Any

from marshmallow import fields, validate

from contracts.activities.catalog import load_activity_catalog
from contracts.branches.replies import BRAND_STATUS_LABELS, BrandListing, TopTen
from gateway.context import Ctx
from gateway.problem import not_found
from gateway.resources.common import PEOPLE, filters_of, in_scope, service_page
from gateway.roles import BRANCH_LIAISON, FEED_CLIENT
from gateway.routing import route
from gateway.schemas import PageQuery, catalog_code, county_field, one_of, page_of

B = "branches"
READERS = (*PEOPLE, BRANCH_LIAISON)
ANNOUNCEMENT_READERS = (*READERS, FEED_CLIENT)
YEAR = re.compile(r"^\d{4}$")


class BrandQuery(PageQuery):
    county_code = county_field()
    year = fields.Integer(load_default=None, strict=False,
                          validate=validate.Range(min=2000, max=2100),
                          metadata={"description": "in cultivation or review that year"})
    status = one_of(*BRAND_STATUS_LABELS)
    theme = catalog_code(lambda: load_activity_catalog().themes)
    q = fields.String(load_default=None, validate=validate.Length(min=1, max=50),
                      metadata={"description": "words of the brand's name or description"})


@route("GET", "/brands", roles=READERS, query=BrandQuery, response=page_of(BrandListing),
       paged=True, tag="brands", summary="List party-building brands")
def list_brands(ctx: Ctx) -> dict[str, Any]:
    return service_page(ctx, B, "list_brands",
                        filters_of(ctx, ("county_code", "year", "status", "theme", "q")))


@route("GET", "/brands/<branch_id>", roles=READERS, response=BrandListing, tag="brands",
       summary="One branch's brand")
def get_brand(ctx: Ctx) -> dict[str, Any]:
    # another county's brand: 404, as a branch without one
    return in_scope(ctx, ctx.call(B, "get_brand", ctx.params["branch_id"]))


@route("GET", "/brands/top-ten/<year>", roles=ANNOUNCEMENT_READERS, response=TopTen,
       tag="brands", summary="A year's top ten brands (十佳), as selected")
def top_ten(ctx: Ctx) -> dict[str, Any]:
    year = ctx.params["year"]
    if not YEAR.match(year):
        raise not_found("No such year.")
    answer: dict[str, Any] = ctx.call(B, "top_brands", int(year))
    return answer
