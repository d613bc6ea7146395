"""Every setting of a yinfa process, read from the environment here and nowhere else.

`settings()` reads this process's environment once, on first use; `load_settings(env)`
reads the mapping it is given (a test's, a child's) and caches nothing. A value that does
not parse is refused with a message naming the variable. The README's settings table
lists every variable.
"""
from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_OPS_PORT = 9100
REPOSITORY = Path(__file__).resolve().parents[1]
# kept as set; yinfa/secrets.py judges a value when a process needs it
SECRETS = ("YINFA_ID_SECRET", "YINFA_MASTER_KEY", "YINFA_OLD_MASTER_KEY",
           "YINFA_GATEWAY_SECRET", "YINFA_CURSOR_SECRET", "YINFA_TRANSFER_KEY",
           "YINFA_DEMO_MODE")
OFF = ("off", "none", "disabled")
Number = TypeVar("Number", int, float)


class SettingError(ValueError):
    """A variable's value does not parse; the message names the variable."""


@dataclass(frozen=True)
class GatewaySettings:
    address: str  # host:port; nameko's WEB_SERVER_ADDRESS wins when configured
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
    trusted_proxies: frozenset[str]  # peers whose X-Forwarded-For is believed
    socket_timeout: float  # an idle or trickling client is cut off after this
    public_base_url: str  # how readers reach the API (certificates' verification URL)
    # the signing keys: filled in by gateway.settings, judged by yinfa.secrets
    secret: str = field(default="", repr=False)
    cursor_secret: str = field(default="", repr=False)


@dataclass(frozen=True)
class Settings:
    amqp_uri: str
    mongo_uri: str | None
    data_dir: Path
    relay_batch_size: int
    relay_idle_seconds: float
    relay_gather_seconds: float
    snapshot_every: int  # a long stream's folded state is kept every N events; 0: never
    consumer_lease_seconds: float
    inbox_heal_seconds: float  # how long a gap stays open before the source is asked
    inbox_retries: int  # tries again of an event whose apply failed, then dead-lettered
    inbox_retry_seconds: float  # the wait before the first; each next waits 5 times longer
    log_level: str
    db_prefix: str
    rabbit_ctl_uri: str | None  # the management API; None: port 15672 of AMQP_URI's host
    rabbit_api: str | None  # the same for the operations commands only
    ops_port: int | None  # None: no operations endpoint
    ops_host: str
    failpoints: frozenset[str]
    reference_dir: Path
    reference_city: Path | None  # None: the city file of reference_dir
    certificate_font_dir: Path
    gateway: GatewaySettings
    secrets: Mapping[str, str] = field(repr=False)
    inbox_batch_events: int = 1000  # events a consumer takes in one batch
    inbox_prefetch: int = 500  # messages in flight per subscription
    services_file: Path = REPOSITORY / "services.toml"  # the services (yinfa/catalog.py)
    import_max_bytes: int = 50 * 1024 * 1024  # the largest partner file an import takes
    merge_undo_days: int = 30  # a merge of duplicate records can be undone this long
    report_max_bytes: int = 10 * 1024 * 1024  # the largest report document one may submit
    # the file types a report may be (short names: pdf, docx, xlsx, jpeg, png)
    report_types: frozenset[str] = frozenset({"pdf", "docx", "xlsx", "jpeg", "png"})
    # the dashboard's build (index.html, assets/), which the gateway serves at /dashboard/
    dashboard_dir: Path = REPOSITORY / "dashboard" / "dist"
    # the cities whose transfer packages this one takes and sends to; None: the file
    # `transfer_trust.yaml` of reference_dir
    transfer_trust: Path | None = None

    def database_name(self, service: str) -> str:
        """Each service owns one database; a prefix lets several deployments share a server."""
        return f"{self.db_prefix}_{service}"

    def nameko_config(self) -> dict:
        return {"AMQP_URI": self.amqp_uri, "serializer": "json",
                "INBOX_BATCH_EVENTS": self.inbox_batch_events,
                "INBOX_PREFETCH": self.inbox_prefetch}


