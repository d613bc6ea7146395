"""Structured JSON logs: one object per line, carrying the correlation id in flight."""
from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "correlation_id", default=None
)

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        current = correlation_id.get()
        if current:
            entry["correlation_id"] = current
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class ExpectedRefusals(logging.Filter):
    """A command refused for a reason the caller is told (a rule, a conflict, invalid
    input) is no error of ours: nameko logs it with a traceback as a failed worker; it is
    kept as one info line. What is unexpected stays an error with its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        # only a worker's answer to its caller: an event a consumer sets aside (a dead
        # letter) stays an error, whatever refused it
        if error is not None and record.name == "nameko.containers" and _is_refusal(error):
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args = "refused: %s: %s", (type(error).__name__, error)
            record.exc_info, record.exc_text = None, None
        return True


def _is_refusal(error: BaseException) -> bool:
    from yinfa.errors import YinfaError  # not at import: errors import nameko

    return isinstance(error, YinfaError) and getattr(error, "code", "") in REFUSALS


REFUSALS = frozenset({"validation_failed", "rule_violated", "not_found", "already_exists",
                      "concurrency_conflict", "too_many_attempts"})


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ExpectedRefusals())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


@contextmanager
def correlated(value: str | None) -> Iterator[None]:
    """Tag every log line inside the block with `value` as correlation_id."""
    token = correlation_id.set(value)
    try:
        yield
    finally:
        correlation_id.reset(token)
