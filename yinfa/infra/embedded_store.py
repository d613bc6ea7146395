"""Run nx-27017 (MongoDB wire protocol over SQLite) as a child process.

There is no MongoDB server on the project's machines, so when MONGO_URI is unset
yinfa starts nx-27017 itself and hands pymongo its URI.

Layout: by default `--db` gets a *directory* (`<data_dir>/<name>/`), which makes
nx-27017 keep one SQLite file per logical database. With a single `.db` file
nx-27017 shares one namespace across databases: `a.events` and `b.events` are the
same collection, which would break "each service owns its database".
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from yinfa import config
from yinfa.config import Settings
from yinfa.infra.broker import mask_uri
from yinfa.infra.processes import child_preexec

log = logging.getLogger(__name__)

MEMORY = "memory"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
PORT_ATTEMPTS = 3  # free_port() can race with another process grabbing the port


class StoreUnavailable(RuntimeError):
    """The document store cannot be reached or started; the message says why."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free right now (it may be taken again before use)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def nx_27017_executable() -> str:
    """The console script installed next to this interpreter, else one on PATH."""
    local = Path(sys.executable).parent / "nx-27017"
    if local.exists():
        return str(local)
    found = shutil.which("nx-27017")
    if not found:
        raise StoreUnavailable(
            "nx-27017 is not installed; run `pip install -e .` (it is a dependency) "
            "or set MONGO_URI to a MongoDB server."
        )
    return found


def ping(uri: str, timeout_ms: int = 2000) -> None:
    """Raise PyMongoError unless the server at `uri` answers ping."""
    client: MongoClient = MongoClient(
        uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms
    )
    try:
        client.admin.command("ping")
    finally:
        client.close()


class EmbeddedStore:
    """One nx-27017 child process; `uri` is ready for pymongo once `start()` returns.

    `db_path`: None -> `<data_dir>/<name>/` (one SQLite file per database, kept
    across restarts); "memory" -> nothing on disk; any other path is passed as is
    (a `.db` file means one shared namespace, see the module docstring).
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str] = "var/store",
        name: str = "yinfa",
        *,
        db_path: str | os.PathLike[str] | None = None,
        port: int | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.name = name
        self.host = host
        self._fixed_port = port
        if db_path is None:
            self.db_path = str(self.data_dir / name)
        elif str(db_path) == MEMORY:
            self.db_path = MEMORY
        else:
            self.db_path = str(Path(db_path).resolve())
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        if self.port is None:
            raise StoreUnavailable("embedded store is not started")
        return f"mongodb://{self.host}:{self.port}/"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def log_path(self) -> Path:
        return self.data_dir / f"nx-27017-{self.port}.log"

    @property
    def pid_path(self) -> Path:
        return self.data_dir / f"nx-27017-{self.port}.pid"

    @property
    def stderr_path(self) -> Path:
        # Crashes before nx-27017 sets up logging (bad port, bad path) only reach stderr.
        return self.data_dir / f"nx-27017-{self.port}.stderr"

    def start(self) -> EmbeddedStore:
        if self.process and self.process.poll() is None:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.db_path not in (MEMORY,) and not self.db_path.endswith(".db"):
            Path(self.db_path).mkdir(parents=True, exist_ok=True)
        attempts = 1 if self._fixed_port else PORT_ATTEMPTS
        for attempt in range(1, attempts + 1):
            self.port = self._fixed_port or free_port(self.host)
            try:
                self._spawn_and_wait()
                log.info("nx-27017 pid %s serves %s at %s", self.pid, self.db_path, self.uri)
                return self
            except StoreUnavailable:
                self.stop()
                if attempt == attempts:
                    raise
                log.warning("nx-27017 failed on port %s, retrying on another", self.port)
        raise AssertionError("unreachable")

    def _spawn_and_wait(self) -> None:
        argv = [
            nx_27017_executable(),
            "--db", self.db_path,
            "--host", self.host,
            "-p", str(self.port),
            "--log-file", str(self.log_path),
            "--pid-file", str(self.pid_path),
        ]  # fmt: skip
        with open(self.stderr_path, "ab") as err:
            # Foreground child (not -d) so we own its lifetime; its own session keeps a
            # terminal Ctrl+C from killing it before the services that use it.
            self.process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,
                preexec_fn=child_preexec(),
            )
        deadline = time.monotonic() + START_TIMEOUT
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StoreUnavailable(
                    f"nx-27017 exited with {self.process.returncode} on port {self.port}.\n"
                    + self._log_tail()
                )
            try:
                ping(self.uri, timeout_ms=500)
                return
            except PyMongoError as exc:
                last_error = exc
                time.sleep(0.1)
        raise StoreUnavailable(
            f"nx-27017 did not answer ping on {self.uri} within {START_TIMEOUT:.0f} s "
            f"({last_error}).\n" + self._log_tail()
        )

    def _log_tail(self, lines: int = 20) -> str:
        out = []
        for path in (self.log_path, self.stderr_path):
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                out.append(f"--- {path} (last {len(text)} lines) ---\n" + "\n".join(text))
        return "\n".join(out) or "(no log written)"

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM, wait, then SIGKILL; safe to call twice."""
        proc, self.process = self.process, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("nx-27017 pid %s ignored SIGTERM; killing it", proc.pid)
                proc.kill()
                proc.wait()
        # After SIGKILL nx-27017 cannot remove its pid file; a stale one would make a
        # later start on the same port refuse to run if the pid were reused.
        if self.port is not None:
            self.pid_path.unlink(missing_ok=True)

    def __enter__(self) -> EmbeddedStore:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def ensure_store(
    settings: Settings | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    name: str = "yinfa",
    ping_timeout_ms: int = 5000,
) -> tuple[str, EmbeddedStore | None]:
    """`MONGO_URI` if set (and answering); else start an EmbeddedStore the caller must stop."""
    settings = settings or config.settings()
    uri = settings.mongo_uri
    if uri:
        try:
            ping(uri, timeout_ms=ping_timeout_ms)
        except PyMongoError as exc:
            raise StoreUnavailable(
                f"MONGO_URI={mask_uri(uri)} does not answer ping ({exc}). "
                "Start that server or unset MONGO_URI to use the embedded nx-27017."
            ) from exc
        return uri, None
    data_dir = data_dir or settings.data_dir / "store"
    store = EmbeddedStore(data_dir, name).start()
    return store.uri, store
