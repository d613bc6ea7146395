"""A service whose broker connection drops while a worker sends its RPC reply keeps
running; the request, never acked, is redelivered once the broker is back and answered."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from eventlet.event import Event
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_waiter
from ops_support import through

from yinfa.service.rpc import rpc

# nameko's publisher retries a failed reply for a while before it gives up
REPLY_GIVE_UP = 60


@dataclass
class Gate:
    """Holds each request in the service until the test lets them all through."""

    released: Event = field(default_factory=Event)
    runs: list[str] = field(default_factory=list)


@pytest.fixture
def gated(
    container_factory, rabbit_config, broker_proxy
) -> Iterator[tuple[ServiceContainer, Gate]]:
    """A service reaching the broker only through the proxy, whose `shout` waits at the gate."""
    gate = Gate()

    class Gated:
        name = "gated"

        @rpc
        def shout(self, word: str) -> str:
            gate.runs.append(word)
            gate.released.wait()
            return word.upper()

    config = {**rabbit_config, "AMQP_URI": through(broker_proxy, rabbit_config["AMQP_URI"])}
    container = container_factory(Gated, config)
    container.start()
    yield container, gate
    # stopped while the proxy still stands: nameko's consumer only notices a stop once it
    # is connected, so a container cut off for good would never finish stopping
    if broker_proxy.is_cut:
        broker_proxy.restore()
    container.kill()


def test_a_reply_lost_with_the_broker_neither_stops_the_service_nor_loses_the_answer(
    gated, broker_proxy, rabbit_config, wait_for
):
    container, gate = gated
    with ClusterRpcProxy(rabbit_config, timeout=REPLY_GIVE_UP * 2) as caller:
        pending = caller.gated.shout.call_async("hello")
        wait_for(lambda: gate.runs == ["hello"], what="the request reached the service")

        with entrypoint_waiter(container, "shout", timeout=REPLY_GIVE_UP):
            broker_proxy.cut()
            gate.released.send()
        assert container.started, "the container was killed by the failed reply"

        broker_proxy.restore()
        assert pending.result() == "HELLO"

    assert gate.runs == ["hello", "hello"]  # the unacked request ran again
    assert container.started
