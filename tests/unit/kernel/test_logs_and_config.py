from __future__ import annotations

import json
import logging

from yinfa.config import DEFAULT_AMQP_URI, load_settings
from yinfa.logs import JsonFormatter, correlated


def render(message: str, **extra) -> dict:
    record = logging.LogRecord("yinfa.test", logging.INFO, __file__, 1, message, (), None)
    record.__dict__.update(extra)
    return json.loads(JsonFormatter().format(record))


def test_a_log_line_is_one_json_object_with_level_and_message():
    line = render("志愿者已登记")
    assert line["msg"] == "志愿者已登记"
    assert line["level"] == "info"
    assert "correlation_id" not in line


def test_log_lines_inside_a_correlated_block_carry_the_correlation_id():
    with correlated("corr-42"):
        assert render("x")["correlation_id"] == "corr-42"
    assert "correlation_id" not in render("y")


def test_extra_fields_are_kept():
    assert render("x", stream_id="volunteer-1")["stream_id"] == "volunteer-1"


def test_settings_have_working_defaults_without_environment():
    settings = load_settings({})
    assert settings.amqp_uri == DEFAULT_AMQP_URI
    assert settings.mongo_uri is None
    assert settings.relay_batch_size == 500


def test_settings_follow_the_environment():
    settings = load_settings({"AMQP_URI": "amqp://u:p@broker:5672/yinfa",
                              "MONGO_URI": "mongodb://db:27017/", "YINFA_RELAY_BATCH": "50"})
    assert settings.amqp_uri.endswith("/yinfa")
    assert settings.mongo_uri == "mongodb://db:27017/"
    assert settings.relay_batch_size == 50


def test_a_consumers_batch_is_capped_in_events_and_its_messages_in_flight():
    config = load_settings({}).nameko_config()
    assert (config["INBOX_BATCH_EVENTS"], config["INBOX_PREFETCH"]) == (1000, 500)
    config = load_settings({"YINFA_INBOX_BATCH_EVENTS": "200", "YINFA_INBOX_PREFETCH": "64"}
                           ).nameko_config()
    assert (config["INBOX_BATCH_EVENTS"], config["INBOX_PREFETCH"]) == (200, 64)
