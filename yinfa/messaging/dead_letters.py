"""The dead-letter queue: where a consumer puts a message it cannot process, with the reason.

Each consumer has a durable queue `dlq.<consumer>` bound to the direct exchange
`yinfa.dead-letters`. Messages are published persistent and confirmed before the
original message is acked, so a poison message is set aside, never lost.
"""
from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import kombu

EXCHANGE = kombu.Exchange("yinfa.dead-letters", type="direct", durable=True)


def dead_letter_queue(consumer: str) -> kombu.Queue:
    return kombu.Queue(f"dlq.{consumer}", EXCHANGE, routing_key=consumer, durable=True)


class DeadLetters:
    def __init__(self, amqp_uri: str) -> None:
        self.amqp_uri = amqp_uri
        self._connection: kombu.Connection | None = None
        self._declared: set[str] = set()
        self._lock = threading.Lock()

    def send(self, payload: dict[str, Any], reason: str, consumer: str) -> None:
        with self._lock:
            connection = self._connect()
            producer = kombu.Producer(connection.default_channel)
            queue = dead_letter_queue(consumer)
            producer.publish(
                payload,
                exchange=EXCHANGE,
                routing_key=consumer,
                serializer="json",
                delivery_mode=2,
                declare=[queue] if consumer not in self._declared else [],
                retry=True,
                headers={
                    "x-reason": reason[:1000],
                    "x-consumer": consumer,
                    "x-dead-lettered-at": datetime.now(UTC).isoformat(),
                },
            )
            self._declared.add(consumer)

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
