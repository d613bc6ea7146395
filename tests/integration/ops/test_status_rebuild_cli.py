"""`yinfa status` and `yinfa rebuild` against a running volunteers service on the real broker
and store."""
from __future__ import annotations

import os
from datetime import date

import pytest
from click.testing import CliRunner

from contracts.volunteers.id_number import make_id_number
from services.volunteers.service import VolunteersService
from yinfa.cli import main
from yinfa.config import settings
from yinfa.messaging.dead_letters import DeadLetters
from yinfa.ops.status import HEADERS

pytestmark = pytest.mark.integration

COUNTY = "320902"


@pytest.fixture
def volunteers(runner_factory, platform_config, rpc_proxy):
    runner = runner_factory(platform_config, VolunteersService)
    runner.start()
    proxy = rpc_proxy("volunteers")
    ids = [proxy.register_volunteer({
        "name": f"志愿者{seq}", "gender": "男", "birth_year": 1957,
        "id_number": make_id_number(COUNTY, date(1957, 7, 1), seq * 2 + 1),
        "phone": "13912345678", "county_code": COUNTY, "retirement_status": "退休",
    })["volunteer_id"] for seq in range(4)]
    return proxy, ids


@pytest.fixture
def yinfa(rabbit_config):
    env = {"AMQP_URI": rabbit_config["AMQP_URI"],
           "RABBIT_CTL_URI": os.environ.get("RABBIT_CTL_URI",
                                            "http://guest:guest@127.0.0.1:15672")}

    def run(*args: str) -> tuple[int, str]:
        settings.cache_clear()  # the command reads `env`, as its own process would
        result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
        settings.cache_clear()
        return result.exit_code, result.output

    return run


def test_status_shows_each_service_its_health_queues_and_dead_letters(
    volunteers, yinfa, rabbit_config, eventually
):
    dead_letters = DeadLetters(rabbit_config["AMQP_URI"])
    dead_letters.send({"event_id": "x"}, "test: set aside", "volunteers")
    dead_letters.close()

    def table() -> list[list[str]]:
        code, output = yinfa("status", "--timeout", "2")
        assert code == 0, output
        return [line.split() for line in output.splitlines()]

    def consumers(lines: list[list[str]], queue: str) -> str | None:
        row = next((r for r in lines if queue in r), None)
        return None if row is None else row[row.index(queue) + 1]

    # the management API's queue figures lag by a few seconds: poll until they are in
    lines = eventually(lambda: (lambda t: t if any(
        r[:1] == ["volunteers"] and r[-1] == "1" for r in t)
        and consumers(t, "rpc-volunteers") == "1" else None)(table()), timeout=30)
    assert lines[0] == " ".join(HEADERS).split()
    row = next(r for r in lines if r[:1] == ["volunteers"])
    assert row[1] == "ok"  # it answered its health RPC
    assert row[2] == "0" and row[3] == "0"  # relay and views caught up
    others = [r for r in lines[2:] if r[:1] in (["branches"], ["activities"])]
    assert others and all(r[1:3] == ["no", "answer"] for r in others)


def test_rebuild_folds_lost_views_again_with_progress(volunteers, yinfa, platform_config,
                                                      mongo_client):
    proxy, ids = volunteers
    db = mongo_client[f"{platform_config['DB_PREFIX']}_volunteers"]
    before = db["volunteer_view"].count_documents({})
    db["volunteer_view"].drop()  # views lost: the events are all still there

    code, output = yinfa("rebuild", "volunteers", "volunteer_view")

    assert code == 0, output
    assert "rebuild volunteers" in output  # the progress bar
    assert "from 4 events" in output  # registered; all four are folded again
    assert db["volunteer_view"].count_documents({}) == before == 4
    assert proxy.get_volunteer(ids[2])["volunteer_id"] == ids[2]


def test_rebuild_refuses_unknown_services_and_views(yinfa):
    code, output = yinfa("rebuild", "nobody")
    assert code == 2 and "unknown service 'nobody'" in output
    code, output = yinfa("rebuild", "volunteers", "no_view")
    assert code == 2 and "volunteer_view" in output and "team_view" in output


def test_status_shows_the_gateway_healthy(runner_factory, platform_config, yinfa, eventually):
    from gateway.service import GatewayService

    runner = runner_factory({**platform_config, "WEB_SERVER_ADDRESS": "127.0.0.1:0"},
                            GatewayService)
    runner.start()

    def gateway_row() -> list[str] | None:
        code, output = yinfa("status", "--timeout", "3")
        assert code == 0, output
        return next((line.split() for line in output.splitlines()
                     if line.split()[:1] == ["gateway"]), None)

    row = eventually(gateway_row)
    assert row[1] == "ok", row
