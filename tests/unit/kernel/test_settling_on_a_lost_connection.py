"""Settling messages when the broker connection has just gone (a broker restart): the
service keeps running, and the broker hands the unsettled messages out again."""
from __future__ import annotations

from types import SimpleNamespace

from yinfa.service.subscriptions import DeadLetteringQueueConsumer


class Message:
    def __init__(self, fails: bool) -> None:
        self.channel = SimpleNamespace(connection=object())
        self.fails, self.settled = fails, []

    def ack(self) -> None:
        if self.fails:
            raise ConnectionResetError(104, "Connection reset by peer")
        self.settled.append("ack")

    def requeue(self) -> None:
        self.settled.append("requeue")


def test_a_reset_connection_while_acking_does_not_stop_the_service():
    consumer = DeadLetteringQueueConsumer()
    broken, fine, unfinished = Message(fails=True), Message(fails=False), Message(False)

    consumer.settle_messages([broken, fine, unfinished], finished={0, 1})

    assert fine.settled == ["ack"] and unfinished.settled == ["requeue"]
