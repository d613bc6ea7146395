"""Log in, refresh, log out, and who am I."""
from __future__ import annotations

from typing import Any

from gateway.auth.tokens import issue_access_token
from gateway.context import Ctx, Reply
from gateway.problem import unauthorized
from gateway.roles import ROLES, Principal
from gateway.routing import route
from gateway.schemas import LoginBody, MeSchema, RefreshBody, TokenSchema


def _tokens(ctx: Ctx, principal: Principal, refresh_token: str) -> dict[str, Any]:
    return {"access_token": issue_access_token(ctx.settings, principal),
            "token_type": "Bearer", "expires_in": ctx.settings.access_seconds,
            "refresh_token": refresh_token, "role": principal.role}


@route("POST", "/auth/login", public=True, body=LoginBody, response=TokenSchema, tag="auth",
       summary="Log in with a username and password", errors=(401,))
def login(ctx: Ctx) -> dict[str, Any]:
    username, address = ctx.data["username"], ctx.gateway.client_address(ctx.request)
    ctx.gateway.login_limits.check(username, address)
    principal = ctx.gateway.reads.authenticate(username, ctx.data["password"])
    if principal is None or principal.role == "feed_client":
        ctx.gateway.login_limits.failed(username, address)
        raise unauthorized("Wrong username or password.")
    return _tokens(ctx, principal, ctx.gateway.refresh_tokens.issue(principal.account))


@route("POST", "/auth/refresh", public=True, body=RefreshBody, response=TokenSchema,
       tag="auth", summary="Trade a refresh token for new tokens (single use)", errors=(401,))
def refresh(ctx: Ctx) -> dict[str, Any]:
    account, next_token = ctx.gateway.refresh_tokens.use(ctx.data["refresh_token"])
    principal = ctx.gateway.reads.active_principal(account)
    if principal is None:
        ctx.gateway.refresh_tokens.revoke(next_token)
        raise unauthorized("The account is closed.")
    return _tokens(ctx, principal, next_token)


@route("POST", "/auth/logout", public=True, body=RefreshBody, status=204, tag="auth",
       summary="End a refresh token and its family")
def logout(ctx: Ctx) -> Reply:
    ctx.gateway.refresh_tokens.revoke(ctx.data["refresh_token"])
    return Reply(status=204)


@route("GET", "/me", roles=ROLES, response=MeSchema, tag="auth", summary="Who am I")
def me(ctx: Ctx) -> dict[str, Any]:
    p = ctx.principal
    return {"account": p.account, "role": p.role, "county_code": p.county_code,
            "branch_id": p.branch_id, "volunteer_id": p.volunteer_id}
