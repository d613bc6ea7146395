"""One delivered batch through an inbox, in a handful of store round trips.

Per event, the guarantees of the inbox (yinfa.messaging.inbox); the writes are gathered
per batch: one read of the cursors, one insert of the claims and one of the parked
events, the applies in each stream's version order (`plan_batch`), then the cursors in
one insert and one bulk write. A transient failure moves the cursors past what was done,
gives back the other claims and raises `BatchRetry` naming the finished deliveries.
Write by write: benchmarks/README.md, "In batches".
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from marshmallow import ValidationError
from pymongo import UpdateOne
from pymongo.errors import PyMongoError

from yinfa.events.envelope import RecordedEvent
from yinfa.messaging.batch_plan import APPLY, PARK, PAST, REPEAT, Delivered, plan_batch
from yinfa.messaging.inbox import (
    APPLIED,
    DEAD_LETTERED,
    DELAYED,
    DUPLICATE,
    PARKED,
    SKIPPED,
    TRANSIENT_ERRORS,
    Apply,
    BatchRetry,
    Inbox,
    Wanted,
)
from yinfa.store.new_documents import SEPARATE_INSERT_FROM, insert_new, refused_duplicates

log = logging.getLogger(__name__)


class Deferred(Exception):
    """The rest of one stream's run waits (another worker holds a claim)."""


