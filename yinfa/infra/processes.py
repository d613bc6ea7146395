"""A small supervisor for child processes (services in the demo and e2e tests).

Each child runs in its own session, so a terminal Ctrl+C reaches only the
supervisor, which then stops the children in reverse start order (services
before the store they write to). SIGTERM is treated exactly like Ctrl+C.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import IO, Any

from yinfa import config

log = logging.getLogger(__name__)

STOP_TIMEOUT = 10.0
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # Runs in the child between fork and exec.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def child_preexec() -> Callable[[], None] | None:
    """A Popen `preexec_fn` that makes the child get SIGTERM if we die, even by SIGKILL.

    Without it a hard-killed supervisor leaves orphans holding ports. Linux only,
    and only from the main thread: the kernel fires it when the *thread* that
    forked exits, which for a worker thread would be far too early.
    """
    if sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread():
        return _die_with_parent
    return None


class StopRequested(KeyboardInterrupt):
    """Raised in the main thread by SIGINT/SIGTERM while a Supervisor is active."""


def stop_process(proc: subprocess.Popen[Any], timeout: float = STOP_TIMEOUT) -> int:
    """SIGTERM, wait up to `timeout`, then SIGKILL; returns the exit code."""
    if proc.poll() is None:
        proc.terminate()
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("pid %s ignored SIGTERM for %.0f s; killing it", proc.pid, timeout)
            proc.kill()
    return proc.wait()


class Supervisor:
    """Start named children with their output in `<run_dir>/<name>.log`; stop them all.

    Use as a context manager: on exit (normal, exception, Ctrl+C or SIGTERM) every
    child is stopped. A stop requested by signal is swallowed by `__exit__`; the
    signal number is left in `stop_signal` for the caller to report.
    """

    def __init__(self, run_dir: str | os.PathLike[str], stop_timeout: float = STOP_TIMEOUT):
        self.run_dir = Path(run_dir)
        self.stop_timeout = stop_timeout
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.log_paths: dict[str, Path] = {}
        self._logs: dict[str, IO[bytes]] = {}
        self._old_handlers: dict[int, Any] = {}
        self.stop_signal: int | None = None

    def start(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        log_path: str | os.PathLike[str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start `argv`; `env` is added on top of this process's environment."""
        if name in self.children and self.children[name].poll() is None:
            raise ValueError(f"child {name!r} is already running")
        path = Path(log_path) if log_path else self.run_dir / f"{name}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        logfile = open(path, "ab")
        # Unbuffered so a crash's last lines reach the log file.
        child_env = config.child_environment({"PYTHONUNBUFFERED": "1", **(env or {})})
        proc = subprocess.Popen(
            list(argv),
            env=child_env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=child_preexec(),
        )
        self.children[name] = proc
        self.log_paths[name] = path
        self._logs[name] = logfile
        log.info("started %s (pid %s), log %s", name, proc.pid, path)
        return proc

    def stop(self, name: str) -> int | None:
        proc = self.children.pop(name, None)
        code = None if proc is None else stop_process(proc, self.stop_timeout)
        logfile = self._logs.pop(name, None)
        if logfile:
            logfile.close()
        if proc is not None:
            log.info("stopped %s (pid %s, exit %s)", name, proc.pid, code)
        return code

    def stop_all(self) -> None:
        """Stop children in reverse start order, each terminate -> wait -> kill."""
        # A second Ctrl+C while stopping is only recorded, so it cannot orphan children.
        saved = _swap_handlers(self._record_signal)
        try:
            for name in reversed(list(self.children)):
                self.stop(name)
        finally:
            _restore_handlers(saved)

    def exited(self) -> dict[str, int]:
        """Children that have exited on their own, with their exit codes."""
        return {n: p.returncode for n, p in self.children.items() if p.poll() is not None}

    def wait(self, poll_interval: float = 0.5) -> str:
        """Block until some child exits; returns its name (a signal interrupts this)."""
        while True:
            dead = self.exited()
            if dead:
                return next(iter(dead))
            time.sleep(poll_interval)

    # -- signals ---------------------------------------------------------------

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stop_signal = signum
        raise StopRequested(signal.Signals(signum).name)

    def _record_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stop_signal = self.stop_signal or signum
        log.info("already stopping; %s ignored", signal.Signals(signum).name)

    def __enter__(self) -> Supervisor:
        self._old_handlers = _swap_handlers(self._on_signal)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any):
        try:
            self.stop_all()
        finally:
            _restore_handlers(self._old_handlers)
        return exc_type is not None and issubclass(exc_type, StopRequested)


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _swap_handlers(handler: Any) -> dict[int, Any]:
    # Python only allows handlers in the main thread; elsewhere the caller owns signals.
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, handler) for sig in _STOP_SIGNALS}


def _restore_handlers(saved: dict[int, Any]) -> None:
    for sig, handler in saved.items():
        signal.signal(sig, handler)
