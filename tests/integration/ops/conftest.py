"""Fixtures for the operations runtime: `yinfa` processes on the test's vhost and store,
their ops endpoints, a TCP proxy that can cut a process off the broker, and the
management API."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import polling
import pytest
from ops_support import TcpProxy

from yinfa.infra.processes import child_preexec
from yinfa.ops.rabbit_api import ManagementApi
from yinfa.secrets import CURSOR_KEY, ID_SECRET, MASTER_KEY, TOKEN_KEY

YINFA = [sys.executable, "-m", "yinfa.cli"]
SECRET_VARIABLES = (ID_SECRET, MASTER_KEY, TOKEN_KEY, CURSOR_KEY)
START_TIMEOUT = 30.0


@pytest.fixture
def ops_env(rabbit_config, mongo_uri, mongo_db):
    """The environment of a `yinfa` process on the test's vhost; its databases are
    `<test db>_<service>` unless YINFA_DB_PREFIX is changed."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("YINFA_") or k in SECRET_VARIABLES}
    env.update({
        "AMQP_URI": rabbit_config["AMQP_URI"],
        "MONGO_URI": mongo_uri,
        "YINFA_DB_PREFIX": mongo_db.name,
        "YINFA_CONSUMER_LEASE_SECONDS": "2",  # a killed worker's claims expire soon
        "YINFA_LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    })
    return env


@pytest.fixture
def drop_databases(mongo_client, mongo_db):
    """Drop every database this test's processes made (`<test db>_…`)."""
    yield
    for name in mongo_client.list_database_names():
        if name.startswith(mongo_db.name + "_"):
            mongo_client.drop_database(name)


@pytest.fixture
def yinfa_process(tmp_path, drop_databases):
    """Start `python -m yinfa.cli …` children; SIGTERM (then SIGKILL) them at the end.
    Their output is in `<tmp>/<name>.log`, printed when the test fails."""
    started: list[tuple[subprocess.Popen, Path]] = []

    def start(name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        log_path = tmp_path / f"{name}.log"
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                YINFA + args, env=env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=child_preexec(),
            )
        started.append((process, log_path))
        return process

    yield start
    for process, _ in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process, log_path in started:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        tail = log_path.read_text(errors="replace").splitlines()[-15:]
        print(f"--- {log_path.name} (exit {process.returncode}) ---", *tail, sep="\n")


@pytest.fixture
def management(rabbit_config):
    uri = os.environ.get("RABBIT_CTL_URI", "http://guest:guest@127.0.0.1:15672")
    return ManagementApi(uri, rabbit_config["vhost"])


@pytest.fixture
def wait_for():
    """Poll `check` until it returns something true (returned), within `timeout`."""

    def wait(check, timeout: float = START_TIMEOUT, what: str = ""):
        # not listening yet, or a half-written file, counts as "not yet"
        return polling.eventually(check, timeout, every=0.2, ignoring=(OSError, ValueError))

    return wait


@pytest.fixture
def broker_proxy(rabbit_config):
    broker = urlsplit(rabbit_config["AMQP_URI"])
    proxy = TcpProxy((broker.hostname or "127.0.0.1", broker.port or 5672)).start()
    yield proxy
    proxy.stop()