class InboxBatch:
    def __init__(self, inbox: Inbox, apply: Apply, wanted: Wanted | None,
                 flush: Callable[[], None] | None = None, draining: bool = False) -> None:
        self.inbox, self.apply, self.wanted, self.flush = inbox, apply, wanted, flush
        self.draining = draining  # parked events taken again: not counted, not drained
        self.outcomes: dict[int, str] = {}
        self.finished: set[int] = set()
        self.claimed: set[str] = set()  # claims taken here whose writes are not made yet
        self.gathered: set[str] = set()  # applied, their writes waiting for `flush`
        self.done: dict[str, list[int]] = {}  # per stream: run indexes acted on
        self.cursors: dict[str, int] = {}  # as read when the batch began
        self.carried: dict[str, dict[str, Any]] = {}  # per carried stream: facts to write
        self.events: list[RecordedEvent | None] = []

    def handle(self, payloads: Sequence[Any]) -> list[str]:
        try:
            self.events = [self._read(index, payload) for index, payload in enumerate(payloads)]
            self._run()
        except Exception as error:  # whatever stops it, what was done stays done
            expected = isinstance(error, TRANSIENT_ERRORS)
            log.log(logging.WARNING if expected else logging.ERROR,
                    "a batch of %d events stops, the unfinished will be retried: %r",
                    len(payloads), error, exc_info=not expected)
            self._settle()
            self._count()
            raise BatchRetry(repr(error), self.finished) from error
        self._count()
        unfinished = len(payloads) - len(self.finished)
        if unfinished:
            raise BatchRetry(f"{unfinished} events wait for another worker", self.finished)
        return [self.outcomes[index] for index in range(len(payloads))]

    # ---- the steps -----------------------------------------------------------------------

    def _run(self) -> None:
        valid = {i: event for i, event in enumerate(self.events) if event is not None}
        streams = {event.stream_id for event in valid.values()}
        self.cursors = {doc["_id"]: int(doc.get("version", 0)) for doc in self.inbox.streams.find(
            {"_id": {"$in": sorted(streams)}}, {"version": 1},
            batch_size=len(streams))}  # one round trip
        order = sorted(valid)
        plan = plan_batch([self._delivered(valid[i]) for i in order], self.cursors)
        actions = {index: plan.actions[k] for k, index in enumerate(order)}
        for index, action in actions.items():
            if action == REPEAT:
                self._finish(index, DUPLICATE)
        self._claim([valid[i] for i, action in actions.items() if action == APPLY])
        parked = [i for i, action in actions.items() if action == PARK]
        self._park([valid[i] for i in parked])
        for index in parked:
            self._finish(index, PARKED)
        for stream_id, run in plan.runs.items():
            self._follow(stream_id, [order[k] for k in run], actions)
        self._write_gathered()
        self._advance_cursors()
        self._release_claims()  # of runs deferred behind another worker's claim
        self._past([i for i, action in actions.items() if action == PAST])
        if not self.draining and streams:
            self.inbox.drain(streams, self.apply, self.wanted, self.flush)

    def _follow(self, stream_id: str, run: list[int], actions: Mapping[int, str]) -> None:
        acted = self.done.setdefault(stream_id, [])
        for index in run:
            event = self.events[index]
            assert event is not None
            if actions[index] != APPLY:
                self.outcomes[index] = SKIPPED
            else:
                try:
                    self.outcomes[index] = self._apply_claimed(event)
                except Deferred:
                    return  # the rest of this stream goes back to the queue
                if self.outcomes[index] == DELAYED:  # its stream waits for it, parked
                    self._finish(index, DELAYED)
                    rest = run[run.index(index) + 1:]
                    self._park([self._event(i) for i in rest])
                    for later in rest:
                        self._finish(later, PARKED)
                    return
            acted.append(index)

    def _apply_claimed(self, event: RecordedEvent) -> str:
        if self.inbox.carries(event.stream_id):
            return self._gather_carried(event)
        if event.event_id not in self.claimed:
            if not self._take_over(event):
                return DUPLICATE
            self.claimed.add(event.event_id)
        try:
            self.apply(event)
        except TRANSIENT_ERRORS:
            raise  # its claim is given back with the others not applied
        except Exception as error:  # tried again later; at last aside, alone
            outcome = self.inbox.failed(event, error)
            if outcome == DELAYED:  # its copy comes back: the claim is given back
                self.inbox.claims.delete_one({"_id": event.event_id})
            self.claimed.discard(event.event_id)  # dead-lettered: the cursor passes it
            return outcome
        if self.flush is None:
            self.claimed.discard(event.event_id)
        else:
            self.gathered.add(event.event_id)
        return APPLIED

    def _take_over(self, event: RecordedEvent) -> bool:
        """An event whose claim was refused: taken over if that claim's lease is over;
        False if it was applied meanwhile; `Deferred` while another live worker holds it."""
        now = time.time()
        taken_over = self.inbox.claims.find_one_and_update(
            {"_id": event.event_id, "state": "applying", "until": {"$lt": now}},
            {"$set": {"until": now + self.inbox.lease_seconds}},
        )
        if taken_over is not None:
            return True
        if self.inbox.applied_version(event.stream_id) >= event.version:
            return False  # applied meanwhile by the worker that held the claim
        raise Deferred(f"event {event.event_id} is being applied by another worker")

    def _gather_carried(self, event: RecordedEvent) -> str:
        """Its facts wait for its stream's cursor write (`_advance_cursors`)."""
        fields = self.inbox.carried_facts(event)
        if fields is None:
            return DEAD_LETTERED
        self.carried.setdefault(event.stream_id, {}).update(fields)
        return APPLIED

    def _write_gathered(self) -> None:
        """The applies' writes in one go; if they fail, no stream moves past them."""
        if self.flush is None or not self.gathered:
            return
        self.flush()
        self.claimed -= self.gathered
        self.gathered = set()

    def _forget_gathered(self) -> None:
        """Applied but not written: as if never applied (each stream's cursor stops at
        the first of them)."""
        for stream_id, acted in self.done.items():
            ids = [self._event(index).event_id for index in acted]
            unwritten = [k for k, event_id in enumerate(ids) if event_id in self.gathered]
            if unwritten:
                self.done[stream_id] = acted[:unwritten[0]]

    # ---- reads and writes ------------------------------------------------------------------

    def _read(self, index: int, payload: Any) -> RecordedEvent | None:
        try:
            return RecordedEvent.from_message(payload)
        except (ValidationError, TypeError) as error:
            self.inbox.dead_letter_envelope(payload, error)
            self._finish(index, DEAD_LETTERED)
            return None

    def _delivered(self, event: RecordedEvent) -> Delivered:
        wanted = self.wanted is None or self.wanted(event.type)
        return Delivered(event.event_id, event.stream_id, event.version, wanted)

    def _claim(self, events: list[RecordedEvent]) -> None:
        events = [e for e in events if not self.inbox.carries(e.stream_id)]
        if not events:
            return
        until = self.inbox.claim_deadline()
        refused = refused_duplicates(lambda: self.inbox.claims.insert_many(
            [self.inbox.claim_document(e, until) for e in events],
            ordered=False))
        self.claimed = {e.event_id for k, e in enumerate(events) if k not in refused}

    def _park(self, events: list[RecordedEvent]) -> None:
        if events:
            refused_duplicates(lambda: self.inbox.parked.insert_many(
                [self.inbox.parked_document(event) for event in events], ordered=False))

    def _advance_cursors(self) -> None:
        """Streams that had no cursor when the batch began get theirs by one insert
        (unless they are too few to pay for it beside the others' write); the others,
        and any whose cursor another worker made meanwhile (the insert refused), move
        forward by the conditional write, never back."""
        targets = {stream_id: self._event(acted[-1]).version
                   for stream_id, acted in self.done.items() if acted}
        new = [s for s in targets if s not in self.cursors]
        moves = [s for s in targets if s in self.cursors]
        if moves and len(new) < SEPARATE_INSERT_FROM:
            new, moves = [], list(targets)
        carried = self.carried  # kept until written: a retry of this write needs them
        refused = insert_new(self.inbox.streams, [
            {"_id": s, **carried.get(s, {}), "version": targets[s]} for s in new])
        moves += [doc["_id"] for doc in refused]
        if moves:
            refused_duplicates(lambda: self.inbox.streams.bulk_write(
                [UpdateOne({"_id": s, "version": {"$lt": targets[s]}},
                           {"$set": {**carried.get(s, {}), "version": targets[s]}},
                           upsert=True) for s in moves],
                ordered=False))
        for acted in self.done.values():
            for index in acted:
                self.finished.add(index)
        self.done, self.carried = {}, {}

    def _past(self, indexes: list[int]) -> None:
        """Past versions: duplicates, except those this consumer dead-lettered (a parked
        copy of one is a duplicate all the same)."""
        if not indexes:
            return
        events = {index: self._event(index) for index in indexes}
        marked = set() if self.draining else {doc["_id"] for doc in self.inbox.dead_marks.find(
            {"_id": {"$in": sorted({e.event_id for e in events.values()})}}, {"_id": 1})}
        for index, event in events.items():
            if event.event_id in marked:
                self._finish(index, self.inbox.retry_dead_lettered(event, self._apply_now))
            else:
                self._finish(index, DUPLICATE)

    def _apply_now(self, event: RecordedEvent) -> None:
        """For an event taken alone: applied, and its gathered writes made."""
        self.apply(event)
        if self.flush is not None:
            self.flush()

    def _settle(self) -> None:
        """After a failure: keep what was done, give back what was not."""
        self._forget_gathered()
        try:
            self._advance_cursors()
            self._release_claims()
        except PyMongoError:
            log.warning("could not settle a stopped batch; its claims run out after their "
                        "lease", exc_info=True)

    def _release_claims(self) -> None:
        if self.claimed:
            self.inbox.claims.delete_many(
                {"_id": {"$in": sorted(self.claimed)}, "state": "applying"})
            self.claimed = set()

    # ---- bookkeeping -------------------------------------------------------------------------

    def _finish(self, index: int, outcome: str) -> None:
        self.outcomes[index] = outcome
        self.finished.add(index)

    def _count(self) -> None:
        if not self.draining:
            for index in self.finished:
                self.inbox.count(self.outcomes[index])

    def _event(self, index: int) -> RecordedEvent:
        event = self.events[index]
        assert event is not None
        return event
