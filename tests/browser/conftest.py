"""The dashboard in a real browser against the real platform: the demo (services, store,
gateway, demo data) started once for the module, as `bash scripts/demo.sh` starts it."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

HERE = Path(__file__).parent
ARTIFACTS = HERE / "artifacts"  # screenshots and exported files, kept out of git
BUILT = HERE.parents[1] / "dashboard" / "dist" / "index.html"


@dataclass
class Demo:
    base: str
    password: str
    county_user: str

    def api(self, username: str = "demo") -> requests.Session:
        session = requests.Session()
        answer = session.post(f"{self.base}/auth/login", timeout=10,
                              json={"username": username, "password": self.password})
        answer.raise_for_status()
        session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        return session


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def demo(module_amqp, tmp_path_factory) -> Any:
    assert BUILT.is_file(), "the dashboard is not built: run bash scripts/dashboard.sh"
    address = f"127.0.0.1:{free_port()}"
    env = {k: v for k, v in os.environ.items() if k != "MONGO_URI"}
    env.update({"AMQP_URI": module_amqp, "PYTHONUNBUFFERED": "1",
                "YINFA_DATA_DIR": str(tmp_path_factory.mktemp("demo")),
                "YINFA_GATEWAY_ADDRESS": address})
    process = subprocess.Popen([sys.executable, "-m", "demo", "--volunteers", "30",
                                "--seed", "5"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and process.poll() is None:
            seen.append(process.stdout.readline())
            if "press Ctrl-C" in seen[-1]:
                break
        output = "".join(seen)
        assert "press Ctrl-C" in output, output[-3000:]
        login = next(line for line in seen if "login    demo / " in line)
        dashboard = next(line for line in seen if line.strip().startswith("Dashboard"))
        assert f"http://{address}/dashboard/" in dashboard
        yield Demo(base=f"http://{address}", password=login.split(" / ")[1].split()[0],
                   county_user="demo-tinghu")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def browse(demo: Demo, request):
    """Run a scenario of scenarios.py in a browser of its own; what it saw."""
    ARTIFACTS.mkdir(exist_ok=True)

    def run(scenario: str, **job: Any) -> dict[str, Any]:
        job = {"base": demo.base, "username": "demo", "password": demo.password,
               "artifacts": str(ARTIFACTS), "scenario": scenario, **job}
        done = subprocess.run([sys.executable, str(HERE / "driver.py")],
                              input=json.dumps(job), capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr[-4000:]
        answer = json.loads(done.stdout)
        assert answer["page_errors"] == [], answer["page_errors"]
        return answer["seen"]

    return run
