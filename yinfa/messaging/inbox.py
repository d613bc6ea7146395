"""Idempotent, ordered consumption of other services' events.

A consumer keeps, in its own database:
- `inbox_claims`: one document per event id it has taken (applying → done), so a
  redelivered event is recognised and skipped;
- `inbox_streams`: the last version applied per source stream, so a later version is
  never applied before an earlier one;
- `inbox_parked`: events that arrived ahead of their turn, applied once the gap closes
  (by the next message of that stream, or by a periodic `sweep`);
- `inbox_dead_letters`: the ids of events it dead-lettered after a failed apply. The
  stream moved on without them, so a later delivery of one (`yinfa dlq retry`) is not a
  duplicate: it is applied then, out of its stream's order, once.

A consumer whose whole state of a source stream is one document (a replica of facts
`$set` by the stream's events) can keep that document as the stream's cursor
(`CarriedByCursor`): the facts of an event travel in the cursor's conditional write,
which moves only forward. That one write is apply, claim and cursor at once, so such
streams take no claim and no write of their own (the layout's `cursors` collection holds
those documents).

A message is acked (the handler returns) only after the consumer's own write. A poison
message (bad envelope, or an apply that fails for a reason other than infrastructure)
goes to the dead-letter queue with the reason and the stream moves on; infrastructure
failures raise `RetryLater` so nameko requeues the message.
"""
from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, PyMongoError

from yinfa.errors import ConcurrencyError
from yinfa.events.envelope import RecordedEvent
from yinfa.messaging.dead_letters import DeadLetters
from yinfa.ops import metrics

log = logging.getLogger(__name__)

Apply = Callable[[RecordedEvent], None]

APPLIED, DUPLICATE, PARKED, DEAD_LETTERED = "applied", "duplicate", "parked", "dead-lettered"
SKIPPED, RETRIED = "skipped", "retried"

# Failures of the plumbing, not of the message: the message must come back later.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (PyMongoError, OSError, ConcurrencyError)


class RetryLater(Exception):
    """Raised to make nameko requeue the message (requeue_on_error=True)."""


@dataclass(frozen=True)
class CarriedByCursor:
    """Streams whose consumer state is their cursor document: `streams(stream_id)` says
    which, `fields(event)` the facts an event sets there (raising for a poison event)."""

    streams: Callable[[str], bool]
    fields: Callable[[RecordedEvent], Mapping[str, Any]]


@dataclass(frozen=True)
class InboxLayout:
    """Where an inbox keeps its cursors and parked events, and which streams' state
    rides on the cursor."""

    cursors: str = "inbox_streams"
    parked: str = "inbox_parked"
    carried: CarriedByCursor | None = None


PLAIN = InboxLayout()  # cursors and parked events in collections of their own


