"""RFC 7807 problem details: every error the gateway answers has this one shape.

`Problem` is raised anywhere in request handling; `from_service_error` maps the
services' typed errors (yinfa.errors, rebuilt by nameko on this side of the RPC) to
HTTP statuses through one table.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pymongo.errors import ConnectionFailure, ExecutionTimeout, WaitQueueTimeoutError
from werkzeug.wrappers import Response

from yinfa.errors import YinfaError

PROBLEM_JSON = "application/problem+json"

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    428: "Precondition Required",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
}

# service error code -> HTTP status; anything not listed is the gateway's fault (502)
STATUS_OF_CODE = {
    "validation_failed": 422,
    "not_found": 404,
    "already_exists": 409,
    "rule_violated": 409,
    "concurrency_conflict": 409,
    "too_many_attempts": 429,
}


class Problem(Exception):
    """An error answer: status, a stable `code`, a human detail, field errors."""

    def __init__(self, status: int, code: str, detail: str, *,
                 errors: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = dict(errors or {})
        self.headers = dict(headers or {})

    def body(self, instance: str | None = None, request_id: str | None = None
             ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"/problems/{self.code.replace('_', '-')}",
            "title": TITLES.get(self.status, "Error"),
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
        }
        if self.errors:
            body["errors"] = self.errors
        if instance:
            body["instance"] = instance
        if request_id:
            body["request_id"] = request_id
        return body

    def response(self, instance: str | None = None, request_id: str | None = None
                 ) -> Response:
        payload = json.dumps(self.body(instance, request_id), ensure_ascii=False)
        return Response(payload, status=self.status, headers=self.headers,
                        content_type=PROBLEM_JSON)


def bad_request(detail: str, errors: Mapping[str, Any] | None = None) -> Problem:
    return Problem(400, "bad_request", detail, errors=errors)


def invalid(errors: Mapping[str, Any], detail: str = "The request has invalid fields.") -> Problem:
    return Problem(422, "validation_failed", detail, errors=errors)


def not_found(detail: str = "No such resource.") -> Problem:
    return Problem(404, "not_found", detail)


def unauthorized(detail: str) -> Problem:
    return Problem(401, "unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


def forbidden(detail: str = "Your role may not do this.") -> Problem:
    return Problem(403, "forbidden", detail)


def unavailable(service: str, retry_after: int) -> Problem:
    return Problem(503, "service_unavailable",
                   f"The {service} service did not answer in time; try again shortly.",
                   headers={"Retry-After": str(retry_after)})


# The store went away (or did not answer in time): the request may be retried, so 503,
# not 500 or 502. The gateway's own store raises these; a service's arrive by name, as
# nameko rebuilds a remote error on this side of the RPC.
STORE_OUTAGE_ERRORS: tuple[type[Exception], ...] = (
    ConnectionFailure, ExecutionTimeout, WaitQueueTimeoutError)


def _names_with_subclasses(types: tuple[type, ...]) -> frozenset[str]:
    names: set[str] = set()
    waiting = list(types)
    while waiting:
        kind = waiting.pop()
        names.add(kind.__name__)
        waiting.extend(kind.__subclasses__())
    return frozenset(names)


STORE_OUTAGES = _names_with_subclasses(STORE_OUTAGE_ERRORS)


def store_unavailable(retry_after: int) -> Problem:
    return Problem(503, "store_unavailable",
                   "The event store is not reachable right now; try again shortly.",
                   headers={"Retry-After": str(retry_after)})


def from_service_error(error: YinfaError) -> Problem:
    status = STATUS_OF_CODE.get(error.code, 502)
    errors = getattr(error, "errors", None) or (
        {error.field: [error.message]} if error.field else None)
    return Problem(status, error.code, error.message, errors=errors)
