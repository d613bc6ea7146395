"""The outbox relay: publishes a service's stored events to RabbitMQ.

The event store is the outbox. The relay reads events after its checkpoint, publishes
them persistent to `<service>.events`, one event a message (routing key = its type) or,
when more are pending, up to EVENTS_PER_MESSAGE and MAX_BATCH_BYTES of them as one batch
message (a JSON array, routing key `batch`, header `yinfa.events`); it waits for the
broker's pipelined confirms of the whole batch, and only then moves the checkpoint. A
crash repeats at most the unconfirmed batch; consumers dedupe by event_id. A lease lets
one relay per database publish, in position order.

Before each batch it declares every consumer's queue (services.toml `consumers`) and
publishes `mandatory`: a message returned unroutable keeps the checkpoint back and the
relay tries again after a growing, jittered pause. Details and measurements:
benchmarks/README.md, "Publishing: the outbox relay".
"""
from __future__ import annotations

import json
import logging
import random
import time
import uuid
from collections.abc import Sequence
from typing import Any

import amqp
import kombu
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from yinfa import failpoints
from yinfa.catalog import SERVICES
from yinfa.events.envelope import RecordedEvent
from yinfa.ops import metrics
from yinfa.store.event_store import EventStore

log = logging.getLogger(__name__)

CONFIRM_TIMEOUT = 30.0
EVENTS_PER_MESSAGE = 100
MAX_BATCH_BYTES = 1024 * 1024  # well under the consumers' limit (contract.MAX_MESSAGE_BYTES)
BATCH_ROUTING_KEY = "batch"
UNROUTABLE_PAUSE = (0.5, 30.0)  # seconds: the first and the longest pause before a retry


class PublishNotConfirmed(RuntimeError):
    pass


class Unroutable(PublishNotConfirmed):
    """The broker returned messages of the batch: no queue was bound to take them."""

    def __init__(self, count: int, exchange: str) -> None:
        super().__init__(f"{count} messages returned unroutable by {exchange}")
        self.count = count


def consumer_queues(source: str) -> list[str]:
    """The queue nameko's EventHandler declares for each consumer's `every_event_of(source)`
    (routing key `#`), for the consumers the catalog names."""
    service = SERVICES.get(source)
    return [f"evt-{source}-#--{consumer}" for consumer in (service.consumers if service else ())]


def pause_after(stalls: int) -> float:
    """Doubling from the first pause up to the longest, jittered so relays spread out."""
    first, longest = UNROUTABLE_PAUSE
    return min(longest, first * 2 ** min(stalls - 1, 16)) * random.uniform(0.5, 1.0)


class ConfirmingPublisher:
    """A raw AMQP channel in confirm mode that publishes batches and waits for all acks."""

    def __init__(self, amqp_uri: str, exchange: str, queues: Sequence[str] = (),
                 mandatory: bool = False) -> None:
        self.exchange = exchange
        self.queues = list(queues)  # the consumers' queues, declared before every batch
        self.mandatory = mandatory  # a message no queue takes comes back (Unroutable)
        self._connection = kombu.Connection(amqp_uri, connect_timeout=10)
        self._connection.connect()
        raw: amqp.Connection = self._connection.connection
        self._raw = raw
        self._channel = raw.channel()
        # declared exactly as nameko's event dispatcher declares it, so both agree
        self._channel.exchange_declare(exchange, "topic", durable=True, auto_delete=False)
        self._channel.confirm_select()
        self._next_tag = 1
        self._unconfirmed: set[int] = set()
        self._nacked: set[int] = set()
        self._channel.events["basic_ack"].add(self._on_ack)
        self._channel.events["basic_nack"].add(self._on_nack)
        self.returned = 0  # the broker returns an unroutable message before acking it
        self._channel.events["basic_return"].add(self._on_return)

    def publish_batch(self, events: list[RecordedEvent]) -> None:
        for queue in self.queues:  # as nameko declares it; nowait: handled before the publishes
            self._channel.queue_declare(queue, durable=True, auto_delete=False, nowait=True)
            self._channel.queue_bind(queue, self.exchange, "#", nowait=True)
        for message, routing_key in self.messages(events):
            self._channel.basic_publish(message, self.exchange, routing_key,
                                        mandatory=self.mandatory)
            self._unconfirmed.add(self._next_tag)
            self._next_tag += 1
        deadline = time.monotonic() + CONFIRM_TIMEOUT
        while self._unconfirmed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PublishNotConfirmed(f"{len(self._unconfirmed)} messages not confirmed")
            self._raw.drain_events(timeout=remaining)
        if self._nacked:
            count, self._nacked = len(self._nacked), set()
            raise PublishNotConfirmed(f"broker refused {count} messages")
        if self.returned:
            count, self.returned = self.returned, 0
            raise Unroutable(count, self.exchange)

    def messages(self, events: list[RecordedEvent]) -> list[tuple[amqp.Message, str]]:
        """The messages carrying `events`, with their routing keys (another exchange may
        shape its messages otherwise: the partners' feed)."""
        return messages_for(events)

    def _settle(self, tag: int, multiple: bool) -> set[int]:
        settled = {t for t in self._unconfirmed if t <= tag} if multiple else {tag}
        self._unconfirmed -= settled
        return settled

    def _on_ack(self, tag: int, multiple: bool) -> None:
        self._settle(tag, multiple)

    def _on_nack(self, tag: int, multiple: bool) -> None:
        self._nacked |= self._settle(tag, multiple)

    def _on_return(self, *returned: Any) -> None:
        self.returned += 1

    def close(self) -> None:
        try:
            self._connection.release()
        except Exception:  # closing a broken connection must not mask the original error
            log.debug("relay connection close failed", exc_info=True)


