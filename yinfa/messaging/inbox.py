"""Idempotent, ordered consumption of other services' events.

A consumer hands its inbox a delivery's events (`handle`) and keeps, in its own database,
`inbox_claims` (one per event being applied; a crashed worker's runs out after a lease),
`inbox_streams` (the last version applied per source stream), `inbox_parked` (events
ahead of their turn, applied once the gap closes; `sweep` heals a gap that stays open
from the source), `inbox_attempts` (failed applies, retried after a wait before the event
is dead-lettered) and `inbox_dead_letters` (so an event sent back is applied once, out of
order, not skipped). A stream whose state is one document may keep it as its cursor
(`CarriedByCursor`): one forward-only write is apply, claim and cursor at once.

A message is acked only after the consumer's own write. A poison event goes to the
dead-letter queue with the reason and its stream moves on; an infrastructure failure
stops the batch with `BatchRetry` (yinfa.messaging.inbox_batch does the work). Why it
is built so: benchmarks/README.md, "Consuming: the inbox".
"""
from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, PyMongoError

from yinfa.errors import ConcurrencyError
from yinfa.events.envelope import RecordedEvent
from yinfa.messaging.dead_letters import DeadLetters, delivered_from
from yinfa.ops import metrics

log = logging.getLogger(__name__)

Apply = Callable[[RecordedEvent], None]
Fetch = Callable[[str, int], Sequence[Any]]  # (stream, after version) -> the source's events
Wanted = Callable[[str], bool]

APPLIED, DUPLICATE, PARKED, DEAD_LETTERED = "applied", "duplicate", "parked", "dead-lettered"
SKIPPED, RETRIED, DELAYED = "skipped", "retried", "delayed"

# Failures of the plumbing, not of the message: the message must come back later.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (PyMongoError, OSError, ConcurrencyError)

DRAIN_LIMIT = 1000  # parked events taken at once by a drain
SWEPT_AT_ONCE = 100  # streams drained together by a sweep
HEAL_AFTER = 10.0  # seconds a parked event waits for its gap to close before it is fetched
RETRIES = 3  # tries again of an event whose apply failed, before it is dead-lettered
FIRST_WAIT = 1.0  # seconds before the first try again; each later one waits 5 times longer


