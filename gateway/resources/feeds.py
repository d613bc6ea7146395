"""Partners' feeds (the feeds service): the public log read by a partner's API key, and
what ops manage of it (profiles, partners and their keys, the audit log of reads).

A feed cursor is the position of the last entry looked at, signed and bound to the
profile (gateway.pagination): a forged, malformed or another profile's cursor, or one
beyond the log's end, is a 400. `after` may also be `0`, the log's start.
"""
from __future__ import annotations

import secrets
import time
from typing import Any

import eventlet
from marshmallow import ValidationError, fields, validate

from contracts.feeds.profiles import Partner, PartnerBody, Profile, ProfileBody
from contracts.feeds.replies import FeedPage, FeedRead
from gateway.context import Ctx, Reply
from gateway.pagination import decode_cursor, encode_cursor, page
from gateway.problem import bad_request, invalid, not_found
from gateway.resources.common import created
from gateway.roles import FEED_CLIENT, OPS
from gateway.routing import route
from gateway.schemas import (
    ApiKeyBody,
    ApiKeySchema,
    OpenAccountBody,
    PageQuery,
    Strict,
    page_of,
)

F = "feeds"
OPS_ONLY = (OPS,)
MAX_WAIT_SECONDS = 20
POLL_SECONDS = 0.1  # between two looks at the log while a long poll waits


class FeedQuery(Strict):
    after = fields.String(load_default="0", validate=validate.Length(min=1, max=500),
                          metadata={"description": "`next` of the previous page, or 0"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    wait = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_WAIT_SECONDS),
                          metadata={"description": "seconds to wait for a new entry"})


class FeedReadQuery(PageQuery):
    partner = fields.String(load_default=None, validate=validate.Length(min=1, max=40))


ProfileList = type("ProfileList", (Strict,), {"items": fields.List(fields.Nested(Profile))})
PartnerList = type("PartnerList", (Strict,), {"items": fields.List(fields.Nested(Partner))})


def _position(ctx: Ctx, profile: str) -> int:
    after = ctx.query["after"]
    if after == "0":
        return 0
    return decode_cursor(ctx.settings.cursor_secret, after, {"feed": profile})


@route("GET", "/feeds/<profile>/events", roles=(FEED_CLIENT,), query=FeedQuery,
       response=FeedPage, tag="feeds", errors=(400, 404),
       summary="The public log after a cursor, as the caller's profile shows it")
def read_feed(ctx: Ctx) -> dict[str, Any]:
    profile = ctx.params["profile"]
    after = _position(ctx, profile)
    deadline = time.monotonic() + ctx.query["wait"]
    position, scanned = after, 0
    while True:  # a long poll: short calls, none holding a worker of the feeds service
        last_call = time.monotonic() + POLL_SECONDS >= deadline
        answer = ctx.call(F, "read_feed", ctx.principal.account, profile, position,
                          ctx.query["limit"], after, scanned, last_call)
        if answer["head"] < after:
            raise bad_request("The cursor is beyond the end of the feed.",
                              {"after": ["Invalid cursor."]})
        position, scanned = answer["last"], answer["scanned"]
        if answer["events"] or last_call:
            break
        eventlet.sleep(POLL_SECONDS)
    return {"events": answer["events"], "head": answer["head"],
            "next": encode_cursor(ctx.settings.cursor_secret, position, {"feed": profile})}


# ---- profiles -------------------------------------------------------------------------


@route("GET", "/feed-profiles", roles=OPS_ONLY, response=ProfileList, tag="feeds",
       summary="Every feed profile")
def list_profiles(ctx: Ctx) -> dict[str, Any]:
    return {"items": ctx.call(F, "list_profiles")}


@route("PUT", "/feed-profiles/<profile>", roles=OPS_ONLY, body=ProfileBody, response=Profile,
       tag="feeds", summary="Set a feed profile: its event types and, per type, its fields")
def put_profile(ctx: Ctx) -> dict[str, Any]:
    return ctx.call(F, "put_profile", ctx.params["profile"], ctx.body)


# ---- partners and their keys ------------------------------------------------------------


@route("GET", "/partners", roles=OPS_ONLY, response=PartnerList, tag="feeds",
       summary="Every partner agency and its profile")
def list_partners(ctx: Ctx) -> dict[str, Any]:
    return {"items": ctx.call(F, "list_partners")}


@route("PUT", "/partners/<partner>", roles=OPS_ONLY, body=PartnerBody, response=Partner,
       tag="feeds", summary="Bind a partner agency (a feed client account) to a profile")
def put_partner(ctx: Ctx) -> dict[str, Any]:
    partner = ctx.params["partner"]
    account = ctx.gateway.reads.find(partner)
    if account is None:  # opened here; it logs in with its keys only
        ctx.gateway.accounts(ctx).open(_loaded_account(partner, ctx.data["label"]))
    elif account["role"] != FEED_CLIENT:
        raise bad_request("That account is not a feed client.", {"partner": ["Taken."]})
    return ctx.call(F, "put_partner", partner, ctx.body)


def _loaded_account(partner: str, label: str) -> dict[str, Any]:
    try:
        return OpenAccountBody().load({"username": partner, "role": FEED_CLIENT,
                                       "password": secrets.token_urlsafe(32),
                                       "display_name": label})
    except ValidationError as error:  # the partner's name is its account's username
        raise invalid({"partner": error.normalized_messages().get(
            "username", ["Not a valid account name."])}) from None


def _partner(ctx: Ctx) -> str:
    partner = ctx.params["partner"]
    account = ctx.gateway.reads.find(partner)
    if account is None or account["role"] != FEED_CLIENT:
        raise not_found("No such partner.")
    return partner


@route("POST", "/partners/<partner>/api-keys", roles=OPS_ONLY, body=ApiKeyBody,
       response=ApiKeySchema, status=201, tag="feeds",
       summary="Issue an API key to a partner (shown once)")
def issue_partner_key(ctx: Ctx) -> Reply:
    partner = _partner(ctx)
    key = ctx.gateway.accounts(ctx).issue_api_key(partner, ctx.data["label"])
    return created(key, f"/partners/{partner}")


@route("DELETE", "/partners/<partner>/api-keys/<key_id>", roles=OPS_ONLY, status=204,
       tag="feeds", summary="Revoke a partner's API key")
def revoke_partner_key(ctx: Ctx) -> Reply:
    ctx.gateway.accounts(ctx).revoke_api_key(_partner(ctx), ctx.params["key_id"])
    return Reply(status=204)


# ---- the audit log ---------------------------------------------------------------------


@route("GET", "/feed-reads", roles=OPS_ONLY, query=FeedReadQuery, response=page_of(FeedRead),
       paged=True, tag="feeds", summary="The audit log of feed reads, latest first")
def list_feed_reads(ctx: Ctx) -> dict[str, Any]:
    filters = {"partner": ctx.query.get("partner")}
    offset = decode_cursor(ctx.settings.cursor_secret, ctx.query.get("cursor"), filters)
    answer = ctx.call(F, "feed_reads", filters["partner"], ctx.query["limit"], offset)
    return page(ctx.settings.cursor_secret, answer["items"], answer["total"], offset,
                ctx.query["limit"], filters)
