"""What a resource handler gets (`Ctx`) and may answer besides plain data (`Reply`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request

from gateway.roles import Principal
from gateway.rpc import ServiceCalls
from gateway.settings import GatewaySettings


@dataclass
class Reply:
    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None  # a ready body (exports, static files)
    content_type: str | None = None


@dataclass
class Ctx:
    request: Request
    request_id: str
    settings: GatewaySettings
    calls: ServiceCalls
    gateway: Any  # gateway.app.GatewayApp: its database, accounts and secrets
    principal: Principal
    params: dict[str, str] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)  # the JSON as sent, validated
    data: dict[str, Any] = field(default_factory=dict)  # the same, loaded
    idempotency_key: str | None = None

    def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.calls.call(service, method, *args, **kwargs)

    def payload(self, **ids: Any) -> dict[str, Any]:
        """The body as sent plus ids from the path (which the body may not repeat)."""
        return {**self.body, **ids}
