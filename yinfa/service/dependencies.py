"""nameko wiring for event sourcing: the store, its relay, its views and the inbox.

Clients are built in `setup()`, never at import. Worker code gets small objects with
domain-shaped methods (`execute`, `load`, `views`), not raw pymongo.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from nameko.extensions import DependencyProvider
from nameko.standalone.rpc import ClusterRpcProxy
from pymongo.database import Database

from yinfa.config import load_settings
from yinfa.errors import ConcurrencyError
from yinfa.events.envelope import Metadata, NewEvent, RecordedEvent
from yinfa.events.registry import SchemaRegistry
from yinfa.logs import correlated
from yinfa.messaging.dead_letters import DeadLetters, note_delivery
from yinfa.messaging.inbox import PLAIN, Inbox, InboxLayout
from yinfa.messaging.relay import OutboxRelay
from yinfa.projections import Projector, StreamView
from yinfa.store.clients import client_for
from yinfa.store.event_store import NO_STREAM, EventStore
from yinfa.store.snapshots import Snapshots, fold_of

log = logging.getLogger(__name__)

Fold = Callable[[list[RecordedEvent]], Any]
Decide = Callable[[Any], list[NewEvent]]

COMMAND_RETRIES = 30  # conflicts left after the in-process lock: other instances only
GATHER_SECONDS = 0.005  # a woken relay waits this long: the rest of a burst joins the batch


class StreamLocks:
    """One lock per stream id within a process, so this instance's workers take turns on
    a busy stream instead of racing each other into conflicts."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextmanager
    def holding(self, stream_id: str) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(stream_id, (threading.Lock(), 0))
            self._locks[stream_id] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._locks[stream_id]
                if users == 1:
                    del self._locks[stream_id]
                else:
                    self._locks[stream_id] = (lock, users - 1)


def service_database(container: Any) -> Database:
    settings = load_settings()
    config = container.config
    uri = config.get("MONGO_URI") or settings.mongo_uri
    if not uri:
        raise RuntimeError("MONGO_URI is not set: run the service through `yinfa` or set it")
    # DB_NAME: one service in a test; DB_PREFIX: several services, a database each
    name = config.get("DB_NAME") or (
        f"{config['DB_PREFIX']}_{container.service_name}"
        if config.get("DB_PREFIX")
        else settings.database_name(container.service_name)
    )
    return client_for(uri)[name]


def metadata_from(worker_ctx: Any) -> Metadata:
    """Actor and correlation travel in nameko's context data (gateway → RPC → events)."""
    data = worker_ctx.data or {}
    causation = data.get("causation_id") or worker_ctx.call_id
    correlation = data.get("correlation_id") or worker_ctx.call_id
    return Metadata(
        actor=data.get("actor") or "system",
        correlation_id=str(correlation),
        causation_id=str(causation) if causation else None,
    )


