"""The main job end to end: the demo (`python -m demo`, what `bash scripts/demo.sh` runs)
starts everything, loads data, shows, stops."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import polling
import pytest
import requests
from personal_traces import demo_traces, found_in_dead_letters, found_in_files

pytestmark = pytest.mark.e2e

DEMO = [sys.executable, "-m", "demo"]


def demo_env(tmp_path: Path, amqp_uri: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MONGO_URI"}
    env.update({"AMQP_URI": amqp_uri, "YINFA_DATA_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1",
                "YINFA_GATEWAY_ADDRESS": f"127.0.0.1:{free_port()}"})
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children_of(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


def test_the_demo_shows_volunteers_per_county_and_stops_everything(tmp_path, rabbit_config):
    done = subprocess.run(
        [*DEMO, "--once", "--volunteers", "40"],
        env=demo_env(tmp_path, rabbit_config["AMQP_URI"]),
        capture_output=True, text=True, timeout=300,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    assert "registered 40 volunteers" in done.stdout
    assert "亭湖区" in done.stdout and "盐南高新区" in done.stdout
    assert "全市合计：志愿者 40 人" in done.stdout
    assert "city agencies registered and verified 10 volunteers" in done.stdout
    assert "市直单位年度考评实时排名" in done.stdout and "市公安局" in done.stdout
    assert "all services and the store are stopped" in done.stdout
    assert "/docs" in done.stdout and "login    demo / " in done.stdout

    again = subprocess.run(
        [*DEMO, "--once", "--resume"],
        env=demo_env(tmp_path, rabbit_config["AMQP_URI"]),
        capture_output=True, text=True, timeout=300,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert "resumed from" in again.stdout and "shown as it is" in again.stdout
    assert "全市合计：志愿者 40 人" in again.stdout  # the same people, not loaded twice


def test_after_the_demo_no_name_phone_or_id_number_is_anywhere_but_sealed(
        tmp_path, rabbit_config, request):
    done = subprocess.run(
        [*DEMO, "--once", "--volunteers", "40", "--seed", "7"],
        env=demo_env(tmp_path, rabbit_config["AMQP_URI"]),
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    traces = demo_traces(40, 7)
    assert len(traces) > 100
    (tmp_path / "demo-output.txt").write_text(done.stdout + done.stderr)
    scanned = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any("store" in str(p) for p in scanned) and any(p.suffix == ".log" for p in scanned)
    in_files = found_in_files(tmp_path, traces)  # the store's files, every log, the output
    assert not in_files, in_files
    in_dead_letters = found_in_dead_letters(
        rabbit_config["AMQP_URI"], request.config.getoption("RABBIT_API_URI"), traces)
    assert not in_dead_letters, in_dead_letters


def test_ctrl_c_stops_the_services_and_the_store(tmp_path, rabbit_config):
    demo = subprocess.Popen(
        [*DEMO, "--volunteers", "10"],
        env=demo_env(tmp_path, rabbit_config["AMQP_URI"]),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 240
        seen = []
        while time.monotonic() < deadline:
            line = demo.stdout.readline()
            seen.append(line)
            if "press Ctrl-C" in line or demo.poll() is not None:
                break
        assert any("press Ctrl-C" in line for line in seen), "".join(seen)[-3000:]
        started = children_of(demo.pid)
        assert started, "the demo should run the store and services as children"
        login = next(line for line in seen if "login    demo / " in line)
        password = login.split(" / ")[1].split()[0]
        api = next(line for line in seen if line.strip().startswith("API")).split()[-1]
        answer = requests.post(api + "auth/login", json={"username": "demo",
                                                          "password": password}, timeout=10)
        assert answer.status_code == 200, answer.text

        volunteers = next(pid for pid in started
                          if "run volunteers" in Path(f"/proc/{pid}/cmdline").read_bytes()
                          .replace(b"\0", b" ").decode())
        os.kill(volunteers, signal.SIGKILL)
        restarted = []
        while time.monotonic() < deadline:
            line = demo.stdout.readline()
            restarted.append(line)
            if "volunteers stopped" in line:
                break
        assert any("starting it again" in line for line in restarted), "".join(restarted)
        started = children_of(demo.pid)

        demo.send_signal(signal.SIGINT)
        rest = demo.communicate(timeout=60)[0]
    finally:
        if demo.poll() is None:
            demo.kill()

    assert demo.returncode == 0, rest[-3000:]
    assert "stopped" in rest
    polling.eventually(lambda: not [pid for pid in started if Path(f"/proc/{pid}").exists()],
                       timeout=5)