@cache
def settings() -> Settings:
    """This process's settings, read on first use (tests that change the environment
    call `settings.cache_clear()`)."""
    return load_settings(os.environ)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """The settings `env` gives; without one, this process's (`settings()`)."""
    if env is None:
        return settings()
    return Settings(
        amqp_uri=_text(env, "AMQP_URI", DEFAULT_AMQP_URI),
        mongo_uri=_optional(env, "MONGO_URI"),
        data_dir=Path(_text(env, "YINFA_DATA_DIR", "var")),
        relay_batch_size=_number(env, "YINFA_RELAY_BATCH", 500, least=1),
        relay_idle_seconds=_number(env, "YINFA_RELAY_IDLE_SECONDS", 0.2),
        relay_gather_seconds=_number(env, "YINFA_RELAY_GATHER_SECONDS", 0.02),
        snapshot_every=_number(env, "YINFA_SNAPSHOT_EVERY", 200, least=0),
        consumer_lease_seconds=_number(env, "YINFA_CONSUMER_LEASE_SECONDS", 30.0, least=1.0),
        inbox_heal_seconds=_number(env, "YINFA_INBOX_HEAL_SECONDS", 10.0, least=0.0),
        inbox_retries=_number(env, "YINFA_INBOX_RETRIES", 3, least=0),
        inbox_retry_seconds=_number(env, "YINFA_INBOX_RETRY_SECONDS", 1.0, least=0.01),
        log_level=_log_level(env, "YINFA_LOG_LEVEL"),
        db_prefix=_text(env, "YINFA_DB_PREFIX", "yinfa"),
        rabbit_ctl_uri=_optional(env, "RABBIT_CTL_URI"),
        rabbit_api=_optional(env, "YINFA_RABBIT_API"),
        ops_port=None if env.get("YINFA_OPS_PORT", "").strip().lower() in OFF
        else _number(env, "YINFA_OPS_PORT", DEFAULT_OPS_PORT, most=65535),
        ops_host=_text(env, "YINFA_OPS_HOST", "0.0.0.0"),
        failpoints=comma_list(env.get("YINFA_FAILPOINTS", "")),
        reference_dir=Path(_text(env, "YINFA_REFERENCE_DIR", str(REPOSITORY / "reference"))),
        reference_city=Path(city) if (city := _optional(env, "YINFA_REFERENCE_CITY")) else None,
        certificate_font_dir=Path(_text(env, "YINFA_CERTIFICATE_FONT_DIR",
                                        "/usr/share/fonts/truetype/hanazono")),
        gateway=_gateway(env),
        secrets=MappingProxyType({name: env.get(name, "") for name in SECRETS}),
        inbox_batch_events=_number(env, "YINFA_INBOX_BATCH_EVENTS", 1000, least=1),
        inbox_prefetch=int(env.get("YINFA_INBOX_PREFETCH", "500")),
        services_file=Path(_text(env, "YINFA_SERVICES_FILE", str(REPOSITORY / "services.toml"))),
        import_max_bytes=_number(env, "YINFA_IMPORT_MAX_BYTES", 50 * 1024 * 1024, least=1024),
        merge_undo_days=_number(env, "YINFA_MERGE_UNDO_DAYS", 30, least=0),
        report_max_bytes=_number(env, "YINFA_REPORT_MAX_BYTES", 10 * 1024 * 1024, least=1024),
        report_types=comma_list(env.get("YINFA_REPORT_TYPES", "pdf,docx,xlsx,jpeg,png")),
        dashboard_dir=Path(_text(env, "YINFA_DASHBOARD_DIR",
                                 str(REPOSITORY / "dashboard" / "dist"))),
        transfer_trust=Path(trust) if (trust := _optional(env, "YINFA_TRANSFER_TRUST")) else None,
    )


def _gateway(env: Mapping[str, str]) -> GatewaySettings:
    return GatewaySettings(
        address=_text(env, "YINFA_GATEWAY_ADDRESS", "0.0.0.0:8000"),
        issuer=_text(env, "YINFA_GATEWAY_ISSUER", "yinfa"),
        audience=_text(env, "YINFA_GATEWAY_AUDIENCE", "yinfa-api"),
        access_seconds=_number(env, "YINFA_GATEWAY_ACCESS_SECONDS", 900, least=1),
        refresh_seconds=_number(env, "YINFA_GATEWAY_REFRESH_SECONDS", 14 * 24 * 3600, least=1),
        rpc_timeout=_number(env, "YINFA_GATEWAY_RPC_TIMEOUT", 5.0),
        retry_after=_number(env, "YINFA_GATEWAY_RETRY_AFTER", 5),
        max_body_bytes=_number(env, "YINFA_GATEWAY_MAX_BODY", 64 * 1024, least=1),
        max_batch_body_bytes=_number(env, "YINFA_GATEWAY_MAX_BATCH_BODY", 1024 * 1024, least=1),
        rate_per_second=_number(env, "YINFA_GATEWAY_RATE", 50.0),
        rate_burst=_number(env, "YINFA_GATEWAY_BURST", 100, least=1),
        ranking_cache_seconds=_number(env, "YINFA_GATEWAY_RANKING_CACHE_SECONDS", 1.0),
        trusted_proxies=comma_list(env.get("YINFA_TRUSTED_PROXIES", "")),
        socket_timeout=_number(env, "YINFA_GATEWAY_SOCKET_TIMEOUT", 15.0),
        public_base_url=_text(env, "YINFA_PUBLIC_BASE_URL", ""),
    )


def comma_list(text: str) -> frozenset[str]:
    return frozenset(item.strip() for item in text.split(",") if item.strip())


def child_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment plus `extra`, to start a child with: passed on, not
    read (the child reads its own settings)."""
    return {**os.environ, **(extra or {})}


def set_defaults(values: Mapping[str, str]) -> None:
    """Give variables that are unset these values, here and in the children started later."""
    for name, value in values.items():
        os.environ.setdefault(name, value)
    settings.cache_clear()


def _text(env: Mapping[str, str], name: str, default: str) -> str:
    return env.get(name, "").strip() or default  # set but empty is unset


def _optional(env: Mapping[str, str], name: str) -> str | None:
    return env.get(name, "").strip() or None


def _number(env: Mapping[str, str], name: str, default: Number, least: Number | None = None,
            most: Number | None = None) -> Number:
    text = env.get(name, "").strip()
    if not text:
        return default
    kind = type(default)
    try:
        value = kind(text)
    except ValueError:
        raise SettingError(f"{name}={text!r} is not {'an integer' if kind is int else 'a number'}"
                           ) from None
    low = 0 if least is None else least
    if not math.isfinite(value) or value < low or (most is not None and value > most):
        upper = "" if most is None else f" and at most {most}"
        raise SettingError(f"{name}={text!r} is out of range: it must be at least {low}{upper}")
    return value


def _log_level(env: Mapping[str, str], name: str) -> str:
    text = env.get(name, "").strip() or "INFO"
    if text.upper() not in logging.getLevelNamesMapping():
        raise SettingError(f"{name}={text!r} is not a log level (DEBUG, INFO, WARNING, ERROR)")
    return text.upper()