def messages_for(events: list[RecordedEvent]) -> list[tuple[amqp.Message, str]]:
    """The messages carrying `events` in order, with their routing keys: runs of up to
    EVENTS_PER_MESSAGE events and MAX_BATCH_BYTES; a run of one is a message of its own."""
    runs: list[list[tuple[RecordedEvent, str]]] = []
    size = 0
    for event in events:
        body = json.dumps(event.to_message(), ensure_ascii=False)
        if not runs or len(runs[-1]) >= EVENTS_PER_MESSAGE or size + len(body) > MAX_BATCH_BYTES:
            runs.append([])
            size = 0
        runs[-1].append((event, body))
        size += len(body) + 1
    return [(_single(*run[0]), run[0][0].type) if len(run) == 1
            else (_batch_message([body for _, body in run]), BATCH_ROUTING_KEY)
            for run in runs]


def _batch_message(bodies: list[str]) -> amqp.Message:
    return amqp.Message(
        "[" + ",".join(bodies) + "]",
        content_type="application/json",
        content_encoding="utf-8",
        delivery_mode=2,
        application_headers={"yinfa.events": len(bodies)},
    )


def _single(event: RecordedEvent, body: str) -> amqp.Message:
    return amqp.Message(
        body,
        content_type="application/json",
        content_encoding="utf-8",
        delivery_mode=2,
        message_id=event.event_id,
        application_headers={
            "nameko.correlation_id": event.correlation_id,
            "yinfa.stream_id": event.stream_id,
            "yinfa.position": event.position,
        },
    )


