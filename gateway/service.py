"""The gateway service: one nameko `@http` door, the REST API in front of the services.

Two catch-all entrypoints hand every request to the pipeline (gateway/app.py), which
routes with the declarations in gateway/resources. The API listens on nameko's
WEB_SERVER_ADDRESS, else YINFA_GATEWAY_ADDRESS, else 0.0.0.0:8000.
"""
from __future__ import annotations

import logging
import socket
from typing import Any

from nameko.timer import timer
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp, parse_address
from pymongo.errors import PyMongoError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

import gateway.resources  # noqa: F401 - registers the routes
from gateway.accounts.account import CATALOG_REGISTRY
from gateway.accounts.views import VIEWS
from gateway.app import GatewayApp, GatewayAppProvider
from gateway.exports.registry import adopt_former
from gateway.problem import Problem
from gateway.rpc import ServiceCalls, TimedRpc
from gateway.settings import gateway_settings, listen_address
from yinfa.secrets import CURSOR_KEY, TOKEN_KEY
from yinfa.service.dependencies import EventSourcing
from yinfa.service.rpc import rpc
from yinfa.service.secrets import RequiredSecrets

METHODS = "GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS"
log = logging.getLogger(__name__)


class ProblemWsgiApp(WsgiApp):
    """nameko's WSGI app, with what it answers itself (paths no entrypoint matches, e.g.
    with a line break in them) as problem+json too."""

    def __call__(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
        except HTTPException as exc:
            status = exc.code or 404
            code = "method_not_allowed" if status == 405 else "not_found"
            response = Problem(status if status in (404, 405) else 404, code,
                               "No such resource.").response()
            return response(environ, start_response)
        request.path_values = values  # type: ignore[attr-defined]  # as nameko does
        return provider.handle_request(request)(environ, start_response)


class GatewayWebServer(WebServer):
    @property
    def bind_addr(self) -> Any:
        return parse_address(listen_address(self.container.config))

    def get_wsgi_app(self) -> Any:
        return ProblemWsgiApp(self)

    def get_wsgi_server(self, sock: Any, wsgi_app: Any, *args: Any, **kwargs: Any) -> Any:
        server = super().get_wsgi_server(sock, wsgi_app, *args, **kwargs)
        # every accepted socket gets this timeout (nameko's accept loop reads it here):
        # a client that sends its request a byte at a time cannot hold a worker for ever
        server.socket_timeout = gateway_settings(self.container.config).socket_timeout
        return server

    def process_request(self, sock: Any, address: Any) -> None:
        # eventlet's wsgi writes headers and a long body in separate sends: with Nagle on,
        # the second waits for the client's delayed ACK (40 ms on Linux) on every answer
        # larger than its write buffer, such as a ranking
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().process_request(sock, address)


class GatewayHttp(HttpRequestHandler):
    server = GatewayWebServer()

    def response_from_exception(self, exc: Exception) -> Response:
        # the pipeline answers every error itself; this is the last safety net
        return Problem(500, "internal_error", "Something went wrong on our side.").response()


gateway_http = GatewayHttp.decorator


class GatewayService:
    name = "gateway"

    # accounts are event-sourced like every other aggregate (auditable, replayable)
    accounts = EventSourcing(CATALOG_REGISTRY, VIEWS, relay=False)
    calls: ServiceCalls = TimedRpc()
    app: GatewayApp = GatewayAppProvider("accounts")
    secrets = RequiredSecrets(TOKEN_KEY, CURSOR_KEY)

    @rpc
    def health(self) -> dict[str, Any]:
        """For `yinfa status`: answered once the gateway reaches its own store."""
        self.app.db.command("ping")
        return {"service": self.name}

    @timer(interval=600, eager=True)
    def adopt_former_certificates(self) -> None:
        """Certificates issued here before they were events move into the volunteers
        service's log; while that service or the store is away, the next round tries."""
        try:
            adopt_former(self.app.db, self.calls)
        except (Problem, PyMongoError) as away:
            log.warning("former certificates not moved yet: %s", away)

    @gateway_http(METHODS, "/")
    def root(self, request: Request) -> Response:
        return self.app.handle(request, self.calls)

    @gateway_http(METHODS, "/<path:path>")
    def any_path(self, request: Request, path: str) -> Response:
        return self.app.handle(request, self.calls)
