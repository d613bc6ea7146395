from __future__ import annotations

from nameko.exceptions import deserialize, serialize

import yinfa.service.remote_errors  # noqa: F401  the RPC edge registers the errors
from yinfa.errors import AlreadyExists, ConcurrencyError, ValidationFailed


def across_rpc(error):
    """What an RPC caller receives: nameko serialises the error and rebuilds it."""
    return deserialize(serialize(error))


def test_field_errors_survive_an_rpc_round_trip():
    received = across_rpc(ValidationFailed({"id_number": ["校验码错误"]}))
    assert isinstance(received, ValidationFailed)
    assert received.errors == {"id_number": ["校验码错误"]}


def test_a_rule_error_keeps_its_field_and_code_across_rpc():
    received = across_rpc(AlreadyExists("this person is already registered", field="id_number"))
    assert isinstance(received, AlreadyExists)
    assert received.field == "id_number"
    assert received.to_dict()["code"] == "already_exists"
    assert str(received) == "this person is already registered"


def test_a_concurrency_conflict_says_which_stream():
    received = across_rpc(ConcurrencyError("conflict", stream_id="team-1", expected_version=2))
    assert received.context["stream_id"] == "team-1"