class Inbox:
    def __init__(
        self,
        db: Database,
        consumer: str,
        dead_letters: DeadLetters,
        lease_seconds: float = 30.0,
        layout: InboxLayout = PLAIN,
    ) -> None:
        self.db = db
        self.consumer = consumer
        self.dead_letters = dead_letters
        self.lease_seconds = lease_seconds
        self.carried = layout.carried
        self.claims = db["inbox_claims"]
        self.streams = db[layout.cursors]
        self.parked = db[layout.parked]
        self.dead_marks = db["inbox_dead_letters"]
        self.counts: Counter[str] = Counter()  # outcomes in this process, for health/metrics

    def ensure_indexes(self) -> None:
        self.parked.create_index([("stream_id", 1), ("version", 1)], name="stream_version")
        self.parked.create_index("stream_id", name="stream_id")  # see EventStore

    # ---- entry point -------------------------------------------------------------

    def handle(
        self,
        payload: Mapping[str, Any],
        apply: Apply,
        wanted: Callable[[str], bool] | None = None,
    ) -> str:
        """`wanted(type)` False: the event only moves its stream's cursor (no claim, no
        apply), the cheap path for the many types a consumer does not use."""
        try:
            event = RecordedEvent.from_message(payload)
        except (ValidationError, TypeError) as error:
            self._dead_letter_envelope(payload, error)
            self._count(DEAD_LETTERED)
            return DEAD_LETTERED
        try:
            if wanted is not None and not wanted(event.type):
                outcome = self._skip(event)
            else:
                outcome = self._in_order(event, apply)
            self.drain(event.stream_id, apply)
            self._count(outcome)
            return outcome
        except TRANSIENT_ERRORS as error:
            log.warning("event %s will be retried: %r", event.event_id, error)
            raise RetryLater(repr(error)) from error

    def handle_batch(
        self,
        payloads: Sequence[Any],
        apply: Apply,
        wanted: Callable[[str], bool] | None = None,
        flush: Callable[[], None] | None = None,
    ) -> list[str]:
        """`handle` for many deliveries at once (yinfa.messaging.inbox_batch): the outcome
        of each, in order. Raises `BatchRetry` naming the finished deliveries when others
        must come back later; one delivery alone takes `handle`'s path.

        With `flush`, `apply` may gather its writes (adding nothing for an event it
        refuses): `flush` makes them, once, before any stream's cursor moves past them."""
        from yinfa.messaging.inbox_batch import InboxBatch, written_at_once  # built on this

        if len(payloads) <= 1:
            apply_now = written_at_once(apply, flush)
            return [self.handle(payload, apply_now, wanted) for payload in payloads]
        return InboxBatch(self, apply, wanted, flush).handle(payloads)

    def _dead_letter_envelope(self, payload: Any, error: Exception) -> None:
        # any JSON value can arrive, not only objects: set it aside as it came
        original = dict(payload) if isinstance(payload, Mapping) else payload
        self.dead_letters.send(original, f"invalid envelope: {error}", self.consumer)

    def _count(self, outcome: str) -> None:
        self.counts[outcome] += 1
        metrics.event_consumed(self.consumer, outcome)

    def _in_order(self, event: RecordedEvent, apply: Apply) -> str:
        return self._when_its_turn(
            event,
            lambda: self._apply_once(event, apply),
            past=lambda: self._retry_dead_lettered(event, apply),
        )

    def _skip(self, event: RecordedEvent) -> str:
        def advance() -> str:
            self._advance(event.stream_id, event.version)
            return SKIPPED

        return self._when_its_turn(event, advance)

    def _when_its_turn(
        self, event: RecordedEvent, act: Callable[[], str], past: Callable[[], str] | None = None
    ) -> str:
        """Act on the version right after the stream's cursor; a past version is a
        duplicate (unless `past` says otherwise), a later one waits parked."""
        applied = self.applied_version(event.stream_id)
        if event.version <= applied:
            return past() if past is not None else DUPLICATE
        if event.version > applied + 1:
            self._park(event)
            return PARKED
        return act()

    # ---- exactly-once apply --------------------------------------------------------

    def carries(self, stream_id: str) -> bool:
        return self.carried is not None and self.carried.streams(stream_id)

    def carried_fields(self, event: RecordedEvent) -> Mapping[str, Any]:
        assert self.carried is not None
        return self.carried.fields(event)

    def _apply_once(self, event: RecordedEvent, apply: Apply) -> str:
        if self.carries(event.stream_id):
            return self._apply_carried(event)
        if not self._claim(event):
            return DUPLICATE
        outcome = APPLIED
        try:
            apply(event)
        except TRANSIENT_ERRORS:
            self.claims.delete_one({"_id": event.event_id, "state": "applying"})
            raise
        except Exception as error:  # a poison event: park it aside, keep the stream moving
            outcome = self._dead_letter(event, error)
        # no "done" mark: the stream cursor passing the event's version says so, and a
        # claim is only ever consulted for the version right after the cursor
        self._advance(event.stream_id, event.version)
        return outcome

    def _apply_carried(self, event: RecordedEvent) -> str:
        """Its facts and its version in one conditional write: a copy applied by another
        worker meanwhile finds the cursor at or past it and changes nothing."""
        fields = self.carried_facts(event)
        self._advance(event.stream_id, event.version, fields)
        return DEAD_LETTERED if fields is None else APPLIED

    def carried_facts(self, event: RecordedEvent) -> Mapping[str, Any] | None:
        """The facts a carried stream's event sets; None for a poison event, which is
        dead-lettered (its cursor passes it, its facts unset)."""
        try:
            return self.carried_fields(event)
        except Exception as error:
            self._dead_letter(event, error)
            return None

    # ---- dead-lettered events sent back -------------------------------------------

    def _dead_letter(self, event: RecordedEvent, error: Exception) -> str:
        log.error("event %s dead-lettered", event.event_id, exc_info=error)
        self._mark_dead(event)
        self.dead_letters.send(event.to_message(), f"apply failed: {error!r}", self.consumer)
        return DEAD_LETTERED

    def _mark_dead(self, event: RecordedEvent) -> None:
        try:
            self.dead_marks.insert_one({"_id": event.event_id, "stream_id": event.stream_id,
                                        "version": event.version})
        except DuplicateKeyError:
            pass  # marked by an earlier failed delivery

    def _retry_dead_lettered(self, event: RecordedEvent, apply: Apply) -> str:
        """A past version is a duplicate, unless this consumer dead-lettered it: then it
        comes back from the dead-letter queue and is applied now. Taking the mark away
        is atomic, so only one worker of all instances applies it."""
        if self.dead_marks.find_one_and_delete({"_id": event.event_id}) is None:
            return DUPLICATE
        if self.carries(event.stream_id):
            apply = self._set_carried  # out of order: its facts, the cursor stays
        try:
            apply(event)
        except TRANSIENT_ERRORS:
            self._mark_dead(event)  # the requeued delivery tries again
            raise
        except Exception as error:
            log.exception("event %s dead-lettered again", event.event_id)
            self._mark_dead(event)
            self.dead_letters.send(
                event.to_message(), f"apply failed again: {error!r}", self.consumer
            )
            return DEAD_LETTERED
        return RETRIED

    def _set_carried(self, event: RecordedEvent) -> None:
        self.streams.update_one({"_id": event.stream_id},
                                {"$set": dict(self.carried_fields(event))})

    def _claim(self, event: RecordedEvent) -> bool:
        """Take the event for this worker; False if it is done. Raises RetryLater while
        another live worker applies it."""
        event_id, now = event.event_id, time.time()
        try:
            self.claims.insert_one(self.claim_document(event, self.claim_deadline()))
            return True
        except DuplicateKeyError:
            pass
        taken_over = self.claims.find_one_and_update(
            {"_id": event_id, "state": "applying", "until": {"$lt": now}},
            {"$set": {"until": now + self.lease_seconds}},
        )
        if taken_over is not None:
            return True
        if self.applied_version(event.stream_id) >= event.version:
            return False  # applied meanwhile by the worker that held the claim
        raise RetryLater(f"event {event_id} is being applied by another worker")

    @staticmethod
    def claim_document(event: RecordedEvent, until: float) -> dict[str, Any]:
        # the stream and version say when the claim is no longer needed (prune_claims)
        return {"_id": event.event_id, "state": "applying", "until": until,
                "stream_id": event.stream_id, "version": event.version}

    def prune_claims(self, limit: int = 1000) -> int:
        """Delete claims that can never be consulted again: their lease is over and their
        stream's cursor has reached their version (a claim is only read for the version
        right after the cursor). Keeps `inbox_claims` as small as the work in flight."""
        now = time.time()
        expired = list(self.claims.find(
            {"until": {"$lt": now}, "stream_id": {"$exists": True}},
            {"stream_id": 1, "version": 1}).limit(limit))
        if not expired:
            return 0
        streams = sorted({claim["stream_id"] for claim in expired})
        cursors = {doc["_id"]: int(doc.get("version", 0))
                   for doc in self.streams.find({"_id": {"$in": streams}}, {"version": 1})}
        passed = [claim["_id"] for claim in expired
                  if cursors.get(claim["stream_id"], 0) >= claim["version"]]
        if passed:
            self.claims.delete_many({"_id": {"$in": passed}, "until": {"$lt": now}})
        return len(passed)

    # ---- per-stream order ------------------------------------------------------------

    def claim_deadline(self) -> float:
        return time.time() + self.lease_seconds

    def applied_version(self, stream_id: str) -> int:
        doc = self.streams.find_one({"_id": stream_id}, {"version": 1})
        return 0 if doc is None else int(doc.get("version", 0))

    def _advance(self, stream_id: str, version: int,
                 fields: Mapping[str, Any] | None = None) -> None:
        """Move the stream's cursor forward to `version`, never back, in one write (with
        the facts a carried stream's event sets)."""
        try:
            self.streams.update_one(
                {"_id": stream_id, "version": {"$lt": version}},
                {"$set": {**(fields or {}), "version": version}},
                upsert=True,
            )
        except DuplicateKeyError:
            pass  # the cursor is at or past `version` already

    def _park(self, event: RecordedEvent) -> None:
        try:
            self.parked.insert_one(self.parked_document(event))
        except DuplicateKeyError:
            pass  # parked already by an earlier delivery

    @staticmethod
    def parked_document(event: RecordedEvent) -> dict[str, Any]:
        return {"_id": event.event_id, "stream_id": event.stream_id, "version": event.version,
                "claimed_until": 0.0, "payload": event.to_message()}

    def drain(self, stream_id: str, apply: Apply) -> int:
        """Apply parked events of one stream whose turn has come; return how many."""
        applied = 0
        if self.parked.find_one({"stream_id": stream_id}, {"_id": 1}) is None:
            return 0  # the usual case, in one query
        # copies parked by a delivery that lost the race to a direct apply
        self.parked.delete_many(
            {"stream_id": stream_id, "version": {"$lte": self.applied_version(stream_id)}}
        )
        while True:
            version = self.applied_version(stream_id) + 1
            now = time.time()
            doc = self.parked.find_one_and_update(
                {"stream_id": stream_id, "version": version, "claimed_until": {"$lt": now}},
                {"$set": {"claimed_until": now + self.lease_seconds}},
            )
            if doc is None:
                return applied
            self._apply_once(RecordedEvent.from_message(doc["payload"]), apply)
            self.parked.delete_one({"_id": doc["_id"]})
            applied += 1

    def sweep(self, apply: Apply) -> int:
        """Drain every stream with parked events, and prune the claims no longer needed
        (run from a timer)."""
        streams = {doc["stream_id"] for doc in self.parked.find({}, {"stream_id": 1})}
        drained = sum(self.drain(stream_id, apply) for stream_id in streams)
        self.prune_claims()
        return drained

    def parked_count(self) -> int:
        return self.parked.count_documents({})
