"""Finding RabbitMQ: tested against the real local broker and real closed ports, no mocks."""

import os
import subprocess
import sys

import pytest
import requests

from yinfa.config import load_settings
from yinfa.infra.broker import (
    DEFAULT_AMQP_URI,
    BrokerUnavailable,
    ensure_management,
    mask_uri,
    probe_amqp,
    resolve_amqp_uri,
)
from yinfa.infra.embedded_store import free_port


def test_an_amqp_uri_on_a_closed_port_raises_an_error_naming_amqp_uri():
    uri = f"amqp://guest:guest@127.0.0.1:{free_port()}/"
    with pytest.raises(BrokerUnavailable) as err:
        resolve_amqp_uri(load_settings({"AMQP_URI": uri}))
    assert "AMQP_URI=" in str(err.value)
    assert "cannot connect" in str(err.value)


def test_passwords_never_appear_in_printed_uris():
    assert mask_uri("amqp://guest:s3cret@host:5672/vh") == "amqp://guest:***@host:5672/vh"
    assert mask_uri("mongodb://u:p@a:1,b:2/db") == "mongodb://u:***@a:1,b:2/db"
    assert mask_uri("amqp://host:5672/") == "amqp://host:5672/"


@pytest.mark.integration
@pytest.mark.skipif(
    os.environ.get("AMQP_URI", DEFAULT_AMQP_URI) != DEFAULT_AMQP_URI,
    reason="this run uses a broker from AMQP_URI, not the local default",
)
def test_without_amqp_uri_the_local_broker_is_used():
    assert resolve_amqp_uri(load_settings({})) == DEFAULT_AMQP_URI
    assert probe_amqp(DEFAULT_AMQP_URI) is None


@pytest.mark.integration
def test_an_explicit_amqp_uri_that_works_is_returned_unchanged():
    uri = "amqp://guest:guest@localhost:5672/"
    assert resolve_amqp_uri(load_settings({"AMQP_URI": uri})) == uri


@pytest.mark.integration
def test_wrong_credentials_are_reported_as_a_refused_handshake():
    with pytest.raises(BrokerUnavailable) as err:
        resolve_amqp_uri(load_settings({"AMQP_URI": "amqp://guest:wrong@127.0.0.1:5672/"}))
    assert "handshake" in str(err.value)
    assert "wrong" not in str(err.value)


@pytest.mark.integration
def test_the_management_api_answers_after_ensure_management():
    management = ensure_management()
    assert requests.get(management.uri + "/api/overview", timeout=5).status_code == 200


def test_an_unreachable_rabbit_ctl_uri_raises_an_error_naming_it():
    uri = f"http://guest:guest@127.0.0.1:{free_port()}"
    with pytest.raises(BrokerUnavailable) as err:
        ensure_management(load_settings({"RABBIT_CTL_URI": uri}))
    assert "RABBIT_CTL_URI=" in str(err.value)


@pytest.mark.integration
def test_check_export_prints_lines_a_shell_can_eval():
    out = subprocess.run(
        [sys.executable, "-m", "yinfa.infra.check", "--export"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    exports = dict(line.removeprefix("export ").split("=", 1) for line in out.splitlines())
    assert exports == {
        "AMQP_URI": os.environ.get("AMQP_URI", DEFAULT_AMQP_URI),
        "RABBIT_CTL_URI": os.environ.get("RABBIT_CTL_URI", "http://guest:guest@127.0.0.1:15672"),
    }
