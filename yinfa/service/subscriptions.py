"""Subscribing to another service's events.

A consumer takes *every* event of a source service through one queue (routing key `#`)
and ignores the types it does not need. Binding per type would leave holes in each
stream's versions (the types not subscribed), and the inbox, which applies a stream's
versions strictly in order, would wait for them forever. One queue also keeps the
source's publish order across types.

Before a worker sees a message, it must be readable and keep the source's contract
(yinfa.messaging.contract); one that is not is dead-lettered with the reason, byte for
byte as it came. nameko's own consumer would log a body it cannot decode (not JSON, or
another content type) and ack it: the message would be gone without a trace.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from nameko.events import EventHandler
from nameko.messaging import QueueConsumer

from yinfa.messaging.contract import MessageContract
from yinfa.messaging.dead_letters import DeadLetters, note_delivery

log = logging.getLogger(__name__)


class DeadLetteringQueueConsumer(QueueConsumer):
    """nameko's queue consumer for event subscriptions, with a dead-letter queue."""

    def setup(self) -> None:
        super().setup()
        self.dead_letters = DeadLetters(self.amqp_uri)

    def stop(self) -> None:
        super().stop()
        self.dead_letters.close()

    def on_decode_error(self, message: Any, exc: Exception) -> None:
        """kombu could not turn the body into a payload (called in the consumer's loop)."""
        reason = (f"cannot read the body as {message.content_type!r} "
                  f"(JSON is accepted): {exc!r}")
        self.set_aside(message, reason)

    def set_aside(self, message: Any, reason: str, queue: str | None = None) -> None:
        """Dead-letter the message as it came (confirmed), then ack it. If the dead-letter
        queue cannot be reached, the message goes back to its queue to be tried again."""
        log.warning("message on %s dead-lettered: %s", queue or "an event queue", reason)
        note_delivery(queue)
        try:
            self.dead_letters.send(message.body, reason, self.container.service_name,
                                   content_type=message.content_type or "application/data",
                                   content_encoding=message.content_encoding)
        except Exception:
            log.exception("could not dead-letter a message; it is requeued")
            self.requeue_message(message)
            return
        finally:
            note_delivery(None)
        message.ack()


class CheckedEventHandler(EventHandler):
    """An event handler that hands its worker only messages keeping the source's contract."""

    queue_consumer = DeadLetteringQueueConsumer()

    def setup(self) -> None:
        super().setup()
        self.contract = MessageContract.of(self.source_service)

    def handle_message(self, body: Any, message: Any) -> None:
        problem = self.contract.problem(body, body_size(message.body))
        if problem is None:
            super().handle_message(body, message)
        else:
            self.queue_consumer.set_aside(message, problem, self.queue.name)


def body_size(raw: bytes | str | None) -> int:
    """Bytes on the wire; py-amqp hands a UTF-8 body over already decoded to text."""
    if not raw:
        return 0
    if isinstance(raw, bytes):
        return len(raw)
    return len(raw) if raw.isascii() else len(raw.encode("utf-8", "surrogatepass"))


def every_event_of(source_service: str) -> Callable[[Callable[..., Any]], Any]:
    return CheckedEventHandler.decorator(source_service, "#", requeue_on_error=True)
