"""Subscribing to another service's events: `@every_event_of(source)`.

One queue per consumer and source takes *every* event (routing key `#`): binding per
type would leave holes in each stream's versions, which the inbox waits for forever.
A message must be readable and keep the source's contract (yinfa.messaging.contract), or
it is dead-lettered with the reason, byte for byte (nameko's own would ack it, lost).

The method is handed a list of payloads: the checked events of the messages delivered in
the last few milliseconds (whole messages; a batch message taken apart, a bad event
dead-lettered alone), at most `INBOX_BATCH_EVENTS`, one batch at a time per queue and
process. A message is acked once all its events are done; if the worker raises, its
messages are requeued except those `BatchRetry.finished` names. Details:
benchmarks/README.md, "In batches".
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import amqp.exceptions
import kombu.exceptions
from nameko.events import EventHandler
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import QueueConsumer

from yinfa import failpoints
from yinfa.messaging.contract import MessageContract
from yinfa.messaging.dead_letters import DeadLetters, note_delivery

log = logging.getLogger(__name__)

CONNECTION_LOST = (OSError, amqp.exceptions.AMQPError, kombu.exceptions.OperationalError)

MIN_BACKOFF, MAX_BACKOFF = 0.5, 10.0  # seconds, after batches that stopped
DEFAULT_PREFETCH = 500  # unacked messages per queue
DEFAULT_BATCH_EVENTS = 1000  # events handed to one worker
FLUSH_SECONDS = 0.01


class DeadLetteringQueueConsumer(QueueConsumer):
    """nameko's queue consumer for event subscriptions, with a dead-letter queue."""

    @property
    def prefetch_count(self) -> int:
        """More messages in flight than nameko's worker count, to fill batches."""
        return int(self.container.config.get("INBOX_PREFETCH", DEFAULT_PREFETCH))

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


class EveryEventHandler(EventHandler):
    """Hands its worker the checked events of the last few milliseconds as one list."""

    queue_consumer = DeadLetteringQueueConsumer()

    def setup(self) -> None:
        super().setup()
        self.contract = MessageContract.of(self.source_service)
        self.cap = int(self.container.config.get("INBOX_BATCH_EVENTS", DEFAULT_BATCH_EVENTS))
        self._waiting: list[tuple[Any, Any]] = []  # (payload, message), a message's together
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._running = False
        self._loop_thread: Any = None
        self._backoff = 0.0  # seconds before the next batch, after one that stopped

    def start(self) -> None:
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
        if failpoints.once("consumer.drop_one"):  # a message lost on the way, on purpose
            self.queue_consumer.ack_message(message)
            return
        items = [(payload, message) for payload in self.checked_events(body, message)]
        if not items:
            return
        with self._lock:
            self._waiting.extend(items)
            if len(self._waiting) >= min(self.cap, self.queue_consumer.prefetch_count):
                self._wake.set()

    def checked_events(self, body: Any, message: Any) -> list[Any]:
        """The events of a message that keep the contract (a body that is not a list is
        one event), the others dead-lettered alone; [] when nothing is left to do (the
        message is settled here)."""
        problem = self.contract.problem(body, body_size(message.body))  # its size
        if problem is not None or body == []:
            self.queue_consumer.set_aside(message, problem or "an empty batch of events",
                                          self.queue.name)
            return []
        if not isinstance(body, list):
            return [body]
        kept = []
        try:
            for payload in body:
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

    def _loop(self) -> None:
        while self._running or self._waiting:
            if self._backoff and self._running:  # the last batch stopped: store or broker
                time.sleep(self._backoff)  # down, so wait before trying again, not spin
            self._wake.wait(FLUSH_SECONDS)
            self._wake.clear()
            batch = self._next_batch()
            if batch:
                settled = threading.Event()
                self._spawn(batch, settled)
                settled.wait()  # one batch in flight

    def _next_batch(self) -> list[tuple[Any, Any]]:
        """Whole messages from the front, up to `cap` events (at least one message)."""
        with self._lock:
            end = len(self._waiting)
            if end > self.cap:
                end = self.cap
                first = self._waiting[0][1]
                while end > 0 and self._waiting[end][1] is self._waiting[end - 1][1]:
                    end -= 1  # not in the middle of a message
                if end == 0:  # a message holding more than the cap: alone
                    end = next((k for k, (_, message) in enumerate(self._waiting)
                                if message is not first), len(self._waiting))
            batch, self._waiting = self._waiting[:end], self._waiting[end:]
            if len(self._waiting) >= self.cap:
                self._wake.set()  # the next batch is full already
            return batch

    def _spawn(self, batch: list[tuple[Any, Any]], settled: threading.Event) -> None:
        messages = [message for _, message in batch]
        single = all(message is messages[0] for message in messages)
        context = self.unpack_message_headers(messages[0]) if single else {}
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
        stopped = exc_info is not None and self.requeue_on_error
        if stopped:
            finished = getattr(exc_info[1], "finished", ())
        # doubled after each batch that stopped, up to a limit; gone after one that did not
        self._backoff = min(max(2 * self._backoff, MIN_BACKOFF), MAX_BACKOFF) if stopped else 0.0
        self.queue_consumer.settle_messages(messages, finished)
        settled.set()
        return result, exc_info


def body_size(raw: bytes | str | None) -> int:
    """Bytes on the wire; py-amqp hands a UTF-8 body over already decoded to text."""
    if not raw:
        return 0
    if isinstance(raw, bytes):
        return len(raw)
    return len(raw) if raw.isascii() else len(raw.encode("utf-8", "surrogatepass"))


def every_event_of(source_service: str) -> Callable[[Callable[..., Any]], Any]:
    """Subscribe the method to every event of `source_service`; it takes a list of
    event payloads (yinfa.messaging.inbox handles one)."""
    return EveryEventHandler.decorator(source_service, "#", requeue_on_error=True)
