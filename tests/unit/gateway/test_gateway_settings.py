"""Where the gateway listens, and settings read from the container config first."""
from __future__ import annotations

from gateway.settings import gateway_settings, listen_address


def test_the_listen_address_comes_from_nameko_then_the_environment(monkeypatch):
    monkeypatch.delenv("YINFA_GATEWAY_ADDRESS", raising=False)
    assert listen_address({}) == "0.0.0.0:8000"
    monkeypatch.setenv("YINFA_GATEWAY_ADDRESS", "127.0.0.1:9000")
    assert listen_address({}) == "127.0.0.1:9000"
    assert listen_address({"WEB_SERVER_ADDRESS": "10.0.0.5:8080"}) == "10.0.0.5:8080"


def test_container_config_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("YINFA_GATEWAY_RPC_TIMEOUT", "9")
    assert gateway_settings({}).rpc_timeout == 9
    assert gateway_settings({"GATEWAY_RPC_TIMEOUT": 1}).rpc_timeout == 1
