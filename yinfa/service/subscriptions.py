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

`every_event_of(source, batched=True)` hands the method a list of payloads instead of one:
the messages delivered in the last few milliseconds (up to `INBOX_PREFETCH`, default
500, in flight), in one worker, acked after it returns. The queue and its binding are the
same as unbatched. If the worker raises, its messages are requeued, except those the
exception names as finished (`BatchRetry.finished`). One batch at a time per queue and
process, so a stream's events meet in one batch rather than racing in several.
`INBOX_BATCH: 0` in the container config turns it off: a worker per message, with a list
of one.

A message may carry many events (the relay's batch messages: a JSON array of envelopes).
Each is checked against the contract on its own; one that fails is dead-lettered alone,
as a message of its own, and the others go on. Their message is acked once every one of
its events is done, and requeued whole otherwise (what was applied comes back as
duplicates, which consumers skip). Unbatched, each event of the message gets a worker.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import amqp.exceptions
import kombu.exceptions
from nameko.events import EventHandler
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import QueueConsumer

from yinfa.messaging.contract import MessageContract
from yinfa.messaging.dead_letters import DeadLetters, note_delivery

log = logging.getLogger(__name__)

CONNECTION_LOST = (OSError, amqp.exceptions.AMQPError, kombu.exceptions.OperationalError)

DEFAULT_PREFETCH = 500  # unacked messages per queue: the most a batch can hold
FLUSH_SECONDS = 0.01


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

    def set_aside_event(self, payload: Any, reason: str, queue: str | None) -> None:
        """Dead-letter one event of a batch message, alone (confirmed); raises if the
        dead-letter queue cannot be reached."""
        log.warning("an event on %s dead-lettered: %s", queue or "an event queue", reason)
        note_delivery(queue)
        try:
            self.dead_letters.send(payload, reason, self.container.service_name)
        finally:
            note_delivery(None)

    def settle_messages(self, messages: list[Any], finished: Any) -> None:
        """`messages[i]` carried the i-th item handed on; ack each distinct message whose
        items are all `finished`, requeue the others (whole)."""
        done: dict[int, bool] = {}
        distinct: dict[int, Any] = {}
        for index, message in enumerate(messages):
            key = id(message)
            distinct[key] = message
            done[key] = done.get(key, True) and index in finished
        for key, message in distinct.items():
            try:
                if done[key]:
                    self.ack_message(message)
                else:
                    self.requeue_message(message)
            except CONNECTION_LOST as error:
                # the broker is gone: it hands every unsettled message of the lost
                # connection out again, and the inboxes apply none twice; raising here
                # would stop the whole service
                log.warning("could not settle a message, the broker connection is gone "
                            "(it comes again): %s", error)


class CheckedEventHandler(EventHandler):
    """An event handler that hands its worker only messages keeping the source's contract."""

    queue_consumer = DeadLetteringQueueConsumer()

    def setup(self) -> None:
        super().setup()
        self.contract = MessageContract.of(self.source_service)

    def handle_message(self, body: Any, message: Any) -> None:
        if isinstance(body, list):
            payloads = self.checked_events(body, message)
            if payloads:
                self._spawn_each(payloads, message)
            return
        problem = self.contract.problem(body, body_size(message.body))
        if problem is None:
            super().handle_message(body, message)
        else:
            self.queue_consumer.set_aside(message, problem, self.queue.name)

    def checked_events(self, events: list[Any], message: Any) -> list[Any]:
        """The events of a batch message that keep the contract, the others dead-lettered
        alone; [] when nothing is left to do (the message is settled here)."""
        problem = self.contract.problem(events, body_size(message.body))  # its size
        if problem is not None or not events:
            self.queue_consumer.set_aside(message, problem or "an empty batch of events",
                                          self.queue.name)
            return []
        kept = []
        try:
            for payload in events:
                problem = self.contract.problem(payload, 0)
                if problem is None:
                    kept.append(payload)
                else:
                    self.queue_consumer.set_aside_event(payload, problem, self.queue.name)
        except Exception:
            log.exception("could not dead-letter an event of a batch; the message is requeued")
            self.queue_consumer.requeue_message(message)
            return []
        if not kept:
            self.queue_consumer.ack_message(message)
        return kept

    def _spawn_each(self, payloads: list[Any], message: Any,
                    as_args: Callable[[Any], tuple[Any, ...]] = lambda p: (p,)) -> None:
        """A worker per event of a batch message (`as_args`: the method's arguments for
        one); the message is settled when the last one is done."""
        outcomes: list[bool] = []

        def settle(worker_ctx: Any, result: Any = None, exc_info: Any = None
                   ) -> tuple[Any, Any]:
            outcomes.append(exc_info is None or not self.requeue_on_error)  # as nameko
            if len(outcomes) == len(payloads):
                if all(outcomes):
                    self.queue_consumer.ack_message(message)
                else:
                    self.queue_consumer.requeue_message(message)
            return result, exc_info

        for payload in payloads:
            try:
                self.container.spawn_worker(self, as_args(payload), {}, context_data={},
                                            handle_result=settle)
            except ContainerBeingKilled:
                outcomes.append(False)
                if len(outcomes) == len(payloads):
                    self.queue_consumer.requeue_message(message)


def body_size(raw: bytes | str | None) -> int:
    """Bytes on the wire; py-amqp hands a UTF-8 body over already decoded to text."""
    if not raw:
        return 0
    if isinstance(raw, bytes):
        return len(raw)
    return len(raw) if raw.isascii() else len(raw.encode("utf-8", "surrogatepass"))


def switched_on(config: Mapping[str, Any], key: str) -> bool:
    return str(config.get(key, "1")).lower() not in ("0", "false", "off")


class BatchQueueConsumer(DeadLetteringQueueConsumer):
    """Lets more messages in flight than nameko's worker count, to fill batches."""

    switch, prefetch_key = "INBOX_BATCH", "INBOX_PREFETCH"

    @property
    def prefetch_count(self) -> int:
        if not switched_on(self.container.config, self.switch):
            return int(super().prefetch_count)
        return int(self.container.config.get(self.prefetch_key, DEFAULT_PREFETCH))


class BatchedEventHandler(CheckedEventHandler):
    """Hands its worker the checked messages of the last few milliseconds as one list."""

    queue_consumer = BatchQueueConsumer()

    def setup(self) -> None:
        super().setup()
        self.batching = switched_on(self.container.config, BatchQueueConsumer.switch)
        self._waiting: list[tuple[Any, Any]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._running = False
        self._loop_thread: Any = None

    def start(self) -> None:
        if self.batching:
            self._running = True
            self._loop_thread = self.container.spawn_managed_thread(
                self._loop, identifier=f"batches of {self.queue.name}")

    def stop(self) -> None:
        super().stop()  # no more deliveries; then the waiting ones go out
        self._running = False
        self._wake.set()
        if self._loop_thread is not None:
            self._loop_thread.wait()

    def handle_message(self, body: Any, message: Any) -> None:
        if isinstance(body, list) and not self.batching:  # a list of one to each worker
            payloads = self.checked_events(body, message)
            if payloads:
                self._spawn_each(payloads, message, as_args=lambda p: ([p],))
            return
        if isinstance(body, list):  # a batch message: its checked events, together
            items = [(payload, message) for payload in self.checked_events(body, message)]
        else:
            problem = self.contract.problem(body, body_size(message.body))
            if problem is not None:
                self.queue_consumer.set_aside(message, problem, self.queue.name)
                return
            items = [(body, message)]
        if not items:
            return
        if not self.batching:
            self._spawn(items, threading.Event())
            return
        with self._lock:
            self._waiting.extend(items)
            if len(self._waiting) >= self.queue_consumer.prefetch_count:
                self._wake.set()

    def _loop(self) -> None:
        while self._running or self._waiting:
            self._wake.wait(FLUSH_SECONDS)
            self._wake.clear()
            with self._lock:
                batch, self._waiting = self._waiting, []
            if batch:
                settled = threading.Event()
                self._spawn(batch, settled)
                settled.wait()  # one batch in flight

    def _spawn(self, batch: list[tuple[Any, Any]], settled: threading.Event) -> None:
        messages = [message for _, message in batch]
        context = self.unpack_message_headers(messages[0]) if len(batch) == 1 else {}
        try:
            self.container.spawn_worker(
                self, ([body for body, _ in batch],), {}, context_data=context,
                handle_result=partial(self._settle, messages, settled))
        except ContainerBeingKilled:
            self.queue_consumer.settle_messages(messages, ())
            settled.set()

    def _settle(self, messages: list[Any], settled: threading.Event, worker_ctx: Any,
                result: Any = None, exc_info: Any = None) -> tuple[Any, Any]:
        """Ack what the worker finished; the rest goes back to the queue."""
        finished: Any = range(len(messages))
        if exc_info is not None and self.requeue_on_error:
            finished = getattr(exc_info[1], "finished", ())
        self.queue_consumer.settle_messages(messages, finished)
        settled.set()
        return result, exc_info


def every_event_of(source_service: str, batched: bool = False
                   ) -> Callable[[Callable[..., Any]], Any]:
    """Subscribe the method to every event of `source_service`; with `batched`, the
    method takes a list of payloads."""
    handler = BatchedEventHandler if batched else CheckedEventHandler
    return handler.decorator(source_service, "#", requeue_on_error=True)
