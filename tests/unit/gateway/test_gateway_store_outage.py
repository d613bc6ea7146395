"""When a store is away the caller is told to retry (503 with Retry-After), never a 500:
the gateway's own store (logins, refresh tokens, idempotency records) and a service's
store behind an RPC alike."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from nameko.exceptions import RemoteError
from pymongo import MongoClient
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.app import GatewayApp
from gateway.problem import Problem
from gateway.rpc import ServiceCalls
from gateway.settings import gateway_settings
from yinfa.infra.embedded_store import free_port


def test_a_login_while_the_gateway_store_is_away_is_a_503_with_retry_after():
    # a real client pointed at a port nothing listens on: pymongo's own outage errors
    client: MongoClient = MongoClient(f"mongodb://127.0.0.1:{free_port()}/",
                                      serverSelectionTimeoutMS=300, connectTimeoutMS=300)
    try:
        app = GatewayApp(gateway_settings({"GATEWAY_RETRY_AFTER": 4}), client["gateway"],
                         accounts_provider=None)
        body = json.dumps({"username": "city", "password": "a-long-password"})
        request = Request(EnvironBuilder(method="POST", path="/auth/login", data=body,
                                         content_type="application/json").get_environ())
        calls = SimpleNamespace(set_context=lambda **data: None)
        response = app.handle(request, calls)  # type: ignore[arg-type]
    finally:
        client.close()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "4"
    assert response.mimetype == "application/problem+json"
    assert json.loads(response.get_data())["code"] == "store_unavailable"


class Answer:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def result(self) -> None:
        raise self.error


class Proxy:
    """Stands in for nameko's method proxy only: what a service answered is given."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def call_async(self, *args: object, **kwargs: object) -> Answer:
        return Answer(self.error)


@pytest.mark.parametrize(("exc_type", "status"), [
    ("AutoReconnect", 503), ("ServerSelectionTimeoutError", 503), ("NotPrimaryError", 503),
    ("KeyError", 502),
])
def test_a_service_whose_store_is_away_is_a_503_other_failures_a_502(
        monkeypatch, exc_type, status):
    error = RemoteError(exc_type, "boom")
    monkeypatch.setattr("gateway.rpc.ServiceProxy",
                        lambda *args: SimpleNamespace(rank=SimpleNamespace(
                            call_async=Proxy(error).call_async)))
    calls = ServiceCalls(SimpleNamespace(data={}), reply_listener=None, timeout=1.0,
                         retry_after=6)
    with pytest.raises(Problem) as caught:
        calls.call("scoring", "rank")
    assert caught.value.status == status
    assert (caught.value.headers.get("Retry-After") == "6") == (status == 503)
