"""A `yinfa run` process serves liveness, readiness and Prometheus metrics on its own port;
readiness follows the broker: not ready while it is unreachable, ready again after."""
from __future__ import annotations

import uuid
from datetime import date

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from ops_support import free_ports, get, get_json, scrape, summed, through

from contracts.volunteers.id_number import make_id_number
from yinfa.ops.health import main as health_main

pytestmark = pytest.mark.e2e

COUNTY = "320902"


@pytest.fixture
def volunteers_process(ops_env, broker_proxy, yinfa_process, wait_for):
    """`yinfa run volunteers` reaching the broker only through the proxy."""
    port = free_ports(1)
    env = {**ops_env, "AMQP_URI": through(broker_proxy, ops_env["AMQP_URI"]),
           "YINFA_OPS_PORT": str(port)}
    process = yinfa_process("volunteers", ["run", "volunteers"], env)
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: get(f"{base}/health/ready")[0] == 200, what="ready")
    return process, base, port


def register(rabbit_config, seq: int) -> str:
    with ServiceRpcProxy("volunteers", {**rabbit_config, "serializer": "json"},
                         timeout=10) as volunteers:
        return volunteers.register_volunteer({
            "name": f"志愿者{seq}", "gender": "男", "birth_year": 1956,
            "id_number": make_id_number(COUNTY, date(1956, 3, 1), seq * 2 + 1),
            "phone": "13912345678", "county_code": COUNTY, "retirement_status": "退休",
        })["volunteer_id"]


def test_live_and_ready_answer_json_naming_each_check(volunteers_process):
    process, base, _ = volunteers_process

    live_status, live = get_json(f"{base}/health/live")
    ready_status, ready = get_json(f"{base}/health/ready")

    assert live_status == 200 and live["pid"] == process.pid
    assert live["services"] == ["volunteers"]
    assert ready_status == 200
    assert ready["checks"] == {"broker": "ok", "store": "ok", "services": "ok"}
    assert ready["down"] == []
    assert get(f"{base}/nowhere")[0] == 404
    assert health_main(["--http", "--quiet", "--url", f"{base}/health/ready"]) == 0


def test_metrics_parse_and_count_what_the_service_did(volunteers_process, rabbit_config,
                                                      wait_for):
    _, _, port = volunteers_process

    for seq in range(3):
        register(rabbit_config, seq)

    def counted(samples):  # a worker's timing is recorded as it ends, maybe after the relay
        handled = summed(samples, "yinfa_handler_seconds_count", service="volunteers",
                         entrypoint="register_volunteer", kind="Rpc", outcome="ok")
        published = summed(samples, "yinfa_events_published_total", service="volunteers")
        return samples if published >= 3 and handled >= 3 else None

    samples = wait_for(lambda: counted(scrape(port)), what="three events published")
    assert summed(samples, "yinfa_events_appended_total", service="volunteers") == 3
    assert summed(samples, "yinfa_handler_seconds_count", service="volunteers",
                  entrypoint="register_volunteer", kind="Rpc", outcome="ok") == 3
    assert samples["yinfa_lag_events{follower=relay,service=volunteers}"] == 0
    assert samples["yinfa_source_head_position{follower=relay,service=volunteers}"] == 3
    assert "yinfa_lag_events{follower=projection:views,service=volunteers}" in samples


def test_readiness_follows_the_broker_and_liveness_does_not(
    volunteers_process, broker_proxy, rabbit_config, wait_for
):
    process, base, port = volunteers_process

    broker_proxy.cut()
    status, body = wait_for(
        lambda: (lambda r: r if r[0] == 503 else None)(get_json(f"{base}/health/ready")),
        timeout=15, what="not ready")
    assert body["status"] == "not ready"
    assert body["down"] == ["broker"]
    assert "cannot connect" in body["checks"]["broker"]
    assert body["checks"]["store"] == "ok"
    assert get(f"{base}/health/live")[0] == 200
    assert health_main(["--http", "--quiet", "--url", f"{base}/health/ready"]) == 1

    broker_proxy.restore()
    wait_for(lambda: get(f"{base}/health/ready")[0] == 200, timeout=20, what="ready again")
    # and it works again, not only answers probes: its consumers reconnected
    volunteer_id = wait_for(lambda: _try_register(rabbit_config, 7), timeout=30,
                            what="an RPC answered after the broker came back")
    assert uuid.UUID(volunteer_id)
    assert process.poll() is None


def _try_register(rabbit_config, seq: int) -> str | None:
    try:
        return register(rabbit_config, seq)
    except Exception:  # noqa: BLE001 - not reconnected yet: the poll goes on
        return None


def test_the_gateway_serves_its_api_and_the_ops_endpoint_on_two_ports(
    ops_env, yinfa_process, wait_for
):
    api_port, ops = free_ports(1), free_ports(1)
    env = {**ops_env, "YINFA_GATEWAY_ADDRESS": f"127.0.0.1:{api_port}",
           "YINFA_OPS_PORT": str(ops)}
    yinfa_process("gateway", ["run", "gateway"], env)
    wait_for(lambda: get(f"http://127.0.0.1:{ops}/health/ready")[0] == 200, what="ready")

    for _ in range(2):
        status, _ = get(f"http://127.0.0.1:{api_port}/")
        assert status < 500

    samples = scrape(ops)
    timed = [key for key, value in samples.items()
             if key.startswith("yinfa_handler_seconds_count{") and "service=gateway" in key
             and value > 0]
    assert timed, "the gateway's HTTP workers are timed"
    assert get_json(f"http://127.0.0.1:{ops}/health/live")[1]["services"] == ["gateway"]
