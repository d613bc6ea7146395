"""The gateway's settings: container config first (tests), then the environment."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from yinfa.secrets import CURSOR_KEY, TOKEN_KEY, secret_text

DEFAULT_ADDRESS = "0.0.0.0:8000"


@dataclass(frozen=True)
class GatewaySettings:
    secret: str  # signs access tokens (HS256)
    cursor_secret: str  # signs list cursors: a leaked cursor key cannot forge a token
    issuer: str
    audience: str
    access_seconds: int
    refresh_seconds: int
    rpc_timeout: float
    retry_after: int
    max_body_bytes: int
    max_batch_body_bytes: int  # routes that take many items at once (a roster import)
    rate_per_second: float
    rate_burst: int
    ranking_cache_seconds: float  # 0 turns the rankings' read cache off
    trusted_proxies: frozenset[str] = frozenset()  # peers whose X-Forwarded-For is believed
    socket_timeout: float = 15.0  # an idle or trickling client is cut off after this
    public_base_url: str = ""  # how readers reach the API (certificates' verification URL)


def _pick(config: Mapping[str, Any], key: str, env: str, default: Any) -> Any:
    if key in config:
        return config[key]
    return os.environ.get(env, default)


def gateway_settings(config: Mapping[str, Any] | None = None) -> GatewaySettings:
    config = config or {}
    return GatewaySettings(
        secret=str(config.get("GATEWAY_SECRET") or secret_text(TOKEN_KEY)),
        cursor_secret=str(config.get("GATEWAY_CURSOR_SECRET") or secret_text(CURSOR_KEY)),
        issuer=str(_pick(config, "GATEWAY_ISSUER", "YINFA_GATEWAY_ISSUER", "yinfa")),
        audience=str(_pick(config, "GATEWAY_AUDIENCE", "YINFA_GATEWAY_AUDIENCE", "yinfa-api")),
        access_seconds=int(_pick(config, "GATEWAY_ACCESS_SECONDS",
                                 "YINFA_GATEWAY_ACCESS_SECONDS", 900)),
        refresh_seconds=int(_pick(config, "GATEWAY_REFRESH_SECONDS",
                                  "YINFA_GATEWAY_REFRESH_SECONDS", 14 * 24 * 3600)),
        rpc_timeout=float(_pick(config, "GATEWAY_RPC_TIMEOUT", "YINFA_GATEWAY_RPC_TIMEOUT", 5)),
        retry_after=int(_pick(config, "GATEWAY_RETRY_AFTER", "YINFA_GATEWAY_RETRY_AFTER", 5)),
        max_body_bytes=int(_pick(config, "GATEWAY_MAX_BODY", "YINFA_GATEWAY_MAX_BODY",
                                 64 * 1024)),
        max_batch_body_bytes=int(_pick(config, "GATEWAY_MAX_BATCH_BODY",
                                       "YINFA_GATEWAY_MAX_BATCH_BODY", 1024 * 1024)),
        rate_per_second=float(_pick(config, "GATEWAY_RATE", "YINFA_GATEWAY_RATE", 50)),
        rate_burst=int(_pick(config, "GATEWAY_BURST", "YINFA_GATEWAY_BURST", 100)),
        ranking_cache_seconds=float(_pick(config, "GATEWAY_RANKING_CACHE",
                                          "YINFA_GATEWAY_RANKING_CACHE_SECONDS", 1.0)),
        trusted_proxies=frozenset(p.strip() for p in str(_pick(
            config, "GATEWAY_TRUSTED_PROXIES", "YINFA_TRUSTED_PROXIES", "")).split(",")
            if p.strip()),
        socket_timeout=float(_pick(config, "GATEWAY_SOCKET_TIMEOUT",
                                   "YINFA_GATEWAY_SOCKET_TIMEOUT", 15.0)),
        public_base_url=str(_pick(config, "GATEWAY_PUBLIC_BASE_URL",
                                  "YINFA_PUBLIC_BASE_URL", "")),
    )


def listen_address(config: Mapping[str, Any]) -> str:
    """nameko's WEB_SERVER_ADDRESS if configured, else YINFA_GATEWAY_ADDRESS, else :8000."""
    return str(config.get("WEB_SERVER_ADDRESS")
               or os.environ.get("YINFA_GATEWAY_ADDRESS", DEFAULT_ADDRESS))
