"""Where the gateway listens, and settings read from the container config first."""
from __future__ import annotations

from gateway.settings import gateway_settings, listen_address
from yinfa.config import settings


def test_the_listen_address_comes_from_nameko_then_the_environment(monkeypatch):
    monkeypatch.delenv("YINFA_GATEWAY_ADDRESS", raising=False)
    settings.cache_clear()
    assert listen_address({}) == "0.0.0.0:8000"
    monkeypatch.setenv("YINFA_GATEWAY_ADDRESS", "127.0.0.1:9000")
    settings.cache_clear()
    assert listen_address({}) == "127.0.0.1:9000"
    assert listen_address({"WEB_SERVER_ADDRESS": "10.0.0.5:8080"}) == "10.0.0.5:8080"


def test_container_config_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("YINFA_GATEWAY_RPC_TIMEOUT", "9")
    settings.cache_clear()
    assert gateway_settings({}).rpc_timeout == 9
    assert gateway_settings({"GATEWAY_RPC_TIMEOUT": 1}).rpc_timeout == 1


def test_container_config_values_take_the_settings_types():
    chosen = gateway_settings({"GATEWAY_TRUSTED_PROXIES": "10.0.0.1, 10.0.0.2,",
                               "GATEWAY_BURST": "7", "GATEWAY_RATE": "2.5"})
    assert chosen.trusted_proxies == {"10.0.0.1", "10.0.0.2"}
    assert (chosen.rate_burst, chosen.rate_per_second) == (7, 2.5)


def test_the_signing_keys_never_show_in_a_printed_settings_object():
    chosen = gateway_settings({"GATEWAY_SECRET": "printed-nowhere-0123456789-abcdefghij"})
    assert chosen.secret == "printed-nowhere-0123456789-abcdefghij"
    assert chosen.secret not in repr(chosen) and chosen.cursor_secret not in repr(chosen)
