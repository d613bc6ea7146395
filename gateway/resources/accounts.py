"""Accounts: the city opens any; a county (or a city agency) opens its branch secretaries
and volunteers."""
from __future__ import annotations

from typing import Any

from gateway.branch_scope import check_branch_of_account
from gateway.context import Ctx, Reply
from gateway.pagination import decode_cursor, page
from gateway.problem import forbidden, not_found
from gateway.resources.common import ADMINS, CITY, created, filters_of
from gateway.roles import UNIT_ADMINS, Principal
from gateway.routing import route
from gateway.schemas import (
    AccountQuery,
    AccountSchema,
    ApiKeyBody,
    ApiKeySchema,
    CloseAccountBody,
    OpenAccountBody,
    PageSchema,
    PasswordBody,
)

COUNTY_MAY_OPEN = ("branch_secretary", "branch_liaison", "volunteer")


def _managed(ctx: Ctx, username: str) -> dict[str, Any]:
    """An account the caller may manage: a county (or agency) admin manages its unit's
    people."""
    account = ctx.gateway.reads.find(username)
    if account is None or not _manages(ctx.principal, account):
        raise not_found("No such account.")
    return account


def _manages(principal: Principal, account: dict[str, Any]) -> bool:
    if principal.role not in UNIT_ADMINS:
        return True
    return (account["county_code"] == principal.county_code
            and account["role"] in COUNTY_MAY_OPEN)


@route("POST", "/accounts", roles=ADMINS, body=OpenAccountBody, response=AccountSchema,
       status=201, tag="accounts", summary="Open an account")
def open_account(ctx: Ctx) -> Reply:
    if ctx.principal.role in UNIT_ADMINS and not _manages(ctx.principal, ctx.data):
        raise forbidden("A county opens accounts of its own branch secretaries and volunteers.")
    if ctx.data.get("branch_id"):
        check_branch_of_account(ctx, ctx.data["branch_id"], ctx.data.get("county_code"))
    account = ctx.gateway.accounts(ctx).open(ctx.data)
    return created(account, f"/accounts/{account['username']}")


@route("GET", "/accounts", roles=ADMINS, query=AccountQuery, response=PageSchema,
       paged=True, tag="accounts", summary="List accounts")
def list_accounts(ctx: Ctx) -> dict[str, Any]:
    filters = filters_of(ctx, ("role", "county_code"))
    offset = decode_cursor(ctx.settings.cursor_secret, ctx.query.get("cursor"), filters)
    items, total = ctx.gateway.reads.list(filters["role"], filters["county_code"], offset,
                                          ctx.query["limit"])
    if ctx.principal.role in UNIT_ADMINS:
        items = [a for a in items if a["role"] in COUNTY_MAY_OPEN]
    return page(ctx.settings.cursor_secret, items, total, offset, ctx.query["limit"], filters)


@route("GET", "/accounts/<username>", roles=ADMINS, response=AccountSchema, tag="accounts",
       summary="One account")
def get_account(ctx: Ctx) -> dict[str, Any]:
    _managed(ctx, ctx.params["username"])
    return ctx.gateway.reads.get(ctx.params["username"])


@route("POST", "/accounts/<username>/password", roles=ADMINS, body=PasswordBody,
       response=AccountSchema, tag="accounts", summary="Set a new password")
def set_password(ctx: Ctx) -> dict[str, Any]:
    username = _managed(ctx, ctx.params["username"])["username"]
    account = ctx.gateway.accounts(ctx).set_password(username, ctx.data["password"])
    ctx.gateway.refresh_tokens.revoke_account(username)
    return account


@route("POST", "/accounts/<username>/close", roles=ADMINS, body=CloseAccountBody,
       response=AccountSchema, tag="accounts", summary="Close an account (it can no longer log in)")
def close_account(ctx: Ctx) -> dict[str, Any]:
    username = _managed(ctx, ctx.params["username"])["username"]
    account = ctx.gateway.accounts(ctx).close(username, ctx.data["reason"],
                                              closed_by=ctx.principal.account)
    ctx.gateway.refresh_tokens.revoke_account(username)
    return account


@route("POST", "/accounts/<username>/api-keys", roles=CITY, body=ApiKeyBody,
       response=ApiKeySchema, status=201, tag="accounts",
       summary="Issue an API key to a feed client (shown once)")
def issue_api_key(ctx: Ctx) -> Reply:
    username = _managed(ctx, ctx.params["username"])["username"]
    key = ctx.gateway.accounts(ctx).issue_api_key(username, ctx.data["label"])
    return created(key, f"/accounts/{username}")


@route("DELETE", "/accounts/<username>/api-keys/<key_id>", roles=CITY, status=204,
       tag="accounts", summary="Revoke an API key")
def revoke_api_key(ctx: Ctx) -> Reply:
    username = _managed(ctx, ctx.params["username"])["username"]
    ctx.gateway.accounts(ctx).revoke_api_key(username, ctx.params["key_id"])
    return Reply(status=204)
