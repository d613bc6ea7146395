"""The gateway's settings: the process's (yinfa.config) where the container config (tests)
does not say otherwise, and its two signing keys."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from yinfa.config import GatewaySettings, comma_list, settings
from yinfa.secrets import CURSOR_KEY, TOKEN_KEY, secret_text

__all__ = ["GatewaySettings", "gateway_settings", "listen_address"]

CONFIG_KEYS = {  # container config key: the setting it replaces
    "GATEWAY_ISSUER": "issuer", "GATEWAY_AUDIENCE": "audience",
    "GATEWAY_ACCESS_SECONDS": "access_seconds", "GATEWAY_REFRESH_SECONDS": "refresh_seconds",
    "GATEWAY_RPC_TIMEOUT": "rpc_timeout", "GATEWAY_RETRY_AFTER": "retry_after",
    "GATEWAY_MAX_BODY": "max_body_bytes", "GATEWAY_MAX_BATCH_BODY": "max_batch_body_bytes",
    "GATEWAY_RATE": "rate_per_second", "GATEWAY_BURST": "rate_burst",
    "GATEWAY_RANKING_CACHE": "ranking_cache_seconds",
    "GATEWAY_TRUSTED_PROXIES": "trusted_proxies", "GATEWAY_SOCKET_TIMEOUT": "socket_timeout",
    "GATEWAY_PUBLIC_BASE_URL": "public_base_url",
}


def gateway_settings(config: Mapping[str, Any] | None = None) -> GatewaySettings:
    config = config or {}
    base = settings().gateway
    chosen = {name: _like(getattr(base, name), config[key])
              for key, name in CONFIG_KEYS.items() if key in config}
    return replace(base, **chosen,
                   secret=str(config.get("GATEWAY_SECRET") or secret_text(TOKEN_KEY)),
                   cursor_secret=str(config.get("GATEWAY_CURSOR_SECRET")
                                     or secret_text(CURSOR_KEY)))


def _like(current: Any, value: Any) -> Any:
    """A container config value in the setting's type."""
    return comma_list(str(value)) if isinstance(current, frozenset) else type(current)(value)


def listen_address(config: Mapping[str, Any]) -> str:
    """nameko's WEB_SERVER_ADDRESS if configured, else YINFA_GATEWAY_ADDRESS, else :8000."""
    return str(config.get("WEB_SERVER_ADDRESS") or settings().gateway.address)
