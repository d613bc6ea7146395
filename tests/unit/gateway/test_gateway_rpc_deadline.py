"""An RPC the broker cannot take (nothing listens at its address) is a 503 with
Retry-After within the deadline, not a hang and not a 500."""
from __future__ import annotations

import time
from types import SimpleNamespace

import eventlet.event
import pytest

from gateway.problem import Problem
from gateway.rpc import ServiceCalls
from yinfa.infra.embedded_store import free_port


class ReplyListener:
    routing_key = "replies"

    def __init__(self) -> None:
        self._reply_events: dict[str, eventlet.event.Event] = {}

    def get_reply_event(self, correlation_id: str) -> eventlet.event.Event:
        event = eventlet.event.Event()
        self._reply_events[correlation_id] = event
        return event


def test_an_unreachable_broker_is_a_503_within_the_deadline():
    config = {"AMQP_URI": f"amqp://guest:guest@127.0.0.1:{free_port()}/"}
    worker_ctx = SimpleNamespace(container=SimpleNamespace(config=config), data={},
                                 context_data={})
    calls = ServiceCalls(worker_ctx, ReplyListener(), timeout=1.0, retry_after=7)
    started = time.monotonic()
    with pytest.raises(Problem) as caught:
        calls.call("scoring", "county_ranking")
    assert caught.value.status == 503 and caught.value.headers["Retry-After"] == "7"
    assert time.monotonic() - started < 10
