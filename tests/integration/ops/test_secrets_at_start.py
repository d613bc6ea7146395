"""A process refuses to start without the secrets it uses: it exits non-zero, naming the
variable, before it listens on any port. Only the explicit demo mode supplies values."""
from __future__ import annotations

import socket

import polling
import pytest

from yinfa.secrets import CURSOR_KEY, ID_SECRET, MASTER_KEY, TOKEN_KEY

PLACEHOLDER = "yinfa-demo-secret-change-me"


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(("service", "variable", "value"), [
    ("volunteers", MASTER_KEY, None),
    ("volunteers", ID_SECRET, PLACEHOLDER),
    ("gateway", TOKEN_KEY, "yinfa-gateway-demo-secret-change-me-0123456789"),
    ("gateway", CURSOR_KEY, "short"),
])
def test_a_service_without_a_usable_secret_exits_naming_it_before_listening(
        ops_env, yinfa_process, tmp_path, service, variable, value):
    env = {**ops_env, "YINFA_OPS_PORT": str(ops_port := free_port()),
           "YINFA_GATEWAY_ADDRESS": f"127.0.0.1:{(api_port := free_port())}"}
    env.pop(variable, None)
    if value is not None:
        env[variable] = value
    process = yinfa_process(service, ["run", service], env)
    assert process.wait(60) != 0
    output = (tmp_path / f"{service}.log").read_text()
    assert variable in output and "refusing to start" in output
    assert not listening(ops_port) and not listening(api_port)


def test_demo_mode_supplies_the_secrets_and_says_so(ops_env, yinfa_process, tmp_path):
    env = {k: v for k, v in ops_env.items() if k not in (ID_SECRET, MASTER_KEY)}
    env.update({"YINFA_DEMO_MODE": "1", "YINFA_OPS_PORT": str(free_port())})
    process = yinfa_process("volunteers", ["run", "volunteers"], env)
    log = tmp_path / "volunteers.log"
    polling.eventually(lambda: "running volunteers" in log.read_text()
                       or process.poll() is not None, timeout=60)
    assert process.poll() is None
    assert "DEMO MODE" in log.read_text()
