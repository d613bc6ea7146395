"""The scoring service's dependency: its engine (intake into the journal, the in-memory
fold that follows it, and the rulebooks).

Events from other services come in batches (`every_event_of`); each is checked
(intake.py) and the accepted ones kept in one journal entry, then acked; poison goes to
scoring's dead-letter queue with the reason, and a failure of the store requeues the
batch, so an accepted event is never lost.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from marshmallow import ValidationError, fields
from nameko.extensions import DependencyProvider

from services.scoring.domain.state import ScoringState
from services.scoring.engine import intake, rebuild
from services.scoring.engine.baselines import Baselines
from services.scoring.engine.journal import Journal
from services.scoring.engine.rulebooks import Rulebooks
from services.scoring.views import LiveScoring
from yinfa.errors import ValidationFailed
from yinfa.messaging.dead_letters import DeadLetters
from yinfa.ops import metrics
from yinfa.reference import load_city
from yinfa.service.dependencies import service_database

log = logging.getLogger(__name__)

FOLLOW_SECONDS = 0.05  # how often a replica folds what other replicas journaled
KEPT, SKIPPED, DEAD_LETTERED = "applied", "skipped", "dead-lettered"

_instant = fields.AwareDateTime(default_timezone=UTC)


def parse_instant(value: Any, name: str = "as_of") -> datetime:
    try:
        return _instant.deserialize(value)
    except ValidationError as error:
        raise ValidationFailed({name: error.messages}) from error


SOURCES = ("volunteers", "branches", "activities", "scoring")
RPC_TIMEOUT = 60.0


class Engine:
    def __init__(self, journal: Journal, dead_letters: DeadLetters, consumer: str,
                 config: dict[str, Any] | None = None,
                 spawn: Callable[[Callable[[], Any]], Any] | None = None) -> None:
        self.journal = journal
        self.config = config or {}
        self.spawn = spawn
        self.progress = rebuild.Progress()
        self.live = LiveScoring(journal, load_city().zone)
        self.rulebooks = Rulebooks()
        folder = self.config.get("SCORING_BASELINES_DIR")  # tests: a folder of their own
        self.baselines = Baselines(Path(folder) if folder else None)
        self.dead_letters = dead_letters
        self.consumer = consumer
        self.counts: Counter[str] = Counter()
        self._as_of: dict[tuple[str, int], ScoringState] = {}
        self._as_of_lock = threading.Lock()
        # called after events were journaled here: the follower folds them now rather
        # than at its next tick (it still ticks, for what other replicas journal)
        self.kept: Callable[[], None] = lambda: None

    def take_batch(self, payloads: list[Any]) -> list[str]:
        """Delivered events (a batch of the subscription): the accepted ones kept in one
        journal entry, then the poison dead-lettered; the outcome of each. A store failure
        raises before anything is dead-lettered, so the whole batch is requeued."""
        outcomes: list[str] = []
        accepted, refused = [], []
        for payload in payloads:
            try:
                event = intake.accept(intake.parse(payload))
            except intake.Refused as refusal:
                refused.append((payload, str(refusal)))
                outcomes.append(DEAD_LETTERED)
                continue
            if event is None:
                outcomes.append(SKIPPED)
            else:
                accepted.append(event)
                outcomes.append(KEPT)
        entry = self.journal.keep_batch("kept", accepted)
        if entry is not None and not self.live.fold_kept(entry):
            self.kept()
        for payload, reason in refused:
            original = dict(payload) if isinstance(payload, dict) else payload
            self.dead_letters.send(original, reason, self.consumer)
        for outcome in outcomes:
            self.counts[outcome] += 1
            metrics.event_consumed(self.consumer, outcome)
        return outcomes

    def start_rebuild(self, from_sources: bool) -> dict[str, Any]:
        """Start a rebuild in the background (one at a time); its progress so far."""
        if not self.progress.running:
            self.progress = rebuild.Progress(running=True, phase="starting")
            job = self._rebuild_from_sources if from_sources else self._refold
            if self.spawn is None:
                job()
            else:
                self.spawn(job)
        return self.progress.as_dict()

    def _refold(self) -> None:
        rebuild.run(self.journal, self.live, self.progress)

    def _rebuild_from_sources(self) -> None:
        from nameko.standalone.rpc import ClusterRpcProxy

        config = {"AMQP_URI": self.config["AMQP_URI"], "serializer": "json"}
        with ClusterRpcProxy(config, timeout=RPC_TIMEOUT) as cluster:
            rebuild.run(
                self.journal, self.live, self.progress, SOURCES,
                read_after=lambda source, after, limit: getattr(cluster, source).events_after(
                    after, limit),
                head_of=lambda source: int(getattr(cluster, source).health()["head"]))

    def state(self, as_of: Any = None) -> ScoringState:
        if as_of is None:
            return self.live.current()
        instant = parse_instant(as_of)
        self.live.catch_up()
        key = (instant.isoformat(), self.live.position)
        with self._as_of_lock:
            if key not in self._as_of:
                if len(self._as_of) >= 16:
                    self._as_of.clear()
                self._as_of[key] = self.live.as_of(instant)
            return self._as_of[key]


class ScoringEngine(DependencyProvider):
    def setup(self) -> None:
        db = service_database(self.container)
        journal = Journal(db, service=self.container.service_name)
        journal.ensure_indexes()
        self.dead_letters = DeadLetters(self.container.config["AMQP_URI"])
        self.engine = Engine(
            journal, self.dead_letters, self.container.service_name, self.container.config,
            spawn=lambda job: self.container.spawn_managed_thread(job, identifier="rebuild"))
        self._running = False
        self._wake = threading.Event()
        self.engine.kept = self._wake.set

    def start(self) -> None:
        self._running = True
        self.container.spawn_managed_thread(self._follow, identifier="scoring-follow")

    def stop(self) -> None:
        self._running = False
        self._wake.set()
        self.dead_letters.close()

    def kill(self) -> None:
        self.stop()

    def _follow(self) -> None:
        """Keep the in-memory fold near the journal's head, so queries fold little."""
        while self._running:
            try:
                self.engine.live.catch_up()
            except Exception:
                log.exception("following the journal failed; retrying")
                time.sleep(1.0)
            self._wake.wait(FOLLOW_SECONDS)
            self._wake.clear()

    def lag_sources(self) -> dict[str, Callable[[], tuple[int, int]]]:
        """For /metrics: how far this replica's fold is behind the journal's head."""
        # asked while providers are set up, maybe before ours: look the engine up late
        return {"fold": lambda: (self.engine.journal.head(), self.engine.live.position)}

    def get_dependency(self, worker_ctx: Any) -> Engine:
        return self.engine
