"""Run nameko services in this process (what `yinfa run` and each demo child does).

eventlet must patch the standard library before anything imports sockets or threads,
so this module is imported only by the `run` command, which patches first.

Besides the services, the process serves its operations endpoint (`yinfa.ops.server`:
liveness, readiness, Prometheus metrics) on `YINFA_OPS_PORT`, and every service class is
instrumented (`yinfa.ops.instrumentation`) so its workers are timed.
"""
from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Sequence

import eventlet

from yinfa.catalog import service_class
from yinfa.config import Settings, load_settings
from yinfa.logs import configure_logging
from yinfa.ops.instrumentation import instrumented
from yinfa.ops.readiness import Readiness, StartedFlag, broker_check, store_check
from yinfa.ops.server import OpsApp, OpsServer
from yinfa.secrets import SecretMissing, demo_mode, require
from yinfa.service.secrets import secrets_of

log = logging.getLogger(__name__)


def refuse_without_secrets(classes: Sequence[type]) -> None:
    """Exit before anything listens when a service lacks a secret it needs."""
    try:
        for cls in classes:
            require(secrets_of(cls))
    except SecretMissing as missing:
        log.error("refusing to start: %s", missing)
        sys.exit(f"yinfa: refusing to start: {missing}")
    if demo_mode():
        log.warning("DEMO MODE: demo secrets, known to everyone; never hold real data")


def run_services(names: Sequence[str]) -> None:
    from nameko.runners import ServiceRunner

    settings = load_settings()
    configure_logging(settings.log_level)
    classes = [service_class(name) for name in names]
    refuse_without_secrets(classes)
    config = {**settings.nameko_config()}
    if settings.mongo_uri:
        config["MONGO_URI"] = settings.mongo_uri
    started = StartedFlag()
    ops = start_ops_endpoint(settings, names, started)
    runner = ServiceRunner(config)
    for cls in classes:
        runner.add_service(instrumented(cls))

    def shutdown(signum, frame):  # stop in a green thread: handlers must not block
        log.info("stopping %s on signal %s", ",".join(names), signum)
        started.stopping()
        eventlet.spawn(runner.stop)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    runner.start()
    started.started()
    log.info("running %s", ",".join(names))
    try:
        runner.wait()
    finally:
        if ops is not None:
            ops.stop()


def start_ops_endpoint(settings: Settings, names: Sequence[str], started: StartedFlag
                       ) -> OpsServer | None:
    """Serve liveness from the start; readiness waits for broker, store and services.

    A taken port is logged, not fatal: the services still work, only the endpoint is
    missing (and a readiness probe on it fails, which says so)."""
    port = settings.ops_port
    if port is None:
        return None
    readiness = Readiness()
    readiness.add("broker", broker_check(settings.amqp_uri))
    if settings.mongo_uri:
        readiness.add("store", store_check(settings.mongo_uri))
    readiness.add("services", started)
    server = OpsServer(OpsApp(readiness, names), port, settings.ops_host)
    try:
        server.start()
    except OSError as error:
        log.error("ops endpoint not started on port %s: %s", port, error)
        return None
    return server
