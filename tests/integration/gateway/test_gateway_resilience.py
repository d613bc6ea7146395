"""A slow or missing service answers 503 with Retry-After within the deadline; a flood
from one client answers 429. The gateway runs here with few or no services behind it."""
from __future__ import annotations

import time

import eventlet
import pytest
from click.testing import CliRunner
from gateway_support import Api, Platform, gateway_config, listening_on

from gateway.admin import main as create_admin
from gateway.service import GatewayService
from yinfa.config import settings
from yinfa.service.rpc import rpc


class SlowScoring:
    name = "scoring"

    @rpc
    def county_ranking(self, **options):
        eventlet.sleep(5)
        return []


@pytest.fixture
def lonely_gateway(container_factory, rabbit_config, mongo_uri, mongo_client, mongo_db):
    """Only the gateway (and, if asked, a slow scoring service), with a 1 s RPC deadline."""
    config = gateway_config(rabbit_config["AMQP_URI"], mongo_uri, mongo_db.name,
                            GATEWAY_RPC_TIMEOUT=1, GATEWAY_RETRY_AFTER=7,
                            GATEWAY_RATE=2, GATEWAY_BURST=30)

    def start(*others) -> tuple[Platform, Api]:
        gateway = container_factory(GatewayService, config)
        gateway.start()
        for service in others:
            container_factory(service, config).start()
        platform = Platform(config, mongo_client[f"{mongo_db.name}_gateway"],
                            listening_on(gateway))
        return platform, platform.open_account("city", "city_admin")

    yield start
    mongo_client.drop_database(f"{mongo_db.name}_gateway")


def test_a_missing_service_is_a_503_with_retry_after(lonely_gateway):
    _, city = lonely_gateway()
    started = time.monotonic()
    answer = city.get("/rankings/counties")
    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"] == "7"
    assert answer.json()["code"] == "service_unavailable"
    assert time.monotonic() - started < 3


def test_a_slow_service_is_a_503_after_the_deadline_not_a_hang(lonely_gateway):
    _, city = lonely_gateway(SlowScoring)
    started = time.monotonic()
    answer = city.get("/rankings/counties")
    elapsed = time.monotonic() - started
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "7"
    assert 0.9 < elapsed < 3


def test_a_flood_from_one_client_is_429_with_retry_after(lonely_gateway):
    _, city = lonely_gateway()
    answers = [city.get("/me") for _ in range(40)]
    limited = [a for a in answers if a.status_code == 429]
    assert limited, "40 requests at once should exceed a burst of 30"
    assert int(limited[0].headers["Retry-After"]) >= 1
    assert limited[0].headers["Content-Type"].startswith("application/problem+json")
    assert sum(a.status_code == 200 for a in answers) >= 30


def test_create_admin_opens_an_account_that_can_log_in(lonely_gateway, mongo_uri, mongo_db,
                                                       monkeypatch):
    platform, _ = lonely_gateway()
    monkeypatch.setenv("MONGO_URI", mongo_uri)
    monkeypatch.setenv("YINFA_DB_PREFIX", mongo_db.name)
    settings.cache_clear()  # the command reads them, as its own process would
    result = CliRunner().invoke(create_admin, ["--username", "first-admin"],
                                env={"YINFA_ADMIN_PASSWORD": "a-long-password-1"})
    assert result.exit_code == 0, result.output
    admin = platform.anonymous.login("first-admin", "a-long-password-1")
    assert admin.get("/me").json()["role"] == "city_admin"
    again = CliRunner().invoke(create_admin, ["--username", "first-admin"],
                               env={"YINFA_ADMIN_PASSWORD": "a-long-password-1"})
    assert again.exit_code == 1
    short = CliRunner().invoke(create_admin, ["--username", "second"],
                               env={"YINFA_ADMIN_PASSWORD": "short"})
    assert short.exit_code == 2 and "password" in short.output
