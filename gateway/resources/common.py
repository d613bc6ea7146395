"""Small pieces most resources use: created answers, paged service lists, scoped reads."""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from gateway.context import Ctx, Reply
from gateway.pagination import decode_cursor, page, slice_page
from gateway.roles import check_county, county_filter

# everyone who works in the platform (not feed clients, not operations)
PEOPLE = ("city_admin", "county_admin", "agency_admin", "branch_secretary", "volunteer")
ADMINS = ("city_admin", "county_admin", "agency_admin")
CITY = ("city_admin",)


def retry_safe_id(ctx: Ctx) -> str:
    """An id for a resource the server names, tied to the request's Idempotency-Key: a
    retry after a lost answer (a timeout, a restarted gateway) names the same resource,
    which the service then refuses to create twice, instead of creating a second one."""
    if ctx.idempotency_key:
        scope = f"{ctx.principal.account}|{ctx.request.path}|{ctx.idempotency_key}"
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"yinfa-gateway:{scope}"))
    return str(uuid.uuid4())


def created(body: Any, location: str) -> Reply:
    return Reply(body=body, status=201, headers={"Location": location})


def filters_of(ctx: Ctx, names: tuple[str, ...]) -> dict[str, Any]:
    """The list's filters from the query, with the county forced to the caller's own."""
    filters = {name: ctx.query.get(name) for name in names}
    if "county_code" in filters:
        filters["county_code"] = county_filter(ctx.principal, filters["county_code"])
    return filters


def service_page(ctx: Ctx, service: str, method: str, filters: Mapping[str, Any]
                 ) -> dict[str, Any]:
    """A page of a service list that takes limit/offset and answers {total, items}."""
    limit = ctx.query["limit"]
    offset = decode_cursor(ctx.settings.cursor_secret, ctx.query.get("cursor"), filters)
    answer = ctx.call(service, method, limit=limit, offset=offset,
                      **{k: v for k, v in filters.items() if v is not None})
    return page(ctx.settings.cursor_secret, answer["items"], answer["total"], offset, limit,
                filters)


def whole_page(ctx: Ctx, everything: list[Any], filters: Mapping[str, Any]) -> dict[str, Any]:
    offset = decode_cursor(ctx.settings.cursor_secret, ctx.query.get("cursor"), filters)
    return slice_page(ctx.settings.cursor_secret, everything, offset, ctx.query["limit"], filters)


def in_scope(ctx: Ctx, document: dict[str, Any]) -> dict[str, Any]:
    """A county-bound caller sees only its county's documents (others: 404)."""
    check_county(ctx.principal, document.get("county_code"))
    return document
