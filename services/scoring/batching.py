"""Scoring's intake in batches: many messages, one journal write, then their acks.

nameko gives every message a worker of its own; for scoring, whose whole job per message
is "check it, keep it", that overhead and one store round trip per message would cap the
intake near a few hundred events per second. Here the subscriptions still declare their
queues as nameko's event handlers do (same names, same bindings, so scaling and status
see the usual queues), but a delivered message that passes the contract check is handed
to a batcher: every few milliseconds it checks the messages gathered so far, keeps the
accepted ones in one journal entry, dead-letters the poison, and only then acks them.
A store failure requeues the whole batch; what was kept twice is harmless to the fold.

`SCORING_BATCH: 0` in the container config turns batching off (one worker per message).
"""
from __future__ import annotations

import logging
import threading
from typing import Any

from nameko.extensions import SharedExtension

from yinfa.messaging.inbox import TRANSIENT_ERRORS
from yinfa.service.subscriptions import (
    FLUSH_SECONDS,
    BatchQueueConsumer,
    CheckedEventHandler,
    body_size,
    switched_on,
)

log = logging.getLogger(__name__)


class IntakeQueueConsumer(BatchQueueConsumer):
    """Scoring's own switch and prefetch: its batches span its three queues."""

    switch, prefetch_key = "SCORING_BATCH", "SCORING_PREFETCH"


def batching(config: dict[str, Any]) -> bool:
    return switched_on(config, IntakeQueueConsumer.switch)


class IntakeBatcher(SharedExtension):
    def setup(self) -> None:
        self._items: list[tuple[Any, Any, Any]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._running = False

    def start(self) -> None:
        self._running = True
        self.container.spawn_managed_thread(self._loop, identifier="scoring-intake")

    def stop(self) -> None:
        self._running = False
        self._wake.set()

    def kill(self) -> None:
        self.stop()

    def add(self, handler: Any, body: Any, message: Any) -> None:
        with self._lock:
            self._items.append((handler, body, message))

    def add_all(self, handler: Any, bodies: list[Any], message: Any) -> None:
        """The events of one message, into one batch (its ack waits for all of them)."""
        with self._lock:
            self._items.extend((handler, body, message) for body in bodies)

    def _loop(self) -> None:
        while self._running:
            self._wake.wait(FLUSH_SECONDS)
            with self._lock:
                items, self._items = self._items, []
            if items:
                self._flush(items)

    def _flush(self, items: list[tuple[Any, Any, Any]]) -> None:
        try:
            self._engine().take_batch([body for _, body, _ in items])
        except TRANSIENT_ERRORS as error:
            log.warning("a batch of %d events goes back to its queues: %r", len(items), error)
            self._settle(items, done=False)
            return
        except Exception:  # not the messages' fault (they were checked): try them again
            log.exception("a batch of %d events failed; requeued", len(items))
            self._settle(items, done=False)
            return
        self._settle(items, done=True)

    @staticmethod
    def _settle(items: list[tuple[Any, Any, Any]], done: bool) -> None:
        """Ack (or requeue) each message once, however many of its events were here (the
        handlers share one queue consumer, a shared extension)."""
        queue_consumer = items[0][0].queue_consumer
        queue_consumer.settle_messages([message for _, _, message in items],
                                       range(len(items)) if done else ())

    def _engine(self) -> Any:
        from services.scoring.engine import ScoringEngine

        for dependency in self.container.dependencies:
            if isinstance(dependency, ScoringEngine):
                return dependency.engine
        raise RuntimeError("scoring's engine is not among the container's dependencies")


class BatchedEventHandler(CheckedEventHandler):
    queue_consumer = IntakeQueueConsumer()
    batcher = IntakeBatcher()

    def handle_message(self, body: Any, message: Any) -> None:
        if not batching(self.container.config):
            super().handle_message(body, message)
            return
        if isinstance(body, list):  # a batch message: its checked events, together
            self.batcher.add_all(self, self.checked_events(body, message), message)
            return
        problem = self.contract.problem(body, body_size(message.body))
        if problem is not None:
            self.queue_consumer.set_aside(message, problem, self.queue.name)
            return
        self.batcher.add(self, body, message)


def every_event_of(source_service: str) -> Any:
    """Like yinfa's `every_event_of`, with the intake in batches."""
    return BatchedEventHandler.decorator(source_service, "#", requeue_on_error=True)
