"""Fixtures for the operations runtime: `yinfa` processes on the test's vhost and store,
their ops endpoints, a TCP proxy that can cut a process off the broker, and the
management API."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import eventlet
import pytest
from prometheus_client.parser import text_string_to_metric_families

from yinfa.infra.processes import child_preexec
from yinfa.ops.rabbit_api import ManagementApi

YINFA = [sys.executable, "-m", "yinfa.cli"]
START_TIMEOUT = 30.0


def free_ports(count: int) -> int:
    """A base port with `count` consecutive ports free right now."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + count > 65535:
            continue
        if all(_port_free(base + i) for i in range(count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports")


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def get_json(url: str) -> tuple[int, dict]:
    status, body = get(url)
    return status, json.loads(body)


def scrape(port: int) -> dict[str, float]:
    """Every sample of a process's /metrics, as `name{label=value,...}` → value."""
    status, body = get(f"http://127.0.0.1:{port}/metrics")
    assert status == 200
    samples = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    return samples


def summed(samples: dict[str, float], name: str, **labels: str) -> float:
    wanted = [f"{k}={v}" for k, v in labels.items()]
    return sum(value for key, value in samples.items()
               if key.split("{", 1)[0] == name and all(w in key for w in wanted))


@pytest.fixture
def ops_env(rabbit_config, mongo_uri, mongo_db):
    """The environment of a `yinfa` process on the test's vhost; its databases are
    `<test db>_<service>` unless YINFA_DB_PREFIX is changed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("YINFA_")}
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
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = check()
            except (OSError, ValueError) as error:  # not listening yet, half-written
                last = error
            else:
                if last:
                    return last
            time.sleep(0.2)
        raise AssertionError(f"{what or check} not true within {timeout} s (last: {last!r})")

    return wait


class TcpProxy:
    """127.0.0.1:<port> → target, on green threads; `cut()` closes the listener and every
    connection (the broker seems gone), `restore()` listens again on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_ports(1)
        self._listener = None
        self._sockets: set = set()
        self._threads: list = []

    def start(self) -> TcpProxy:
        self._listener = eventlet.listen(("127.0.0.1", self.port))
        self._threads.append(eventlet.spawn(self._accept, self._listener))
        return self

    def _accept(self, listener) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed: cut
            try:
                upstream = eventlet.connect(self.target)
            except OSError:
                client.close()
                continue
            self._sockets |= {client, upstream}
            self._threads.append(eventlet.spawn(self._pump, client, upstream))
            self._threads.append(eventlet.spawn(self._pump, upstream, client))

    def _pump(self, source, sink) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except (OSError, EOFError):  # eventlet raises EOFError on a socket closed by cut()
            pass
        finally:
            for sock in (source, sink):
                self._close(sock)

    def _close(self, sock) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()
        self._sockets.discard(sock)

    def cut(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for sock in list(self._sockets):
            self._close(sock)

    def restore(self) -> None:
        self.start()

    def stop(self) -> None:
        self.cut()
        for thread in self._threads:
            thread.kill()


@pytest.fixture
def broker_proxy(rabbit_config):
    broker = urlsplit(rabbit_config["AMQP_URI"])
    proxy = TcpProxy((broker.hostname or "127.0.0.1", broker.port or 5672)).start()
    yield proxy
    proxy.stop()
