"""The dead-letter queue: where a consumer puts a message it cannot process, with the reason.

Each consumer has a durable queue `dlq.<consumer>` bound to the direct exchange
`yinfa.dead-letters`. Messages are published persistent and confirmed before the
original message is acked, so a poison message is set aside, never lost.

Headers: `x-reason`, `x-consumer`, `x-dead-lettered-at`, and `x-original-queue` when the
message came from a queue (see `note_delivery`), so `yinfa dlq retry` can send it back
to exactly the queue it came from.

Before an event is dead-lettered for a failed apply, it is tried again later: `delay`
puts a copy in a delay queue `retry.<queue>.<attempt>` (through the direct exchange
`yinfa.retries`) whose messages expire after that attempt's wait and then go back,
dead-lettered by the broker, to the queue the event came from.
"""
from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import kombu
from eventlet.corolocal import local

from yinfa.ops import metrics

EXCHANGE = kombu.Exchange("yinfa.dead-letters", type="direct", durable=True)
RETRIES = kombu.Exchange("yinfa.retries", type="direct", durable=True)


def dead_letter_queue(consumer: str) -> kombu.Queue:
    return kombu.Queue(f"dlq.{consumer}", EXCHANGE, routing_key=consumer, durable=True)


# Per green thread (and per OS thread without eventlet): one worker's delivery.
_delivery = local()


def note_delivery(queue: str | None) -> None:
    """Remember the queue the current worker's message came from (None: forget)."""
    _delivery.queue = queue


def delivered_from() -> str | None:
    return getattr(_delivery, "queue", None)


def delay_queue(queue: str, attempt: int, seconds: float) -> kombu.Queue:
    """Where an event waits before its `attempt`-th try: expired, it goes back to `queue`."""
    name = f"retry.{queue}.{attempt}"
    return kombu.Queue(name, RETRIES, routing_key=name, durable=True, queue_arguments={
        "x-message-ttl": int(seconds * 1000), "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": queue})


class DeadLetters:
    def __init__(self, amqp_uri: str) -> None:
        self.amqp_uri = amqp_uri
        self._connection: kombu.Connection | None = None
        self._declared: set[str] = set()
        self._lock = threading.Lock()

    def send(self, payload: Any, reason: str, consumer: str,
             content_type: str | None = None, content_encoding: str | None = None) -> None:
        """`payload` is sent as JSON; with a `content_type`, it is the raw body of a message
        that could not be read, set aside byte for byte as it came."""
        as_it_came = ({"content_type": content_type, "content_encoding": content_encoding
                       or "binary"} if content_type else {"serializer": "json"})
        with self._lock:
            connection = self._connect()
            producer = kombu.Producer(connection.default_channel)
            queue = dead_letter_queue(consumer)
            headers = {
                "x-reason": reason[:1000],
                "x-consumer": consumer,
                "x-dead-lettered-at": datetime.now(UTC).isoformat(),
            }
            original_queue = delivered_from()
            if original_queue:
                headers["x-original-queue"] = original_queue
            producer.publish(
                payload,
                exchange=EXCHANGE,
                routing_key=consumer,
                delivery_mode=2,
                declare=[queue] if consumer not in self._declared else [],
                retry=True,
                headers=headers,
                **as_it_came,
            )
            self._declared.add(consumer)
        metrics.event_dead_lettered(consumer)

    def delay(self, payload: Any, queue: str, attempt: int, seconds: float) -> None:
        """A copy of an event, back on `queue` after `seconds` (confirmed before the
        delivery it came in is acked)."""
        waiting = delay_queue(queue, attempt, seconds)
        with self._lock:
            producer = kombu.Producer(self._connect().default_channel)
            producer.publish(payload, exchange=RETRIES, routing_key=waiting.name,
                             delivery_mode=2, declare=[waiting], retry=True,
                             serializer="json", headers={"x-attempt": attempt})

    def _connect(self) -> kombu.Connection:
        if self._connection is None:
            self._connection = kombu.Connection(
                self.amqp_uri, transport_options={"confirm_publish": True}
            )
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.release()
            self._connection = None
