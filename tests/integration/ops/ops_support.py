"""Helpers of the operations tests: free ports, HTTP GETs, /metrics scrapes, and a TCP
proxy that can cut a process off the broker."""
from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from urllib.parse import urlsplit, urlunsplit

import eventlet
from prometheus_client.parser import text_string_to_metric_families


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


def through(proxy: TcpProxy, amqp_uri: str) -> str:
    """`amqp_uri` with its host and port replaced by the proxy's."""
    parts = urlsplit(amqp_uri)
    auth = parts.netloc.rsplit("@", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{auth}@127.0.0.1:{proxy.port}"))


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

    @property
    def is_cut(self) -> bool:
        return self._listener is None

    def restore(self) -> None:
        self.start()

    def stop(self) -> None:
        self.cut()
        for thread in self._threads:
            thread.kill()
