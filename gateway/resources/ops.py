"""Operations: the gateway's own liveness, the services' health, view rebuilds."""
from __future__ import annotations

import logging
from typing import Any

import eventlet

from gateway.context import Ctx, Reply
from gateway.problem import Problem, not_found
from gateway.routing import route
from gateway.schemas import Document, RebuildBody

log = logging.getLogger(__name__)

SERVICES = ("volunteers", "branches", "activities", "scoring")
# the scoring service re-folds its journal with `rebuild`; the others rebuild their views
REBUILD_METHOD = {"volunteers": "rebuild_views", "branches": "rebuild_views",
                  "activities": "rebuild_views", "scoring": "rebuild"}
OPS_ROLES = ("ops", "city_admin")


@route("GET", "/health", public=True, response=Document, tag="ops",
       summary="The gateway answers (liveness)")
def liveness(ctx: Ctx) -> dict[str, Any]:
    return {"status": "ok"}


@route("GET", "/ops/health", roles=OPS_ROLES, response=Document, tag="ops",
       summary="Each service's health (relay lag, inbox counts), asked in parallel")
def services_health(ctx: Ctx) -> dict[str, Any]:
    def ask(service: str) -> tuple[str, Any]:
        try:
            return service, {"status": "up", **ctx.call(service, "health")}
        except Problem as problem:
            return service, {"status": "down", "detail": problem.detail}

    pool = eventlet.GreenPool(len(SERVICES))
    answers = dict(pool.imap(ask, SERVICES))
    status = "ok" if all(a["status"] == "up" for a in answers.values()) else "degraded"
    return {"status": status, "services": answers}


@route("POST", "/ops/services/<service>/rebuild-views", roles=("ops",), body=RebuildBody,
       response=Document, status=202, tag="ops",
       summary="Rebuild a service's views from its events (runs in the background)")
def rebuild_views(ctx: Ctx) -> Reply:
    service = ctx.params["service"]
    if service not in REBUILD_METHOD:
        raise not_found("No such service.")

    def rebuild() -> None:
        try:
            answer = ctx.calls.call(service, REBUILD_METHOD[service])
            log.info("rebuilt %s: %s", service, answer)
        except Problem as problem:
            log.warning("rebuilding %s views failed: %s", service, problem.detail)

    ctx.calls.timeout = max(ctx.calls.timeout, 300.0)  # a rebuild reads every event
    eventlet.spawn(rebuild)
    return Reply(body={"service": service, "status": "accepted"}, status=202,
                 headers={"Location": "/ops/health"})
