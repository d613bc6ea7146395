"""Settings read from the environment, in one place, with working defaults."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"


@dataclass(frozen=True)
class Settings:
    amqp_uri: str
    mongo_uri: str | None
    data_dir: Path
    relay_batch_size: int
    relay_idle_seconds: float
    consumer_lease_seconds: float
    log_level: str
    inbox_batch_events: int = 1000  # events a consumer takes in one batch
    inbox_prefetch: int = 500  # messages in flight per subscription

    def database_name(self, service: str) -> str:
        """Each service owns one database; a prefix lets several deployments share a server."""
        return f"{os.environ.get('YINFA_DB_PREFIX', 'yinfa')}_{service}"

    def nameko_config(self) -> dict:
        return {"AMQP_URI": self.amqp_uri, "serializer": "json",
                "INBOX_BATCH_EVENTS": self.inbox_batch_events,
                "INBOX_PREFETCH": self.inbox_prefetch}


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    return Settings(
        amqp_uri=env.get("AMQP_URI", DEFAULT_AMQP_URI),
        mongo_uri=env.get("MONGO_URI") or None,
        data_dir=Path(env.get("YINFA_DATA_DIR", "var")),
        relay_batch_size=int(env.get("YINFA_RELAY_BATCH", "500")),
        relay_idle_seconds=float(env.get("YINFA_RELAY_IDLE_SECONDS", "0.2")),
        consumer_lease_seconds=float(env.get("YINFA_CONSUMER_LEASE_SECONDS", "30")),
        log_level=env.get("YINFA_LOG_LEVEL", "INFO"),
        inbox_batch_events=int(env.get("YINFA_INBOX_BATCH_EVENTS", "1000")),
        inbox_prefetch=int(env.get("YINFA_INBOX_PREFETCH", "500")),
    )
