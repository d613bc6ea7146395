"""Find a RabbitMQ broker, starting or installing a local one when needed.

Order (docs/ARCHITECTURE "Real components"): `AMQP_URI` if it names another broker than
the local default; else the local default; else start an installed `rabbitmq-server`;
else install it with apt-get when root; else stop with a message that says how to fix it.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import requests

from yinfa import config
from yinfa.config import DEFAULT_AMQP_URI, Settings

log = logging.getLogger(__name__)

DEFAULT_MANAGEMENT_URI = "http://guest:guest@127.0.0.1:15672"
START_TIMEOUT = 60.0  # a cold RabbitMQ boot takes ~5-15 s on 2 cores
CONNECT_TIMEOUT = 3.0
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
_PASSWORD = re.compile(r"(://[^:/@]*:)[^@/]*@")

FIX_HINT = (
    "Install RabbitMQ (`sudo apt-get install rabbitmq-server`, then "
    "`sudo rabbitmq-server -detached`) or set AMQP_URI to a reachable broker, "
    "e.g. AMQP_URI=amqp://user:pass@host:5672/"
)


class BrokerUnavailable(RuntimeError):
    """No usable broker; the message says why and how to fix it."""


@dataclass(frozen=True)
class Broker:
    """A reachable broker and what this process did to get it (for the caller to report)."""

    uri: str
    actions: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Management:
    uri: str
    actions: tuple[str, ...] = field(default=())


def mask_uri(uri: str) -> str:
    """Hide the password so URIs can be printed and logged (works for multi-host URIs)."""
    return _PASSWORD.sub(r"\1***@", uri)


def probe_amqp(uri: str, timeout: float = CONNECT_TIMEOUT) -> str | None:
    """Return None when an AMQP connection opens, else a short reason."""
    parts = urlsplit(uri)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5672
    # A plain TCP connect first: it fails fast and tells "nothing listens" apart
    # from "listens but refuses us" (credentials, vhost).
    error = _connect_error(host, port, timeout)
    if error:
        return f"cannot connect to {host}:{port} ({error})"
    from kombu import Connection

    try:
        with Connection(uri, connect_timeout=timeout) as conn:
            conn.connect()
    except Exception as exc:  # amqp raises many types; all mean "unusable"
        return f"AMQP handshake with {host}:{port} failed ({type(exc).__name__}: {exc})"
    return None


def ensure_broker(settings: Settings | None = None) -> Broker:
    """Return a reachable broker, starting or installing a local one if needed."""
    uri = (settings or config.settings()).amqp_uri
    if uri != DEFAULT_AMQP_URI:
        reason = probe_amqp(uri)
        if reason:
            raise BrokerUnavailable(
                f"AMQP_URI={mask_uri(uri)} is not usable: {reason}. "
                "Fix the broker or unset AMQP_URI to use a local RabbitMQ."
            )
        return Broker(uri)

    reason = probe_amqp(DEFAULT_AMQP_URI)
    if reason is None:
        return Broker(DEFAULT_AMQP_URI)
    if _connect_error("127.0.0.1", 5672) is None:
        # Something listens but refuses us: a node still booting, or one without guest.
        _wait_for_default_broker("RabbitMQ on 127.0.0.1:5672 refuses the default guest login")
        return Broker(DEFAULT_AMQP_URI)

    actions: list[str] = []
    if not shutil.which("rabbitmq-server"):
        if os.geteuid() == 0 and shutil.which("apt-get"):
            _apt_install_rabbitmq()
            actions.append("installed rabbitmq-server")
        else:
            raise BrokerUnavailable(
                f"No RabbitMQ at {mask_uri(DEFAULT_AMQP_URI)} and rabbitmq-server is not "
                f"installed (installing needs root and apt-get). {FIX_HINT}"
            )
    # The package's postinst may already have started it (on machines with an init).
    if probe_amqp(DEFAULT_AMQP_URI) is not None:
        _start_rabbitmq()
        actions.append("started rabbitmq-server")
    return Broker(DEFAULT_AMQP_URI, tuple(actions))


def resolve_amqp_uri(settings: Settings | None = None) -> str:
    """The broker URI to use; see ensure_broker for what it may start."""
    return ensure_broker(settings).uri


def _run(argv: list[str], timeout: float, extra_env: dict[str, str] | None = None) -> None:
    log.info("running %s", " ".join(argv))
    proc = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=config.child_environment(extra_env),
    )
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip()[-2000:]
        raise BrokerUnavailable(f"`{' '.join(argv)}` failed ({proc.returncode}): {tail}")


def _apt_install_rabbitmq() -> None:
    apt_env = {"DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "rabbitmq-server"]
    try:
        _run(install, timeout=900, extra_env=apt_env)
    except BrokerUnavailable:
        # A fresh image usually has empty package lists; refresh once and retry.
        _run(["apt-get", "update"], timeout=600, extra_env=apt_env)
        _run(install, timeout=900, extra_env=apt_env)


def _start_rabbitmq() -> None:
    # -detached returns at once; the node keeps booting, so poll until AMQP answers.
    _run(["rabbitmq-server", "-detached"], timeout=60)
    _wait_for_default_broker("started rabbitmq-server but it does not answer")


def _wait_for_default_broker(problem: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    reason = probe_amqp(DEFAULT_AMQP_URI)
    while reason and time.monotonic() < deadline:
        time.sleep(0.5)
        reason = probe_amqp(DEFAULT_AMQP_URI)
    if reason:
        raise BrokerUnavailable(
            f"{problem} after {START_TIMEOUT:.0f} s: {reason}. See /var/log/rabbitmq/. {FIX_HINT}"
        )


def _connect_error(host: str, port: int, timeout: float = CONNECT_TIMEOUT) -> str | None:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as exc:
        return str(exc) or type(exc).__name__


def management_answers(uri: str, timeout: float = CONNECT_TIMEOUT) -> str | None:
    """Return None when GET <uri>/api/overview answers 200, else a short reason."""
    parts = urlsplit(uri)
    base = urlunsplit(parts._replace(netloc=f"{parts.hostname}:{parts.port or 15672}"))
    auth = (parts.username or "guest", parts.password or "guest")
    try:
        resp = requests.get(base.rstrip("/") + "/api/overview", auth=auth, timeout=timeout)
    except requests.RequestException as exc:
        return f"no answer from {base} ({type(exc).__name__})"
    if resp.status_code != 200:
        return f"{base}/api/overview answered HTTP {resp.status_code}"
    return None


def _management_uri_for(amqp_uri: str) -> str:
    """Same host and credentials as the broker, on the management port."""
    parts = urlsplit(amqp_uri)
    if parts.hostname in LOCAL_HOSTS and parts.username in (None, "guest"):
        return DEFAULT_MANAGEMENT_URI
    user = parts.username or "guest"
    password = parts.password or "guest"
    return f"http://{user}:{password}@{parts.hostname}:15672"


def ensure_management(settings: Settings | None = None) -> Management:
    """Make the management API answer (nameko's pytest plugin creates vhosts through it)."""
    settings = settings or config.settings()
    explicit = settings.rabbit_ctl_uri
    uri = explicit or _management_uri_for(settings.amqp_uri)
    reason = management_answers(uri)
    if reason is None:
        return Management(uri)
    if explicit:
        raise BrokerUnavailable(f"RABBIT_CTL_URI={mask_uri(uri)} is not usable: {reason}.")
    if urlsplit(uri).hostname not in LOCAL_HOSTS:
        # rabbitmq-plugins only reaches the local node; a remote broker is its owner's job.
        raise BrokerUnavailable(
            f"RabbitMQ management API at {mask_uri(uri)} is not answering ({reason}). "
            "Enable rabbitmq_management on that broker or set RABBIT_CTL_URI."
        )
    if not shutil.which("rabbitmq-plugins"):
        raise BrokerUnavailable(
            f"RabbitMQ management API is not answering ({reason}) and rabbitmq-plugins is "
            "not installed here. Enable it on the broker "
            "(`rabbitmq-plugins enable rabbitmq_management`) and set RABBIT_CTL_URI."
        )
    _run(["rabbitmq-plugins", "enable", "rabbitmq_management"], timeout=120)
    deadline = time.monotonic() + START_TIMEOUT
    while reason and time.monotonic() < deadline:
        time.sleep(0.5)
        reason = management_answers(uri)
    if reason:
        raise BrokerUnavailable(
            f"enabled rabbitmq_management but the API did not answer within "
            f"{START_TIMEOUT:.0f} s: {reason}"
        )
    return Management(uri, ("enabled rabbitmq_management",))
