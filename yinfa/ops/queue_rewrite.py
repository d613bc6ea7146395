"""Rewriting the messages waiting in queues (a one-off migration's part on the broker):
each message is taken, its body rewritten, published again to the same queue with the
same headers (persistent, confirmed) and only then acknowledged. A crash in between
leaves a message twice, never none; consumers shrug off the duplicate by its event id.

Every message of a queue is taken before any is published again, and all of them are
published again in the order taken (changed or not), so the queue keeps its order. Run
it with the services stopped, so that nothing else takes or adds messages meanwhile.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import amqp.exceptions
import kombu

Rewrite = Callable[[bytes], bytes]


def rewrite_queues(amqp_uri: str, queues: Iterable[str], rewrite: Rewrite) -> dict[str, int]:
    """queue -> messages rewritten (those the rewrite changed)."""
    changed: dict[str, int] = {}
    with kombu.Connection(amqp_uri, connect_timeout=10,
                          transport_options={"confirm_publish": True}) as connection:
        for name in queues:
            changed[name] = _rewrite_one(connection, name, rewrite)
    return changed


def _rewrite_one(connection: Any, name: str, rewrite: Rewrite) -> int:
    channel = connection.channel()
    try:
        queue = kombu.Queue(name, no_declare=True)(channel)
        try:
            waiting = queue.queue_declare(passive=True).message_count
        except amqp.exceptions.ChannelError:
            return 0  # another connection's exclusive queue (RPC replies), or gone
        taken = []
        for _ in range(waiting):
            message = queue.get(no_ack=False, accept=None)
            if message is None:
                break
            taken.append(message)
        producer = kombu.Producer(channel)
        rewritten = 0
        for message in taken:
            body = rewrite(message.body)
            rewritten += body != message.body
            producer.publish(body, exchange="", routing_key=name,
                             headers=dict(message.headers or {}), delivery_mode=2,
                             content_type=message.content_type,
                             content_encoding=message.content_encoding or "utf-8",
                             retry=True)
            message.ack()
        return rewritten
    finally:
        try:
            channel.close()  # anything not acknowledged goes back to the queue
        except amqp.exceptions.AMQPError:
            pass  # closed by the broker already
