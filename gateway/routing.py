"""Routes declared next to their handlers: method, path, the roles admitted, the schemas.

The same declarations drive dispatch (a werkzeug map), authorisation (deny unless the
route names the role) and the OpenAPI document.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule

from gateway.problem import Problem

Handler = Callable[[Any], Any]


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # werkzeug form: /volunteers/<volunteer_id>
    handler: Handler
    roles: tuple[str, ...]
    summary: str
    tag: str
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    response: type[Schema] | None = None
    status: int = 200
    public: bool = False  # no credentials needed (login, the docs)
    etag: bool = False
    paged: bool = False
    batch: bool = False  # takes many items: the larger body limit (max_batch_body_bytes)
    uploads: tuple[str, ...] = ()  # media types of a file the body is (read by the handler)
    produces: tuple[str, ...] = ("application/json",)
    errors: tuple[int, ...] = field(default=())
    documented: bool = True  # in /openapi.json (the docs' static files are not)

    @property
    def openapi_path(self) -> str:
        return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", self.path)

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.path)


ROUTES: list[Route] = []


def route(method: str, path: str, *, roles: tuple[str, ...] = (), **options: Any
          ) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if not roles and not options.get("public"):
            raise ValueError(f"{method} {path} admits no role: say which")
        ROUTES.append(Route(method=method, path=path, handler=handler, roles=tuple(roles),
                            **options))
        return handler

    return register


class Router:
    def __init__(self, routes: list[Route]) -> None:
        self.routes = list(routes)
        self.map = Map([Rule(r.path, methods=[r.method], endpoint=r) for r in self.routes],
                       strict_slashes=False, merge_slashes=False)
        # a fixed path (/volunteers/batch) is that resource only: its other methods are 405,
        # never the route with a variable in its place (/volunteers/<volunteer_id>)
        self.fixed: dict[str, set[str]] = {}
        for r in self.routes:
            if "<" not in r.path:
                self.fixed.setdefault(r.path, set()).add(r.method)

    def allowed(self, path: str) -> list[str]:
        """The methods a path answers (for OPTIONS and the Allow header of a 405)."""
        fixed = self.fixed.get(path.rstrip("/") or "/")
        if fixed is not None:
            methods = set(fixed)
        else:
            adapter = self.map.bind("gateway", path_info=path)
            methods = {m for m in adapter.allowed_methods(path) if m not in ("OPTIONS",)}
        if "GET" in methods:
            methods.add("HEAD")
        return sorted(methods | {"OPTIONS"}) if methods else []

    def route_of(self, path: str, method: str) -> Route | None:
        """The route a request goes to, None if none (for the headers of its answer)."""
        try:
            return self.match(path, method)[0]
        except Problem:
            return None

    def match(self, path: str, method: str) -> tuple[Route, dict[str, str]]:
        fixed = self.fixed.get(path.rstrip("/") or "/")
        if fixed is not None and method not in fixed and not (
                method == "HEAD" and "GET" in fixed):
            allowed = ", ".join(self.allowed(path))
            raise Problem(405, "method_not_allowed", f"Use one of: {allowed}.",
                          headers={"Allow": allowed})
        adapter = self.map.bind("gateway", path_info=path)
        try:
            endpoint, values = adapter.match(path, method=method)  # type: ignore[misc]
        except MethodNotAllowed:
            allowed = ", ".join(self.allowed(path))
            raise Problem(405, "method_not_allowed", f"Use one of: {allowed}.",
                          headers={"Allow": allowed}) from None
        except NotFound:
            raise Problem(404, "not_found", "No such resource.") from None
        except Exception:  # e.g. a redirect werkzeug would suggest
            raise Problem(404, "not_found", "No such resource.") from None
        return endpoint, dict(values)
