"""The per-process operations endpoint: liveness, readiness and Prometheus metrics.

    GET /health/live   200 {"status": "alive", ...} while the process runs
    GET /health/ready  200 when broker and store answer and the services have started,
                       else 503; the JSON body names what is down
    GET /metrics       Prometheus text exposition

It is a small eventlet WSGI server of its own, on `YINFA_OPS_PORT` (default 9100), beside
whatever the services serve (the gateway's nameko HTTP entrypoints keep their own port).
It serves the whole process, so a process running several services has one endpoint.
"""
from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from yinfa import config
from yinfa.config import Settings
from yinfa.ops.readiness import Readiness, describe

log = logging.getLogger(__name__)

PORT_VARIABLE = "YINFA_OPS_PORT"
LIVE, READY, METRICS = "/health/live", "/health/ready", "/metrics"

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def ops_port(settings: Settings | None = None) -> int | None:
    """The port to serve on; None when switched off (`YINFA_OPS_PORT=off`)."""
    return (settings or config.settings()).ops_port


class OpsApp:
    """The WSGI application: pure request → response, no sockets (testable as is)."""

    def __init__(self, readiness: Readiness, services: Sequence[str]) -> None:
        self.readiness = readiness
        self.services = list(services)
        self.started_at = time.time()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse
                 ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
            return _json(start_response, 405, {"error": "only GET"})
        if path == LIVE:
            return _json(start_response, 200, {
                "status": "alive", "pid": os.getpid(), "services": self.services,
                "uptime_seconds": round(time.time() - self.started_at, 1),
            })
        if path == READY:
            ready, results = self.readiness.report()
            body = describe(results, ready, services=self.services, pid=os.getpid())
            return _json(start_response, 200 if ready else 503, body)
        if path == METRICS:
            payload = generate_latest(REGISTRY)
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST),
                                      ("Content-Length", str(len(payload)))])
            return [payload]
        return _json(start_response, 404, {"error": "not found",
                                           "paths": [LIVE, READY, METRICS]})


_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed",
            503: "Service Unavailable"}


def _json(start_response: StartResponse, status: int, body: dict[str, Any]
          ) -> list[bytes]:
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    start_response(f"{status} {_REASONS[status]}", [
        ("Content-Type", "application/json; charset=utf-8"),
        ("Content-Length", str(len(payload))),
        ("Cache-Control", "no-store"),
    ])
    return [payload]


class OpsServer:
    """Serves an `OpsApp` on a green thread until the process ends or `stop()`."""

    def __init__(self, app: OpsApp, port: int, host: str = "0.0.0.0") -> None:
        self.app = app
        self.host = host
        self.port = port
        self._socket: Any = None
        self._thread: Any = None

    def start(self) -> int:
        """Listen and serve; returns the port (useful with port 0). Raises OSError when
        the port is taken."""
        import eventlet
        import eventlet.wsgi

        # no SO_REUSEPORT (eventlet's default): a second process on the same port must
        # fail, not share it, or probes would reach whichever process the kernel picks
        self._socket = eventlet.listen((self.host, self.port), reuse_port=False)
        self.port = self._socket.getsockname()[1]
        self._thread = eventlet.spawn(
            eventlet.wsgi.server, self._socket, self.app,
            log_output=False, debug=False, socket_timeout=10,
        )
        log.info("ops endpoint on %s:%s (%s, %s, %s)", self.host, self.port, LIVE, READY,
                 METRICS)
        return self.port

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.kill()
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