class EventSourcedStreams:
    """What a worker sees: load a stream, run a command on it, query the views."""

    def __init__(self, provider: EventSourcing, metadata: Metadata) -> None:
        self._provider = provider
        self.store = provider.store
        self.views: Database = provider.db
        self.metadata = metadata

    def caused_by(self, event: RecordedEvent) -> EventSourcedStreams:
        """The same streams, for commands another service's event caused: its
        conversation (correlation) and the event itself as their cause."""
        return EventSourcedStreams(self._provider, Metadata(
            actor=self.metadata.actor, correlation_id=event.correlation_id,
            causation_id=event.event_id))

    def load(self, stream_id: str, fold: Fold) -> tuple[Any, int]:
        state, version, _, _ = self._load(stream_id, fold)
        return state, version

    def _load(self, stream_id: str, fold: Fold
              ) -> tuple[Any, int, list[RecordedEvent] | None, int]:
        """State, version, the events read (None if not the whole stream) and the version
        of the snapshot it started from (0: none; see yinfa.store.snapshots)."""
        aggregate, snapshots = fold_of(fold), self._provider.snapshots
        snapshot = snapshots.read(stream_id, aggregate) if aggregate and snapshots else None
        if aggregate is None or snapshot is None:
            events = self.store.read_stream(stream_id)
            return fold(events), (events[-1].version if events else 0), events, 0
        state, since = snapshot
        events = self.store.read_stream(stream_id, after_version=since)
        return (aggregate.replay(events, state), events[-1].version if events else since,
                None, since)

    def execute(self, stream_id: str, fold: Fold, decide: Decide) -> list[RecordedEvent]:
        """Fold the stream, decide, append at the version seen; on a conflict, again."""
        with self._provider.locks.holding(stream_id):
            recorded, history = self._decide_and_append(stream_id, fold, decide)
        if recorded:
            self._provider.after_append(stream_id, history, started=recorded[0].version == 1)
        return recorded

    def start(self, stream_id: str, new_events: list[NewEvent]) -> list[RecordedEvent]:
        """Begin a stream that must not exist yet (`ConcurrencyError` if it does)."""
        with correlated(self.metadata.correlation_id):
            recorded = self.store.append(stream_id, new_events, NO_STREAM, self.metadata)
        self._provider.after_append(stream_id, _whole([], recorded), started=True)
        return recorded

    def relay_lag(self) -> dict[str, Any]:
        if not self._provider.relay_enabled:  # nothing of this log leaves by a relay
            return {"head": self.store.head_position(), "pending": 0, "relay": "off"}
        return self._provider.relay.lag()

    def views_position(self) -> int:
        """The global position the views have reached."""
        return self._provider.projector.checkpoint()

    def rebuild_views(self) -> int:
        return self._provider.projector.rebuild()

    def start_streams(self, streams: Sequence[tuple[str, list[NewEvent]]]
                      ) -> list[list[RecordedEvent] | None]:
        """Start many new streams in one write (see `EventStore.append_new_streams`); None
        for a stream that exists already. No stream lock: the store refuses a second start."""
        with correlated(self.metadata.correlation_id):
            recorded = self.store.append_new_streams(
                [(stream_id, events, self.metadata) for stream_id, events in streams])
        started = {events[0].stream_id: events for events in recorded
                   if events and events[0].version == 1}
        if started:
            self._provider.after_start(started)
        return recorded

    def _decide_and_append(self, stream_id: str, fold: Fold, decide: Decide
                           ) -> tuple[list[RecordedEvent], list[RecordedEvent] | None]:
        """The recorded events, and the whole stream after them if it was read whole."""
        for attempt in range(COMMAND_RETRIES):
            state, version, history, since = self._load(stream_id, fold)
            new_events = decide(state)
            if not new_events:
                return [], None
            try:
                with correlated(self.metadata.correlation_id):
                    recorded = self.store.append(stream_id, new_events, version, self.metadata)
            except ConcurrencyError:
                if attempt == COMMAND_RETRIES - 1:
                    raise
                time.sleep(random.uniform(0, 0.002 * (attempt + 1)))  # spread the retries
                continue
            aggregate, snapshots = fold_of(fold), self._provider.snapshots
            if aggregate and snapshots and recorded:
                snapshots.written(stream_id, aggregate, state, recorded, since)
            return recorded, _whole(history, recorded)
        return [], None


def _whole(history: list[RecordedEvent] | None, recorded: list[RecordedEvent]
           ) -> list[RecordedEvent] | None:
    """The stream's every event up to the append, if all are at hand (None if not)."""
    if history is None:
        return None
    events = history + [event for event in recorded if event.version > len(history)]
    whole = all(event.version == index for index, event in enumerate(events, start=1))
    return events if whole else None


