"""Run nameko services in this process (what `yinfa run` and each demo child does).

eventlet must patch the standard library before anything imports sockets or threads,
so this module is imported only by the `run` command, which patches first.
"""
from __future__ import annotations

import logging
import signal
from collections.abc import Sequence

import eventlet

from yinfa.catalog import service_class
from yinfa.config import load_settings
from yinfa.logs import configure_logging

log = logging.getLogger(__name__)


def run_services(names: Sequence[str]) -> None:
    from nameko.runners import ServiceRunner

    settings = load_settings()
    configure_logging(settings.log_level)
    config = {**settings.nameko_config()}
    if settings.mongo_uri:
        config["MONGO_URI"] = settings.mongo_uri
    runner = ServiceRunner(config)
    for name in names:
        runner.add_service(service_class(name))

    def shutdown(signum, frame):  # stop in a green thread: handlers must not block
        log.info("stopping %s on signal %s", ",".join(names), signum)
        eventlet.spawn(runner.stop)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    runner.start()
    log.info("running %s", ",".join(names))
    runner.wait()
