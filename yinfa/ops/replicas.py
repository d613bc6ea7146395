"""`yinfa run <service> --replicas N`: N local worker processes of one service.

Each replica is `python -m yinfa.cli run <service>` with its own operations port
(`YINFA_OPS_PORT` + index) and `YINFA_REPLICA=<index>`; they share the broker, so
RabbitMQ spreads the service's queues over them as it would over pods. The supervisor
restarts a replica that dies (after a short pause; it gives up when one keeps dying), and
on SIGTERM or SIGINT stops them all (SIGTERM, then SIGKILL after a grace period).
"""
from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from yinfa import config
from yinfa.infra.processes import child_preexec, stop_process
from yinfa.ops.server import PORT_VARIABLE

log = logging.getLogger(__name__)

RESTART_PAUSE = 1.0
RESTART_WINDOW = 60.0  # a replica dying more than MAX_RESTARTS times in this window ...
MAX_RESTARTS = 5  # ... makes the supervisor give up (a crash loop is not "running")
POLL_SECONDS = 0.2


def replica_env(index: int, env: Mapping[str, str]) -> dict[str, str]:
    """The environment of replica `index`: ports offset from the base port."""
    port = config.load_settings(env).ops_port
    child = {**env, "YINFA_REPLICA": str(index), "PYTHONUNBUFFERED": "1"}
    if port is not None:
        child[PORT_VARIABLE] = str(port + index) if port else "0"  # 0: any free port
    return child


@dataclass
class Replica:
    index: int
    process: subprocess.Popen[bytes]
    deaths: list[float] = field(default_factory=list)


class ReplicaSet:
    def __init__(
        self,
        service: str,
        count: int,
        env: Mapping[str, str] | None = None,
        command: Callable[[str], Sequence[str]] | None = None,
    ) -> None:
        if count < 1:
            raise ValueError("at least one replica")
        self.service = service
        self.count = count
        self.env = config.child_environment() if env is None else dict(env)
        self.command = command or (lambda name: [sys.executable, "-m", "yinfa.cli", "run", name])
        self.replicas: dict[int, Replica] = {}
        self.stopping = False

    def _spawn(self, index: int) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            list(self.command(self.service)),
            env=replica_env(index, self.env),
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a terminal's Ctrl-C reaches the supervisor only
            preexec_fn=child_preexec(),
        )
        log.info("%s replica %d started (pid %d)", self.service, index, process.pid)
        return process

    def start(self) -> None:
        for index in range(self.count):
            self.replicas[index] = Replica(index, self._spawn(index))

    def supervise_once(self) -> bool:
        """Restart replicas that died; False when one dies too often (give up)."""
        now = time.monotonic()
        for replica in self.replicas.values():
            code = replica.process.poll()
            if code is None or self.stopping:
                continue
            replica.deaths = [t for t in replica.deaths if now - t < RESTART_WINDOW] + [now]
            log.warning("%s replica %d (pid %d) exited with %s", self.service, replica.index,
                        replica.process.pid, code)
            if len(replica.deaths) > MAX_RESTARTS:
                log.error("%s replica %d keeps dying; giving up", self.service, replica.index)
                return False
            time.sleep(RESTART_PAUSE)
            replica.process = self._spawn(replica.index)
        return True

    def stop(self) -> None:
        self.stopping = True
        for replica in self.replicas.values():
            if replica.process.poll() is None:
                replica.process.terminate()  # all at once: they stop in parallel
        for replica in self.replicas.values():
            stop_process(replica.process)
        log.info("%s: %d replicas stopped", self.service, len(self.replicas))

    def run(self) -> int:
        """Start, supervise until SIGTERM/SIGINT (exit 0) or a crash loop (exit 1)."""
        def request_stop(signum, frame):
            log.info("stopping %s replicas on %s", self.service, signal.Signals(signum).name)
            self.stopping = True

        previous = {sig: signal.signal(sig, request_stop)
                    for sig in (signal.SIGTERM, signal.SIGINT)}
        healthy = True
        try:
            self.start()
            while not self.stopping and healthy:
                healthy = self.supervise_once()
                time.sleep(POLL_SECONDS)
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0 if healthy else 1
