"""The request pipeline: request id → route → credentials → role → rate limit →
query and body checks → idempotency → handler → JSON (or problem+json) answer.

Every failure is a `Problem`; anything unexpected is logged and answered as a 500
problem without details, so no stack trace or internal text ever leaves.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import uuid
from typing import Any

from marshmallow import Schema, ValidationError
from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Request, Response

from gateway import idempotency
from gateway.accounts.book import AccountBook
from gateway.auth.login_limits import LoginLimits
from gateway.auth.refresh import RefreshTokens
from gateway.auth.tokens import verify_token
from gateway.bodies import read_json, screen_query
from gateway.cache import ReadCache
from gateway.city_clock import on_city_clock
from gateway.client_address import client_address
from gateway.context import Ctx, Reply
from gateway.problem import (
    STORE_OUTAGE_ERRORS,
    Problem,
    bad_request,
    from_service_error,
    invalid,
    store_unavailable,
    unauthorized,
)
from gateway.ratelimit import TokenBuckets
from gateway.roles import Principal, require_role
from gateway.routing import ROUTES, Route, Router
from gateway.rpc import ServiceCalls
from gateway.security_headers import secure
from gateway.settings import GatewaySettings, gateway_settings
from yinfa.errors import YinfaError
from yinfa.events.envelope import Metadata
from yinfa.logs import correlated
from yinfa.ops import metrics
from yinfa.service.dependencies import EventSourcedStreams, service_database

log = logging.getLogger(__name__)

PATH_VALUE = re.compile(r"^[A-Za-z0-9_\-][A-Za-z0-9_.\-]{0,99}$")  # ids, codes, file names
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")
ANONYMOUS = Principal(account="anonymous", role="anonymous")
JSON = "application/json"


def request_id_of(request: Request) -> str:
    given = request.headers.get("X-Request-Id", "")
    return given if REQUEST_ID.match(given) else str(uuid.uuid4())


def dumps(body: Any) -> str:
    return json.dumps(on_city_clock(body), ensure_ascii=False, default=str)


_SCHEMAS: dict[type[Schema], Schema] = {}


def load_schema(schema: type[Schema], data: Any, where: str | None = None) -> dict[str, Any]:
    # one instance per schema class: building one costs more than loading a small body
    instance = _SCHEMAS.get(schema) or _SCHEMAS.setdefault(schema, schema())
    try:
        return instance.load(data)
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {
            "_schema": error.messages}
        raise invalid({where: messages} if where else messages) from None


class GatewayApp:
    """Shared by the workers of one gateway instance."""

    def __init__(self, settings: GatewaySettings, db: Any, accounts_provider: Any) -> None:
        self.settings = settings
        self.db = db
        self.accounts_provider = accounts_provider
        self.router = Router(ROUTES)
        self.buckets = TokenBuckets(settings.rate_per_second, settings.rate_burst)
        self.refresh_tokens = RefreshTokens(db, settings.refresh_seconds)
        self.idempotency = idempotency.IdempotencyRecords(db)
        self.reads = AccountBook(db, None)  # reads only; writes get an actor per request
        self.ranking_cache = ReadCache(settings.ranking_cache_seconds)
        self.tokens = VerifiedTokens(settings, self.reads)
        self.login_limits = LoginLimits(db)

    def ensure_indexes(self) -> None:
        for keeper in (self.refresh_tokens, self.idempotency, self.login_limits):
            keeper.ensure_indexes()
        self.encoded = EncodedBodies()

    def accounts(self, ctx: Ctx) -> AccountBook:
        metadata = Metadata(actor=f"{ctx.principal.role}:{ctx.principal.account}",
                            correlation_id=ctx.request_id)
        return AccountBook(self.db, EventSourcedStreams(self.accounts_provider, metadata))

    # ---- the pipeline ------------------------------------------------------------------

    def handle(self, request: Request, calls: ServiceCalls) -> Response:
        started = time.perf_counter()
        request_id = request_id_of(request)
        route = self.router.route_of(request.path, request.method)
        with correlated(request_id):
            try:
                response = self._handle(request, calls, request_id)
            except Problem as problem:
                response = problem.response(request.path, request_id)
            except YinfaError as error:  # raised here by the accounts' own domain
                response = from_service_error(error).response(request.path, request_id)
            except STORE_OUTAGE_ERRORS as error:
                # the gateway's own store (accounts, refresh tokens, idempotency records)
                log.warning("store away on %s %s: %s", request.method, request.path, error)
                response = store_unavailable(self.settings.retry_after).response(
                    request.path, request_id)
            except Exception:
                log.exception("unexpected failure on %s %s", request.method, request.path)
                response = Problem(500, "internal_error", "Something went wrong on our side."
                                   ).response(request.path, request_id)
        response.headers["X-Request-Id"] = request_id
        # labelled by the route's template, not the path: ids would make a series each
        metrics.http_answered(route.path if route else "unmatched", request.method,
                              response.status_code, time.perf_counter() - started)
        return secure(response, route, request.path)

    def _handle(self, request: Request, calls: ServiceCalls, request_id: str) -> Response:
        if request.method == "OPTIONS":
            allowed = self.router.allowed(request.path)
            if not allowed:
                raise Problem(404, "not_found", "No such resource.")
            return Response(status=204, headers={"Allow": ", ".join(allowed)})
        route, params = self.router.match(request.path, request.method)
        if any(not PATH_VALUE.match(v) for v in params.values()):
            raise Problem(404, "not_found", "No such resource.")
        try:
            principal = ANONYMOUS if route.public else self.authenticate(request)
        except Problem:
            self.limit_rate(ANONYMOUS, request)  # guessing credentials costs tokens too
            raise
        self.limit_rate(principal, request)
        if not route.public:
            require_role(principal, route.roles)
        calls.set_context(correlation_id=request_id,
                          actor=f"{principal.role}:{principal.account}")
        ctx = Ctx(request=request, request_id=request_id, settings=self.settings,
                  calls=calls, gateway=self, principal=principal, params=params)
        self.parse(route, ctx)
        if route.method == "POST" and ctx.idempotency_key and not route.public:
            return self.idempotent(route, ctx)
        return self.respond(route, ctx, self.run(route, ctx))

    def authenticate(self, request: Request) -> Principal:
        api_key = request.headers.get("X-Api-Key")
        if api_key:
            principal = self.reads.by_api_key(api_key)
            if principal is None:
                raise unauthorized("The API key is not valid.")
            return principal
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized("Send 'Authorization: Bearer <access token>' or 'X-Api-Key'.")
        return self.tokens.principal(token.strip())

    def client_address(self, request: Request) -> str:
        return client_address(request, self.settings.trusted_proxies)

    def limit_rate(self, principal: Principal, request: Request) -> None:
        client = (principal.account if principal is not ANONYMOUS
                  else f"ip:{self.client_address(request)}")
        wait = self.buckets.take(client)
        if wait:
            raise Problem(429, "rate_limited", "Too many requests; slow down.",
                          headers={"Retry-After": str(self.buckets.retry_after(wait))})

    def parse(self, route: Route, ctx: Ctx) -> None:
        request = ctx.request
        screen_query(request.args)
        repeated = [k for k, v in request.args.lists() if len(v) > 1]
        if repeated:
            raise bad_request("Give each query parameter once.",
                              {k: ["Repeated."] for k in repeated})
        if route.query is not None:
            ctx.query = load_schema(route.query, request.args.to_dict())
        elif request.args:
            raise invalid({k: ["Unknown field."] for k in request.args})
        limit = (self.settings.max_batch_body_bytes if route.batch
                 else self.settings.max_body_bytes)
        body = None if route.uploads else read_json(request, limit)  # a file: the handler's
        if route.body is not None:
            if not isinstance(body, dict):
                raise invalid({"_schema": ["Send a JSON object."]})
            ctx.data = load_schema(route.body, body)
            ctx.body = body
        elif body not in (None, {}):
            raise invalid({"_schema": ["This request takes no body."]})
        key = request.headers.get("Idempotency-Key")
        if key is not None:
            ctx.idempotency_key = idempotency.check_key(key)

    def run(self, route: Route, ctx: Ctx) -> Reply:
        result = route.handler(ctx)
        return result if isinstance(result, Reply) else Reply(body=result, status=route.status)

    def idempotent(self, route: Route, ctx: Ctx) -> Response:
        scope = f"{ctx.principal.role}:{ctx.principal.account}"
        key = ctx.idempotency_key or ""
        request_hash = idempotency.fingerprint(route.method, ctx.request.path, ctx.body)
        stored = self.idempotency.claim(scope, key, request_hash)
        if stored is not None:
            reply = Reply(body=json.loads(stored["body"]), status=stored["status"],
                          headers={**stored["headers"], "Idempotent-Replayed": "true"})
            return self.respond(route, ctx, reply)
        try:
            reply = self.run(route, ctx)
        except BaseException:
            self.idempotency.release(scope, key)
            raise
        # the answer kept as JSON text: its keys may hold characters a document key may not
        self.idempotency.complete(scope, key, {"body": dumps(reply.body),
                                               "status": reply.status, "headers": reply.headers})
        return self.respond(route, ctx, reply)

    def respond(self, route: Route, ctx: Ctx, reply: Reply) -> Response:
        if reply.content is not None:
            return Response(reply.content, status=reply.status, headers=reply.headers,
                            content_type=reply.content_type)
        if reply.status == 204:
            return Response(status=204, headers=reply.headers)
        headers = dict(reply.headers)
        if route.etag:
            payload, tag = self.encoded.encode(reply.body)
            headers["ETag"] = tag
            headers["Cache-Control"] = "private, no-cache"
            if tag in _tags(ctx.request.headers.get("If-None-Match")):
                return Response(status=304, headers=headers)
        else:
            payload = dumps(reply.body)
        return Response(payload, status=reply.status, headers=headers,
                        content_type=f"{JSON}; charset=utf-8")


class EncodedBodies:
    """JSON text and ETag of answers built from the same cached objects, encoded once.

    Keyed by the identity of the object the read cache handed out (kept alive here, so
    the identity cannot be reused while the entry exists)."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._encoded: dict[tuple[int, ...], tuple[Any, str, str]] = {}

    def encode(self, body: Any) -> tuple[str, str]:
        parts = tuple(body.values()) if isinstance(body, dict) else (body,)
        key = tuple(id(p) for p in parts)
        hit = self._encoded.get(key)
        if hit is not None and all(a is b for a, b in zip(hit[0], parts, strict=True)):
            return hit[1], hit[2]
        payload = dumps(body)
        tag = '"' + hashlib.sha256(payload.encode()).hexdigest()[:32] + '"'
        if len(self._encoded) >= self.size:
            self._encoded.clear()
        self._encoded[key] = (parts, payload, tag)
        return payload, tag


