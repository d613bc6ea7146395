"""Headers every answer carries: no content sniffing, no framing, no referrer, and no
copy kept by a browser or proxy of anything that names a person or is an export."""
from __future__ import annotations

from werkzeug.wrappers import Response

from gateway.routing import Route

API_POLICY = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI: its own scripts and styles (served from here), inline styles it sets itself
DOCS_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
               "script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
# the dashboard: its built scripts and styles, the inline styles its components set, the
# exports it saves through blob: links, and no other origin at all
DASHBOARD_POLICY = ("default-src 'self'; img-src 'self' data: blob:; "
                    "style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; "
                    "frame-ancestors 'none'")


def policy_of(path: str) -> str:
    if path.startswith("/docs"):
        return DOCS_POLICY
    return DASHBOARD_POLICY if path.startswith("/dashboard") else API_POLICY


def carries_personal_data(route: Route | None) -> bool:
    if route is None:
        return False
    return ("volunteer" in route.path or route.tag in ("exports", "accounts", "auth")
            or "certificates" in route.path)


def secure(response: Response, route: Route | None, path: str) -> Response:
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Content-Security-Policy"] = policy_of(path)
    if carries_personal_data(route) or "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"
    return response
