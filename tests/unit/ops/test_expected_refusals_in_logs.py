"""A caller's refused command is one info line in the logs; anything else keeps its level
and traceback."""
from __future__ import annotations

import io
import json
import logging

from yinfa.errors import DomainRuleViolated
from yinfa.logs import ExpectedRefusals, JsonFormatter


def logged(logger_name: str, error: Exception) -> dict:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ExpectedRefusals())
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        try:
            raise error
        except Exception:
            logger.exception("error handling worker")
    finally:
        logger.removeHandler(handler)
    return json.loads(out.getvalue())


def test_a_refused_command_is_logged_at_info_without_a_traceback():
    entry = logged("nameko.containers", DomainRuleViolated("the volunteer is withdrawn"))
    assert entry["level"] == "info" and "exc" not in entry
    assert "the volunteer is withdrawn" in entry["msg"]


def test_an_unexpected_failure_keeps_its_error_and_traceback():
    entry = logged("nameko.containers", KeyError("since"))
    assert entry["level"] == "error" and "KeyError" in entry["exc"]


def test_a_dead_lettered_event_stays_an_error():
    entry = logged("yinfa.messaging.inbox", DomainRuleViolated("ledger refused"))
    assert entry["level"] == "error" and "exc" in entry
