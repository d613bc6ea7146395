"""The OpenAPI 3 document, generated with apispec from the routes and marshmallow schemas."""
from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from gateway.openapi_rules import stated_rules
from gateway.routing import Route
from gateway.schemas import ProblemSchema

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
COMMON_ERRORS = {
    400: "Malformed request (JSON, operator keys, query)",
    401: "Missing or invalid credentials",
    403: "The role may not do this",
    404: "No such resource (or not in your scope)",
    413: "Body too large",
    415: "Body is not JSON",
    422: "Invalid fields, or an Idempotency-Key reused with another body",
    429: "Rate limited (see Retry-After)",
    501: "The service does not offer this yet",
    502: "A service failed",
    503: "A service did not answer in time (see Retry-After)",
}
PUBLIC_ERRORS = (400, 401, 413, 415, 422, 429)


def _schema_name(schema: Any) -> str:
    cls = schema if isinstance(schema, type) else schema.__class__
    name = cls.__name__
    if name == "Party":  # the activities service makes one per role, told by their kinds
        kind = getattr(cls, "_declared_fields")["kind"]  # noqa: B009 - untyped on the class
        choices = next(v.choices for v in kind.validators if hasattr(v, "choices"))
        return "Party_" + "_".join(sorted(choices))
    return re.sub(r"(?<=.)(Schema|V\d+)$", "", name)  # a reply may nest an event's OrganiserV1


def _operation(route: Route, spec: APISpec) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": p, "in": "path", "required": True,
         "schema": {"type": "string", "pattern": r"^[A-Za-z0-9_\-]{1,100}$"}}
        for p in route.path_params
    ]
    if route.query is not None:
        parameters.append({"in": "query", "schema": route.query})
    if route.method == "POST":
        parameters.append({"name": "Idempotency-Key", "in": "header", "required": False,
                           "schema": {"type": "string", "pattern": r"^[A-Za-z0-9_:\-]{1,100}$"}})
    if route.etag:
        parameters.append({"name": "If-None-Match", "in": "header", "required": False,
                           "schema": {"type": "string"}})
    responses: dict[Any, Any] = {}
    ok: dict[str, Any] = {"description": "OK" if route.status < 300 else "Done"}
    if route.status == 201:
        ok["description"] = "Created (Location names the resource)"
    if route.status == 202:
        ok["description"] = "Accepted (Location says where to look)"
    if route.status != 204 and route.response is not None:
        ok["content"] = {route.produces[0]: {"schema": route.response}}
    elif route.status != 204:  # files: CSV, XLSX, PDF
        ok["content"] = {media: {"schema": {"type": "string", "format": "binary"}}
                         for media in route.produces}
    responses[str(route.status)] = ok
    if route.etag:
        responses["304"] = {"description": "Not modified (If-None-Match matched the ETag)"}
    codes = PUBLIC_ERRORS if route.public else tuple(COMMON_ERRORS)
    if route.path_params:
        codes = (*codes, 404)
    for code in sorted(set(codes) | set(route.errors) | {409}):
        responses[str(code)] = {"description": COMMON_ERRORS.get(code, "Conflict"),
                                "content": PROBLEM}
    operation: dict[str, Any] = {
        "summary": route.summary, "tags": [route.tag],
        "operationId": f"{route.handler.__name__}_{route.method.lower()}_"
                       + route.openapi_path.strip("/").replace("/", "_").replace("{", "")
                       .replace("}", "").replace("-", "_"),
        "parameters": parameters, "responses": responses,
        "x-roles": list(route.roles) if not route.public else ["anyone"],
    }
    if not route.public:
        operation["security"] = [{"bearer": []}, {"apiKey": []}]
    if route.body is not None:
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": route.body}}}
    if route.uploads:
        operation["requestBody"] = {"required": True, "content": {
            media: {"schema": {"type": "string", "format": "binary"}}
            for media in route.uploads}}
    return operation


def build_spec(routes: list[Route]) -> dict[str, Any]:
    plugin = MarshmallowPlugin(schema_name_resolver=_schema_name)
    spec = APISpec(
        title="yinfa 银发 API", version="1.0.0", openapi_version="3.0.3",
        plugins=[plugin],
        info={"description": "The REST gateway of the silver-volunteer platform. Errors are "
                             "RFC 7807 problem+json; lists are cursor-paginated; POSTs take "
                             "an Idempotency-Key; every answer carries X-Request-Id."},
    )
    assert plugin.converter is not None
    plugin.converter.add_attribute_function(stated_rules)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "bearerFormat": "JWT"})
    spec.components.security_scheme("apiKey", {"type": "apiKey", "in": "header",
                                               "name": "X-Api-Key"})
    spec.components.schema("Problem", schema=ProblemSchema)
    by_path: dict[str, dict[str, Any]] = {}
    for route in routes:
        if route.documented:
            by_path.setdefault(route.openapi_path, {})[route.method.lower()] = \
                _operation(route, spec)
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations)
    return _plain(spec.to_dict())


def _plain(value: Any) -> Any:
    """JSON numbers for the Decimal bounds some command schemas declare."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


@lru_cache(maxsize=1)
def cached_spec() -> dict[str, Any]:
    from gateway.routing import ROUTES

    return build_spec(ROUTES)