class EventSourcing(DependencyProvider):
    def __init__(
        self,
        registry: SchemaRegistry,
        views: Sequence[StreamView] = (),
        relay: bool = True,
        store_factory: Callable[..., EventStore] = EventStore,  # called as EventStore is
    ) -> None:
        self.registry = registry
        self.view_types = list(views)
        self.relay_enabled = relay
        self.store_factory = store_factory

    def setup(self) -> None:
        settings = load_settings()
        self.db = service_database(self.container)
        self.store = self.store_factory(self.db, self.registry,
                                        service=self.container.service_name)
        self.store.ensure_indexes()
        self.projector = Projector(self.store, self.view_types)
        self.relay = OutboxRelay(
            self.store,
            self.container.config["AMQP_URI"],
            self.container.service_name,
            batch_size=settings.relay_batch_size,
            gather_seconds=settings.relay_gather_seconds,
        )
        self.idle_seconds = settings.relay_idle_seconds
        self.snapshots: Snapshots | None = Snapshots(self.db["snapshots"],
                                                     settings.snapshot_every)
        self._wake = threading.Event()
        self._running = False
        self.locks = StreamLocks()

    def standalone(self) -> EventSourcing:
        """Set up without a nameko container, database, relay or views, on a store its
        factory makes with no database (e.g. `InMemoryEventStore`): runs a service's
        handlers in unit tests, `EventSourcedStreams(provider, metadata)` in hand."""
        self.db = None  # type: ignore[assignment]
        self.store = self.store_factory(None, self.registry, service="standalone")
        self.projector = Projector(self.store, [])
        self.locks, self._wake, self.snapshots = StreamLocks(), threading.Event(), None
        return self

    def start(self) -> None:
        self._running = True
        self.container.spawn_managed_thread(self._background, identifier="outbox-relay")

    def stop(self) -> None:
        self._running = False
        self._wake.set()

    def kill(self) -> None:
        self.stop()

    def after_append(self, stream_id: str, history: list[RecordedEvent] | None = None,
                     started: bool = False) -> None:
        """Read-your-writes for the caller: refresh the views of the stream just written
        (version-guarded, so no lock is needed); the background loop moves the checkpoint.
        `history`: the whole stream, when the command had it (no second read)."""
        if history is None:
            self.projector.refresh_stream(stream_id)
        else:
            self.projector.refresh_streams([stream_id], known={stream_id: history},
                                           started={stream_id} if started else ())
        self._wake.set()

    def after_start(self, started: dict[str, list[RecordedEvent]]) -> None:
        """`after_append` for streams just started: their whole history is at hand, so the
        views are written without reading the streams again; the relay is woken once."""
        self.projector.refresh_streams(started, known=started, started=started)
        self._wake.set()

    def _background(self) -> None:
        """Publish new events and keep views current (other instances write too)."""
        while self._running:
            try:
                # events out first (their consumers wait on them), then one batch of
                # the views' catch-up (this instance refreshed its own writes already)
                published = self.relay.run_once() if self.relay_enabled else 0
                self.projector.catch_up(max_batches=1)
            except Exception:
                log.exception("relay step failed; retrying")
                published = 0
                self._wake.wait(1.0)
            if not published:
                if self._wake.wait(self.idle_seconds) and self._running:
                    self._pause(GATHER_SECONDS)  # a burst's later appends wake no one
                self._wake.clear()
        self.relay.reset_connection()
        self.relay.release_lease()

    def _pause(self, seconds: float) -> None:
        time.sleep(seconds)

    def get_dependency(self, worker_ctx: Any) -> EventSourcedStreams:
        return EventSourcedStreams(self, metadata_from(worker_ctx))


class InboxProvider(DependencyProvider):
    """Idempotent, ordered consumption of other services' events (see yinfa.messaging.inbox)."""

    def __init__(self, layout: InboxLayout = PLAIN, source: str | None = None) -> None:
        """`source`: the service whose events this inbox takes; its sweep then heals a
        gap that stays open by asking that service for the missing events."""
        self.layout = layout
        self.source = source

    def setup(self) -> None:
        settings = load_settings()
        self.dead_letters = DeadLetters(self.container.config["AMQP_URI"])
        self.inbox = Inbox(
            service_database(self.container),
            self.container.service_name,
            self.dead_letters,
            lease_seconds=settings.consumer_lease_seconds,
            layout=self.layout,
            heal_after=settings.inbox_heal_seconds,
            retries=settings.inbox_retries,
            first_wait=settings.inbox_retry_seconds,
        )
        self.inbox.ensure_indexes()
        if self.source is not None:
            self.inbox.fetch = events_of_stream(self.container.config, self.source)

    def stop(self) -> None:
        self.dead_letters.close()

    def worker_setup(self, worker_ctx: Any) -> None:
        # a message dead-lettered by this worker records its queue, for `yinfa dlq retry`
        note_delivery(getattr(getattr(worker_ctx.entrypoint, "queue", None), "name", None))

    def worker_teardown(self, worker_ctx: Any) -> None:
        note_delivery(None)

    def get_dependency(self, worker_ctx: Any) -> Inbox:
        return self.inbox


def events_of_stream(config: dict[str, Any], source: str, timeout: float = 10.0
                     ) -> Callable[[str, int], list[dict[str, Any]]]:
    """A stream's events after a version, asked of the service that wrote them (its
    `stream_events` RPC): how an inbox fetches an event whose message was lost."""

    def fetch(stream_id: str, after_version: int) -> list[dict[str, Any]]:
        with ClusterRpcProxy(config, timeout=timeout) as cluster:
            return list(getattr(cluster, source).stream_events(stream_id, after_version))

    return fetch