class VerifiedTokens:
    """Access tokens already verified, for a few seconds: the signature check is spared
    on most requests, and a token of a closed account, or one issued before its
    password changed, stops working within `RECHECK_SECONDS`."""

    RECHECK_SECONDS = 5.0

    def __init__(self, settings: GatewaySettings, accounts: AccountBook,
                 size: int = 10_000) -> None:
        self.settings = settings
        self.accounts = accounts
        self.size = size
        self._known: dict[str, tuple[float, Principal]] = {}

    def principal(self, token: str) -> Principal:
        known = self._known.get(token)
        if known is not None and known[0] > time.time():
            return known[1]
        principal, expires, issued = verify_token(self.settings, token)
        if not self.accounts.token_still_valid(principal.account, issued):
            raise unauthorized("The access token was revoked.")
        if len(self._known) >= self.size:
            self._known.clear()
        self._known[token] = (min(time.time() + self.RECHECK_SECONDS, expires), principal)
        return principal


def _tags(header: str | None) -> set[str]:
    if not header:
        return set()
    return {t.strip().removeprefix("W/") for t in header.split(",")}


class GatewayAppProvider(DependencyProvider):
    def __init__(self, accounts_attr: str = "accounts") -> None:
        self.accounts_attr = accounts_attr

    def setup(self) -> None:
        settings = gateway_settings(self.container.config)
        accounts_provider = next(d for d in self.container.dependencies
                                 if d.attr_name == self.accounts_attr)
        self.app = GatewayApp(settings, service_database(self.container), accounts_provider)
        self.app.ensure_indexes()

    def get_dependency(self, worker_ctx: Any) -> GatewayApp:
        return self.app