class OutboxRelay:
    def __init__(
        self,
        store: EventStore,
        amqp_uri: str,
        service_name: str,
        batch_size: int = 500,
        lease_seconds: float = 15.0,
        queues: Sequence[str] | None = None,  # the consumers' queues; default: the catalog's
        gather_seconds: float = 0.0,
    ) -> None:
        self.store = store
        self.db: Database = store.db
        self.amqp_uri = amqp_uri
        self.service_name = service_name
        self.exchange = f"{service_name}.events"
        self.batch_size = batch_size
        # While commands keep coming, the relay pauses this long after a batch that was
        # not full: more events share the next read, message, confirm and checkpoint,
        # and every consumer gets them in one delivery.
        self.gather_seconds = gather_seconds
        self.lease_seconds = lease_seconds
        self.owner = str(uuid.uuid4())
        self.queues = consumer_queues(service_name) if queues is None else list(queues)
        self.mandatory = bool(self.queues)  # no consumer, no need of a queue: never stalls
        self._publisher: ConfirmingPublisher | None = None
        self.unroutable = 0  # messages returned since a batch last got through
        self._stalls, self._retry_at = 0, 0.0  # monotonic
        # While the lease is surely ours (renewed less than a third of its term ago), the
        # relay neither asks the store for it nor re-reads its checkpoint, which it moves
        # by compare-and-set: an event leaving right after a command waits for one store
        # round trip, not five. Each real renewal re-reads the checkpoint, and a
        # compare-and-set that finds it moved (another relay, an operator replaying)
        # drops what this relay remembered.
        self._trusted_until = 0.0  # monotonic
        self._position: int | None = None  # the checkpoint as this holder last saw it

    # ---- checkpoint and lease (in the service's own database) -----------------

    def checkpoint(self) -> int:
        doc = self.db["relay_checkpoints"].find_one({"_id": self.exchange})
        return 0 if doc is None else int(doc["position"])

    def _move_checkpoint(self, seen: int, position: int) -> bool:
        """From the position this relay read (or last wrote) to a later one; False if it
        is not there any more. Never backwards: a relay that lost its lease, or one an
        operator moved the checkpoint back under, cannot overwrite the newer choice."""
        checkpoints = self.db["relay_checkpoints"]
        moved = checkpoints.update_one({"_id": self.exchange, "position": seen},
                                       {"$set": {"position": position}})
        if moved.matched_count:
            return True
        if seen:
            return False
        try:  # the first checkpoint (or one an operator deleted)
            checkpoints.insert_one({"_id": self.exchange, "position": position})
            return True
        except DuplicateKeyError:
            return False

    def hold_lease(self) -> bool:
        """Take or renew the lease; False while another live relay holds it."""
        if time.monotonic() < self._trusted_until:
            return True
        leases = self.db["relay_leases"]
        now = time.time()
        try:
            leases.insert_one({"_id": self.exchange, "owner": self.owner, "until": now})
        except DuplicateKeyError:
            pass
        taken = leases.find_one_and_update(
            {"_id": self.exchange, "$or": [{"owner": self.owner}, {"until": {"$lt": now}}]},
            {"$set": {"owner": self.owner, "until": now + self.lease_seconds}},
        )
        self._position = None  # read again from the store at the next publish
        if taken is None:
            self._trusted_until = 0.0
            return False
        self._trusted_until = time.monotonic() + self.lease_seconds / 3
        return True

    def release_lease(self) -> None:
        self._trusted_until, self._position = 0.0, None
        self.db["relay_leases"].update_one(
            {"_id": self.exchange, "owner": self.owner}, {"$set": {"until": 0}}
        )

    # ---- publishing ------------------------------------------------------------

    def publish_pending(self, max_events: int | None = None) -> int:
        """Publish everything after the checkpoint (up to max_events); return how many."""
        published = 0
        position = self._position if self._position is not None else self.checkpoint()
        self._position = None  # known again once this relay has moved it
        while max_events is None or published < max_events:
            if published and not self.hold_lease():  # renew per batch; stop if lost
                break
            batch = self.store.read_all(position, self.batch_size)
            if not batch:
                self._position = position
                break
            try:
                self._publisher_for().publish_batch(batch)
            except Unroutable as error:
                self._stall(error, position)
                break
            self.unroutable = self._stalls = 0
            metrics.events_published(self.service_name, len(batch))
            failpoints.hit("relay.after_confirm")
            published += len(batch)
            if not self._move_checkpoint(position, batch[-1].position):
                break  # moved under us: the next run starts from where it is now
            position = self._position = batch[-1].position
            if len(batch) < self.batch_size and self.gather_seconds:
                time.sleep(self.gather_seconds)
        return published

    def _stall(self, error: Unroutable, position: int) -> None:
        """The checkpoint stays before the batch; publish it again after a pause."""
        self.unroutable += error.count
        self._stalls += 1
        pause = pause_after(self._stalls)
        self._retry_at = time.monotonic() + pause
        log.warning("%s: no queue bound, %d messages returned; the relay stays at position %d "
                    "and tries again in %.1f s", self.exchange, self.unroutable, position, pause)

    def _publisher_for(self) -> ConfirmingPublisher:
        if self._publisher is None:
            self._publisher = ConfirmingPublisher(self.amqp_uri, self.exchange, self.queues,
                                                  self.mandatory)
        return self._publisher

    def reset_connection(self) -> None:
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None

    def run_once(self) -> int:
        """One relay step for a loop: publish if this instance holds the lease."""
        if time.monotonic() < self._retry_at or not self.hold_lease():
            return 0
        try:
            return self.publish_pending(max_events=self.batch_size * 20)
        except Exception:
            self.reset_connection()
            raise

    def lag(self) -> dict[str, Any]:
        head = self.store.head_position()
        done = self.checkpoint()
        lag = {"head": head, "published": done, "pending": head - done}
        if self.unroutable:  # stalled: no queue takes this exchange's messages
            lag["unroutable"] = self.unroutable
        return lag