class BatchRetry(Exception):
    """Some deliveries of a batch must come back later; `finished` are the indexes of
    those that are done (acked), the others are requeued."""

    def __init__(self, reason: str, finished: Iterable[int]) -> None:
        super().__init__(reason)
        self.finished = frozenset(finished)


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
        heal_after: float = HEAL_AFTER,
        retries: int = RETRIES,
        first_wait: float = FIRST_WAIT,
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
        self.fetch: Fetch | None = None  # the source's events of a stream, to heal gaps
        self.heal_after = heal_after
        self.retries, self.first_wait = retries, first_wait
        self.attempts = db["inbox_attempts"]

    def ensure_indexes(self) -> None:
        self.parked.create_index([("stream_id", 1), ("version", 1)], name="stream_version")
        self.parked.create_index("stream_id", name="stream_id")  # see EventStore

    # ---- entry point -------------------------------------------------------------

    def handle(
        self,
        payloads: Sequence[Any],
        apply: Apply,
        wanted: Wanted | None = None,
        flush: Callable[[], None] | None = None,
    ) -> list[str]:
        """The outcome of each delivered event, in order. Raises `BatchRetry` naming the
        finished deliveries when others must come back later.

        `wanted(type)` False: the event only moves its stream's cursor (no claim, no
        apply), the cheap path for the many types a consumer does not use. With `flush`,
        `apply` may gather its writes (adding nothing for an event it refuses): `flush`
        makes them, once, before any stream's cursor moves past them."""
        from yinfa.messaging.inbox_batch import InboxBatch  # built on this module

        return InboxBatch(self, apply, wanted, flush).handle(payloads)

    def drain(self, streams: Iterable[str] | None, apply: Apply,
              wanted: Wanted | None = None, flush: Callable[[], None] | None = None) -> int:
        """Take the parked events of `streams` (None: of all) through the inbox again, as
        one batch: those whose turn has come are applied, the rest stay parked. How many
        left the parked collection."""
        from yinfa.messaging.inbox_batch import InboxBatch

        query = {} if streams is None else {"stream_id": {"$in": sorted(set(streams))}}
        docs = list(self.parked.find(query, {"payload": 1}).sort(
            [("stream_id", 1), ("version", 1)]).limit(DRAIN_LIMIT))
        if not docs:
            return 0  # the usual case, in one query
        batch = InboxBatch(self, apply, wanted, flush, draining=True)
        try:
            outcomes = dict(enumerate(batch.handle([doc["payload"] for doc in docs])))
        except BatchRetry as stopped:  # the sweep tries the rest again
            log.warning("a drain of %d parked events stops: %s", len(docs), stopped)
            outcomes = {i: batch.outcomes[i] for i in stopped.finished}
        done = [docs[i]["_id"] for i, outcome in outcomes.items() if outcome != PARKED]
        if done:
            self.parked.delete_many({"_id": {"$in": done}})
        return len(done)

    def sweep(self, apply: Apply, wanted: Wanted | None = None,
              flush: Callable[[], None] | None = None) -> int:
        """Drain every stream with parked events, heal the gaps that stayed open, and
        prune the claims no longer needed (run from a timer)."""
        streams = sorted({doc["stream_id"] for doc in self.parked.find({}, {"stream_id": 1})})
        drained = sum(self.drain(streams[at:at + SWEPT_AT_ONCE], apply, wanted, flush)
                      for at in range(0, len(streams), SWEPT_AT_ONCE))
        if self.fetch is not None:
            drained += self.heal(self.fetch, apply, wanted, flush, self.heal_after)
        self.prune_claims()
        return drained

    def heal(self, fetch: Fetch, apply: Apply, wanted: Wanted | None = None,
             flush: Callable[[], None] | None = None, waited: float = HEAL_AFTER) -> int:
        """A stream whose parked events have waited `waited` seconds lacks an event that
        no delivery will bring (a message lost on the way): fetch what it lacks from the
        source and take it through the inbox, then drain the stream. A source that does
        not answer is asked again at the next sweep. How many parked events left."""
        lowest: dict[str, int] = {}
        for doc in self.parked.find({"parked_at": {"$lt": time.time() - waited}},
                                    {"stream_id": 1, "version": 1}):
            lowest[doc["stream_id"]] = min(doc["version"], lowest.get(doc["stream_id"], 1 << 62))
        healed = 0
        for stream_id, first_parked in sorted(lowest.items())[:SWEPT_AT_ONCE]:
            if self.waits_for_retry(stream_id):
                continue
            try:
                fetched = fetch(stream_id, self.applied_version(stream_id))
            except Exception as error:  # the source is down or slow: the next sweep asks
                log.warning("cannot fetch the gap of %s yet: %r", stream_id, error)
                continue
            missing = [p for p in fetched if p.get("version", 0) < first_parked]
            if missing:
                log.warning("healing %s: %d events its source sent that never came",
                            stream_id, len(missing))
                waiting = self.parked.count_documents({"stream_id": stream_id})
                self.handle(missing, apply, wanted, flush)  # drains what it un-parks
                self.drain([stream_id], apply, wanted, flush)
                healed += waiting - self.parked.count_documents({"stream_id": stream_id})
        return healed

    def parked_count(self) -> int:
        return self.parked.count_documents({})

    def applied_version(self, stream_id: str) -> int:
        doc = self.streams.find_one({"_id": stream_id}, {"version": 1})
        return 0 if doc is None else int(doc.get("version", 0))

    # ---- documents -------------------------------------------------------------------

    def claim_deadline(self) -> float:
        return time.time() + self.lease_seconds

    @staticmethod
    def claim_document(event: RecordedEvent, until: float) -> dict[str, Any]:
        # the stream and version say when the claim is no longer needed (prune_claims)
        return {"_id": event.event_id, "state": "applying", "until": until,
                "stream_id": event.stream_id, "version": event.version}

    @staticmethod
    def parked_document(event: RecordedEvent) -> dict[str, Any]:
        return {"_id": event.event_id, "stream_id": event.stream_id, "version": event.version,
                "payload": event.to_message(), "parked_at": time.time()}

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

    # ---- streams carried by their cursor -----------------------------------------------

    def carries(self, stream_id: str) -> bool:
        return self.carried is not None and self.carried.streams(stream_id)

    def carried_facts(self, event: RecordedEvent) -> Mapping[str, Any] | None:
        """The facts a carried stream's event sets; None for a poison event, which is
        dead-lettered (its cursor passes it, its facts unset)."""
        assert self.carried is not None
        try:
            return self.carried.fields(event)
        except Exception as error:
            self.dead_letter(event, error)
            return None

    # ---- dead letters ------------------------------------------------------------------

    def dead_letter_envelope(self, payload: Any, error: Exception) -> None:
        # any JSON value can arrive, not only objects: set it aside as it came
        original = dict(payload) if isinstance(payload, Mapping) else payload
        self.dead_letters.send(original, f"invalid envelope: {error}", self.consumer)

    def failed(self, event: RecordedEvent, error: Exception) -> str:
        """An apply failed (not for an infrastructure reason): the event goes to a delay
        queue to be tried again later, its stream waiting for it (DELAYED), until it has
        failed `retries` times more; then it is dead-lettered and its stream moves on."""
        queue = delivered_from()
        self.attempts.update_one({"_id": event.event_id}, {
            "$inc": {"failed": 1},
            "$set": {"stream_id": event.stream_id, "retry_at": time.time()}}, upsert=True)
        tries = int((self.attempts.find_one({"_id": event.event_id}) or {}).get("failed", 1))
        if queue is None or tries > self.retries:
            self.attempts.delete_one({"_id": event.event_id})
            return self.dead_letter(event, error, again=f" {tries} times" if tries > 1 else "")
        wait = self.first_wait * 5 ** (tries - 1)
        log.warning("event %s failed (%r): tried again in %.0f s", event.event_id, error, wait)
        self.attempts.update_one({"_id": event.event_id},
                                 {"$set": {"retry_at": time.time() + wait}})
        self.dead_letters.delay(event.to_message(), queue, tries, wait)
        return DELAYED

    def waits_for_retry(self, stream_id: str) -> bool:
        """An event of the stream is in a delay queue: its gap is not a lost message."""
        return self.attempts.find_one({"stream_id": stream_id,
                                       "retry_at": {"$gt": time.time() - 60}}) is not None

    def dead_letter(self, event: RecordedEvent, error: Exception, again: str = "") -> str:
        log.error("event %s dead-lettered%s", event.event_id, again, exc_info=error)
        self._mark_dead(event)
        self.dead_letters.send(event.to_message(), f"apply failed{again}: {error!r}",
                               self.consumer)
        return DEAD_LETTERED

    def _mark_dead(self, event: RecordedEvent) -> None:
        try:
            self.dead_marks.insert_one({"_id": event.event_id, "stream_id": event.stream_id,
                                        "version": event.version})
        except DuplicateKeyError:
            pass  # marked by an earlier failed delivery

    def retry_dead_lettered(self, event: RecordedEvent, apply: Apply) -> str:
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
            return self.dead_letter(event, error, again=" again")
        return RETRIED

    def _set_carried(self, event: RecordedEvent) -> None:
        assert self.carried is not None
        self.streams.update_one({"_id": event.stream_id},
                                {"$set": dict(self.carried.fields(event))})

    def count(self, outcome: str) -> None:
        self.counts[outcome] += 1
        metrics.event_consumed(self.consumer, outcome)
