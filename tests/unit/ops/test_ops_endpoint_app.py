"""The ops endpoint's WSGI app, readiness checks, port settings and lag gauges, without
sockets."""
from __future__ import annotations

import json

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from yinfa.config import load_settings
from yinfa.ops.metrics import LagCollector
from yinfa.ops.readiness import Readiness, StartedFlag
from yinfa.ops.replicas import replica_env
from yinfa.ops.server import OpsApp, ops_port


def call(app, path: str, method: str = "GET") -> tuple[str, dict, bytes]:
    seen: dict = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app({"PATH_INFO": path, "REQUEST_METHOD": method}, start_response))
    return seen["status"], seen["headers"], body


def app_with(**checks) -> OpsApp:
    readiness = Readiness(cache_seconds=0)
    for name, check in checks.items():
        readiness.add(name, check)
    return OpsApp(readiness, ["scoring"])


def test_ready_is_200_when_every_check_passes():
    status, headers, body = call(app_with(broker=lambda: None, store=lambda: None), "/health/ready")

    assert status == "200 OK"
    assert headers["Content-Type"].startswith("application/json")
    answer = json.loads(body)
    assert answer["status"] == "ready" and answer["down"] == []
    assert answer["checks"] == {"broker": "ok", "store": "ok"}


def test_ready_is_503_naming_what_is_down_while_live_stays_200():
    def broken_store():
        raise TimeoutError("no server in 2 s")

    app = app_with(broker=lambda: "cannot connect to 127.0.0.1:5672", store=broken_store)
    status, _, body = call(app, "/health/ready")
    live_status, _, live = call(app, "/health/live")

    assert status == "503 Service Unavailable"
    answer = json.loads(body)
    assert answer["down"] == ["broker", "store"]
    assert answer["checks"]["store"] == "TimeoutError: no server in 2 s"
    assert live_status == "200 OK" and json.loads(live)["services"] == ["scoring"]


def test_services_check_is_down_until_started_and_again_when_stopping():
    flag = StartedFlag()
    app = app_with(services=flag)
    assert json.loads(call(app, "/health/ready")[2])["checks"]["services"] == "starting"
    flag.started()
    assert call(app, "/health/ready")[0] == "200 OK"
    flag.stopping()
    assert json.loads(call(app, "/health/ready")[2])["checks"]["services"] == "stopping"


def test_readiness_keeps_an_answer_for_its_cache_time():
    calls = []
    readiness = Readiness(cache_seconds=60)
    readiness.add("broker", lambda: calls.append(1))
    readiness.report()
    readiness.report()
    assert len(calls) == 1


def test_metrics_are_prometheus_text_and_unknown_paths_404():
    app = app_with()
    status, headers, body = call(app, "/metrics")
    assert status == "200 OK" and headers["Content-Type"].startswith("text/plain")
    names = {family.name for family in text_string_to_metric_families(body.decode())}
    assert {"yinfa_events_appended", "yinfa_events_consumed", "yinfa_handler_seconds"} <= names
    assert call(app, "/elsewhere")[0] == "404 Not Found"
    assert call(app, "/metrics", method="POST")[0] == "405 Method Not Allowed"


def test_lag_gauges_are_read_at_scrape_time_and_a_failing_source_is_left_out():
    lags = LagCollector()
    registry = CollectorRegistry()
    registry.register(lags)
    lags.register("volunteers", "relay", lambda: (120, 100))

    def down():
        raise ConnectionError("store away")

    lags.register("branches", "relay", down)
    assert registry.get_sample_value(
        "yinfa_lag_events", {"service": "volunteers", "follower": "relay"}) == 20
    assert registry.get_sample_value(
        "yinfa_lag_events", {"service": "branches", "follower": "relay"}) is None
    lags.unregister_service("volunteers")
    assert registry.get_sample_value(
        "yinfa_lag_events", {"service": "volunteers", "follower": "relay"}) is None


@pytest.mark.parametrize(("value", "port"), [
    (None, 9100), ("9200", 9200), ("off", None), ("0", 0),
])
def test_ops_port_from_the_environment(value, port):
    env = {} if value is None else {"YINFA_OPS_PORT": value}
    assert ops_port(load_settings(env)) == port


def test_ops_port_refuses_what_is_no_port():
    with pytest.raises(ValueError, match="YINFA_OPS_PORT"):
        ops_port(load_settings({"YINFA_OPS_PORT": "70000"}))


def test_each_replica_gets_the_base_port_plus_its_index():
    assert replica_env(2, {"YINFA_OPS_PORT": "9300"})["YINFA_OPS_PORT"] == "9302"
    assert replica_env(0, {})["YINFA_OPS_PORT"] == "9100"
    assert replica_env(1, {})["YINFA_REPLICA"] == "1"
    assert replica_env(1, {"YINFA_OPS_PORT": "off"})["YINFA_OPS_PORT"] == "off"


def test_a_second_process_cannot_share_the_ops_port():
    from yinfa.ops.server import OpsServer

    first = OpsServer(app_with(), 0, "127.0.0.1")
    port = first.start()
    try:
        with pytest.raises(OSError):
            OpsServer(app_with(), port, "127.0.0.1").start()
    finally:
        first.stop()
