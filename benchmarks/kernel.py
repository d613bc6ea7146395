"""The kernel benchmark: event store, outbox relay, inbox consumer, bare nameko ceiling.

    python benchmarks/kernel.py            # full run (~5-10 min on 2 cores), records results
    python benchmarks/kernel.py --quick    # smoke run (< ~30-60 s), writes *-quick.json only

Everything runs in this one process, eventlet-patched like a nameko service, against
the real RabbitMQ on 127.0.0.1 (a throw-away vhost, deleted afterwards) and an embedded
nx-27017 (or MONGO_URI, with unique databases dropped afterwards). Each figure is
measured REPS times; the median is the figure, min/max show the noise.
See benchmarks/README.md for what each figure means.
"""

# ruff: noqa: E402
import eventlet
import eventlet.event

eventlet.monkey_patch()

import argparse
import datetime as dt
import json
import logging
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote

warnings.filterwarnings("ignore")

import kombu
import requests
from nameko.containers import ServiceContainer

from yinfa.events.envelope import NewEvent, RecordedEvent
from yinfa.infra.embedded_store import EmbeddedStore
from yinfa.messaging.relay import OutboxRelay
from yinfa.service.dependencies import InboxProvider
from yinfa.service.subscriptions import every_event_of
from yinfa.store.clients import client_for
from yinfa.store.event_store import ANY_VERSION, NO_STREAM, EventStore

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
HOST = "127.0.0.1"
AMQP_BASE = f"amqp://guest:guest@{HOST}:5672/"
MANAGEMENT = f"http://{HOST}:15672/api"
AUTH = ("guest", "guest")

SOURCE = "benchsrc"  # the publishing service: exchange `benchsrc.events`
EVENT_TYPE = "BenchEventHappened"
REPS = 3
CONSUME_TIMEOUT = 300.0  # s, per consumer repetition: the run stays bounded

TARGETS = {  # figure -> minimum events/s
    "append_single_new": 1_000,
    "append_single_existing": 1_000,
    "append_batched_100": 8_000,
    "relay_confirmed": 3_000,
}

SIZES = {
    "full": {
        "single": 2_000,  # appends per repetition (new streams; then one more on each)
        "batch_commits": 100,  # commits of 100 events per repetition
        "backlog": 20_000,  # relay backlog (single-event commits)
        "backlog_streams": 2_000,
        "bare_publish": 2_000,
        "consume": 5_000,  # events per consumer repetition
    },
    "quick": {
        "single": 150,
        "batch_commits": 10,
        "backlog": 1_000,
        "backlog_streams": 200,
        "bare_publish": 200,
        "consume": 300,
    },
}

log = logging.getLogger("bench")


# ---- helpers -------------------------------------------------------------------------


def summary(samples: list[float]) -> dict[str, Any]:
    return {
        "median": round(statistics.median(samples), 1),
        "min": round(min(samples), 1),
        "max": round(max(samples), 1),
        "samples": [round(s, 1) for s in samples],
    }


def payload_data(i: int) -> dict[str, Any]:
    """A modest, realistic event body (~250 bytes of JSON)."""
    return {
        "volunteer_id": f"v-{i:08d}",
        "county_code": "320902",
        "hours": 2.5,
        "activity": "社区环境整治",
        "note": "benchmark event " + "x" * 80,
        "seq": i,
    }


def new_event(i: int) -> NewEvent:
    return NewEvent(type=EVENT_TYPE, data=payload_data(i))


class Broker:
    """A throw-away vhost on the local RabbitMQ, deleted in `close()`."""

    def __init__(self) -> None:
        self.vhost = f"yinfa-bench-{uuid.uuid4().hex[:10]}"
        self.uri = AMQP_BASE + quote(self.vhost, safe="")
        url = f"{MANAGEMENT}/vhosts/{quote(self.vhost, safe='')}"
        requests.put(url, auth=AUTH, timeout=10).raise_for_status()
        requests.put(
            f"{MANAGEMENT}/permissions/{quote(self.vhost, safe='')}/guest",
            json={"configure": ".*", "write": ".*", "read": ".*"},
            auth=AUTH,
            timeout=10,
        ).raise_for_status()
        self.connection = kombu.Connection(self.uri)
        self.channel = self.connection.channel()

    def declare_sink(self, queue: str, exchange: str) -> None:
        # declared exactly like nameko / the relay declare the events exchange
        self.channel.exchange_declare(exchange, "topic", durable=True, auto_delete=False)
        self.channel.queue_declare(queue, durable=True, auto_delete=False)
        self.channel.queue_bind(queue, exchange, routing_key="#")

    def depth(self, queue: str) -> int:
        return int(self.channel.queue_declare(queue, passive=True).message_count)

    def purge(self, queue: str) -> None:
        self.channel.queue_purge(queue)

    def delete_queue(self, queue: str) -> None:
        self.channel.queue_delete(queue)

    def close(self) -> None:
        try:
            self.connection.release()
        finally:
            url = f"{MANAGEMENT}/vhosts/{quote(self.vhost, safe='')}"
            requests.delete(url, auth=AUTH, timeout=30)


class Store:
    """MONGO_URI (unique databases, dropped) or an embedded nx-27017 in a temp dir."""

    def __init__(self) -> None:
        self.run_id = uuid.uuid4().hex[:8]
        self.tmp: str | None = None
        self.embedded: EmbeddedStore | None = None
        self.dbs: list[str] = []
        uri = os.environ.get("MONGO_URI")
        if uri:
            self.uri, self.kind = uri, "MONGO_URI"
        else:
            self.tmp = tempfile.mkdtemp(prefix="yinfa-bench-")
            self.embedded = EmbeddedStore(data_dir=self.tmp, name="bench").start()
            self.uri, self.kind = self.embedded.uri, "embedded nx-27017"
        self.client = client_for(self.uri)

    def db_name(self, label: str) -> str:
        name = f"bench_{self.run_id}_{label}"
        self.dbs.append(name)
        return name

    def event_store(self, label: str) -> EventStore:
        store = EventStore(self.client[self.db_name(label)])
        store.ensure_indexes()
        return store

    def close(self) -> None:
        try:
            for name in self.dbs:
                try:
                    self.client.drop_database(name)
                except Exception:
                    log.warning("could not drop %s", name, exc_info=True)
            self.client.close()
        finally:
            if self.embedded is not None:
                self.embedded.stop()
            if self.tmp:
                shutil.rmtree(self.tmp, ignore_errors=True)


# ---- 1 & 2: the event store ---------------------------------------------------------------


def bench_single_appends(store: Store, n: int, rep: int) -> dict[str, float]:
    """n appends of one event to new streams; then, with a fresh EventStore that learns
    each stream's version by reading it, one more append to each (version known); then
    one more to each, back to back (the version known from its own previous append)."""
    writer = store.event_store(f"single_{rep}")
    streams = [f"volunteer-{rep}-{i}" for i in range(n)]
    started = time.perf_counter()
    for i, stream in enumerate(streams):
        writer.append(stream, [new_event(i)], NO_STREAM)
    new_rate = n / (time.perf_counter() - started)

    reader = EventStore(writer.db)  # another command handler: knows nothing yet
    read_time = append_time = 0.0
    for i, stream in enumerate(streams):
        t0 = time.perf_counter()
        events = reader.read_stream(stream)
        t1 = time.perf_counter()
        reader.append(stream, [new_event(n + i)], events[-1].version)
        t2 = time.perf_counter()
        read_time += t1 - t0
        append_time += t2 - t1

    started = time.perf_counter()
    for i, stream in enumerate(streams):
        reader.append(stream, [new_event(2 * n + i)], 2)
    back_to_back = n / (time.perf_counter() - started)
    return {
        "append_single_new": new_rate,
        "append_single_existing": n / append_time,
        "append_existing_back_to_back": back_to_back,
        "command_cycle_read_then_append": n / (read_time + append_time),
    }


def bench_batched_appends(store: Store, commits: int, rep: int) -> float:
    writer = store.event_store(f"batched_{rep}")
    batches = [[new_event(c * 100 + i) for i in range(100)] for c in range(commits)]
    started = time.perf_counter()
    for c, batch in enumerate(batches):
        writer.append(f"ledger-{rep}-{c}", batch, NO_STREAM)
    return commits * 100 / (time.perf_counter() - started)


# ---- 3: the relay ------------------------------------------------------------------------


def build_backlog(store: Store, events: int, streams: int, label: str = "backlog"
                  ) -> EventStore:
    """Single-event commits, round-robin over `streams` streams (as many commands make),
    in the database `label` names."""
    backlog = store.event_store(label)
    for i in range(events):
        backlog.append(f"volunteer-{i % streams}", [new_event(i)], ANY_VERSION)
    return backlog


def reset_checkpoint(relay: OutboxRelay) -> None:
    relay.db["relay_checkpoints"].delete_one({"_id": relay.exchange})


def bench_relay(broker: Broker, backlog: EventStore, sink: str, expected: int) -> float:
    relay = OutboxRelay(backlog, broker.uri, SOURCE)
    reset_checkpoint(relay)
    if not relay.hold_lease():  # as run_once does; renewed by publish_pending per batch
        raise RuntimeError("another relay holds the lease")
    relay._publisher_for()  # connect outside the timed part
    try:
        started = time.perf_counter()
        published = relay.publish_pending()
        elapsed = time.perf_counter() - started
    finally:
        relay.reset_connection()
        relay.release_lease()
    depth = broker.depth(sink)
    if published != expected or depth != expected:
        raise RuntimeError(f"relay published {published}, queue holds {depth}, want {expected}")
    return published / elapsed


def bench_bare_publish(broker: Broker, events: list[RecordedEvent], sink: str) -> float:
    """kombu, one persistent message at a time, each waiting for its confirm."""
    exchange = kombu.Exchange(f"{SOURCE}.events", type="topic", durable=True)
    bodies = [json.dumps(e.to_message(), ensure_ascii=False) for e in events]
    with kombu.Connection(broker.uri, transport_options={"confirm_publish": True}) as conn:
        producer = conn.Producer()
        started = time.perf_counter()
        for event, body in zip(events, bodies, strict=True):
            producer.publish(
                body,
                exchange=exchange,
                routing_key=event.type,
                content_type="application/json",
                content_encoding="utf-8",
                delivery_mode=2,
                message_id=event.event_id,
                headers={"yinfa.stream_id": event.stream_id, "yinfa.position": event.position},
            )
        elapsed = time.perf_counter() - started
    depth = broker.depth(sink)
    if depth != len(events):
        raise RuntimeError(f"queue holds {depth}, want {len(events)}")
    return len(events) / elapsed


# ---- 4 & 5: consumers ------------------------------------------------------------------------


class Meter:
    """First/last timestamps and a count, shared by the handler and the benchmark."""

    def __init__(self) -> None:
        self.reset(0)

    def reset(self, expected: int) -> None:
        self.expected = expected
        self.count = 0
        self.first = self.last = 0.0
        self.outcomes: dict[str, int] = {}
        self.done = eventlet.event.Event()

    def tick(self) -> None:
        now = time.perf_counter()
        if self.count == 0:
            self.first = now
        self.count += 1
        self.last = now
        if self.count >= self.expected and not self.done.ready():
            self.done.send(True)

    def outcome(self, name: str) -> None:
        self.outcomes[name] = self.outcomes.get(name, 0) + 1

    def rate(self) -> float:
        if self.count < 2 or self.last <= self.first:
            return 0.0
        return (self.count - 1) / (self.last - self.first)


INBOX_METER = Meter()
BARE_METER = Meter()


class InboxConsumer:
    """Idempotent, ordered apply through the kernel inbox: one insert per event."""

    name = "bench_inbox"
    inbox = InboxProvider()

    @every_event_of(SOURCE)
    def on_event(self, payloads: list[dict[str, Any]]) -> None:
        for outcome in self.inbox.handle(payloads, self._apply):
            INBOX_METER.outcome(outcome)

    def _apply(self, event: RecordedEvent) -> None:
        self.inbox.db["applied"].insert_one(
            {"_id": event.event_id, "stream_id": event.stream_id, "version": event.version}
        )
        INBOX_METER.tick()


class BareConsumer:
    """The ceiling: the same messages through nameko, counted and nothing else."""

    name = "bench_bare"

    @every_event_of(SOURCE)
    def on_event(self, payload: dict[str, Any]) -> None:
        BARE_METER.tick()


def container_config(broker: Broker, store: Store, db_name: str) -> dict[str, Any]:
    return {
        "AMQP_URI": broker.uri,
        "MONGO_URI": store.uri,
        "DB_NAME": db_name,
        "serializer": "json",
    }


def consumer_queue(cls: type) -> str:
    """The queue nameko declares for `every_event_of(SOURCE)` (routing key `#`)."""
    return f"evt-{SOURCE}-#--{cls.name}.on_event"


def declare_consumer_queues(broker: Broker, store: Store) -> None:
    """Start and stop each service once: nameko declares its durable queues, which then
    collect the relay's messages while no consumer runs."""
    for cls in (BareConsumer, InboxConsumer):
        container = ServiceContainer(cls, container_config(broker, store, store.db_name("decl")))
        container.start()
        container.stop()


def consume(
    cls: type, meter: Meter, broker: Broker, store: Store, db_name: str, expected: int
) -> dict[str, Any]:
    meter.reset(expected)
    container = ServiceContainer(cls, container_config(broker, store, db_name))
    container.start()
    try:
        with eventlet.Timeout(CONSUME_TIMEOUT, False):
            meter.done.wait()
    finally:
        container.stop()
    if meter.count < expected:
        raise RuntimeError(f"{cls.name}: {meter.count}/{expected} events in {CONSUME_TIMEOUT}s")
    return {"rate": meter.rate(), "outcomes": dict(meter.outcomes)}


# ---- machine -----------------------------------------------------------------------------


class CpuLoad:
    """How busy the machine was during a measurement and how much of that was not ours
    (this process, nx-27017, RabbitMQ): on a shared machine, the noise of each sample."""

    def __init__(self, pids: list[int | None]) -> None:
        self.pids = [pid for pid in pids if pid]
        self.hz = os.sysconf("SC_CLK_TCK")

    def _snapshot(self) -> tuple[float, int, int]:
        with open("/proc/stat") as f:
            ticks = [int(x) for x in f.readline().split()[1:]]
        busy = sum(ticks[:8]) - ticks[3] - ticks[4]  # all but idle and iowait (no guest)
        ours = 0
        for pid in self.pids:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                ours += int(fields[11]) + int(fields[12])  # utime + stime
            except (OSError, IndexError, ValueError):
                pass
        return time.monotonic(), busy, ours

    @contextmanager
    def measure(self) -> Iterator[dict[str, float]]:
        box: dict[str, float] = {}
        t0, busy0, ours0 = self._snapshot()
        yield box
        t1, busy1, ours1 = self._snapshot()
        elapsed = max(t1 - t0, 1e-6) * self.hz
        box["busy_cores"] = round((busy1 - busy0) / elapsed, 2)
        box["ours_cores"] = round((ours1 - ours0) / elapsed, 2)
        box["other_cores"] = round(max(0.0, box["busy_cores"] - box["ours_cores"]), 2)


def rabbitmq_pid() -> int | None:
    try:
        nodes = requests.get(f"{MANAGEMENT}/nodes", auth=AUTH, timeout=10).json()
        return int(nodes[0]["os_pid"])
    except (requests.RequestException, LookupError, TypeError, ValueError):
        return None


# ---- machine info -----------------------------------------------------------------------------


def machine_info(store: Store) -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem_kb = int(line.split()[1])
    overview = requests.get(f"{MANAGEMENT}/overview", auth=AUTH, timeout=10).json()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "nproc": int(subprocess.run(["nproc"], capture_output=True, text=True).stdout),
        "cpu": cpu,
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "nameko": metadata.version("nameko"),
        "eventlet": metadata.version("eventlet"),
        "kombu": metadata.version("kombu"),
        "pymongo": metadata.version("pymongo"),
        "nx_27017": metadata.version("nx-27017"),
        "rabbitmq": overview.get("rabbitmq_version"),
        "erlang": overview.get("erlang_version"),
        "store": store.kind,
        "git_commit": commit,
    }


# ---- run -------------------------------------------------------------------------------------


def run(quick: bool) -> dict[str, Any]:
    size = SIZES["quick" if quick else "full"]
    samples: dict[str, list[float]] = {}
    loads: dict[str, list[dict[str, float]]] = {}
    notes: dict[str, Any] = {}

    def add(name: str, value: float, load: dict[str, float]) -> None:
        samples.setdefault(name, []).append(value)
        loads.setdefault(name, []).append(load)
        print(
            f"  {name:<34} {value:>10,.0f} /s   (machine busy {load['busy_cores']:.2f} cores, "
            f"not ours {load['other_cores']:.2f})",
            flush=True,
        )

    load_before = os.getloadavg()
    started = time.time()
    store = Store()
    broker = None
    try:
        broker = Broker()
        info = machine_info(store)
        embedded_pid = store.embedded.pid if store.embedded else None
        cpu = CpuLoad([os.getpid(), embedded_pid, rabbitmq_pid()])
        print(f"store: {store.kind} {store.uri}; broker vhost {broker.vhost}", flush=True)

        print("1-2. event store", flush=True)
        for rep in range(REPS):
            with cpu.measure() as load:
                single = bench_single_appends(store, size["single"], rep)
            for name, value in single.items():
                add(name, value, load)
            with cpu.measure() as load:
                batched = bench_batched_appends(store, size["batch_commits"], rep)
            add("append_batched_100", batched, load)

        print(f"3. relay (backlog of {size['backlog']:,} single-event commits)", flush=True)
        backlog = build_backlog(store, size["backlog"], size["backlog_streams"])
        sink = "bench-relay-sink"
        broker.declare_sink(sink, f"{SOURCE}.events")
        sample_events = backlog.read_all(0, size["bare_publish"])[: size["bare_publish"]]
        for _rep in range(REPS):
            broker.purge(sink)
            with cpu.measure() as load:
                relayed = bench_relay(broker, backlog, sink, size["backlog"])
            add("relay_confirmed", relayed, load)
            broker.purge(sink)
            with cpu.measure() as load:
                bare_rate = bench_bare_publish(broker, sample_events, sink)
            add("kombu_publish_confirm_each", bare_rate, load)
        broker.delete_queue(sink)

        print(f"4-5. consumers ({size['consume']:,} events each)", flush=True)
        declare_consumer_queues(broker, store)
        # batch_size divides the count, so the queues get exactly `consume` events
        relay = OutboxRelay(backlog, broker.uri, SOURCE, batch_size=min(500, size["consume"]))
        queues = [consumer_queue(cls) for cls in (BareConsumer, InboxConsumer)]
        for rep in range(REPS):
            # the relay fills both consumers' queues with the same events
            for queue in queues:
                broker.purge(queue)
            reset_checkpoint(relay)
            relay.hold_lease()
            relay.publish_pending(max_events=size["consume"])
            relay.reset_connection()
            relay.release_lease()
            depths = [broker.depth(queue) for queue in queues]
            if depths != [size["consume"]] * 2:
                raise RuntimeError(f"consumer queues hold {depths}, want {size['consume']}")
            with cpu.measure() as bare_load:
                bare = consume(BareConsumer, BARE_METER, broker, store, "unused", size["consume"])
            with cpu.measure() as inbox_load:
                inbox = consume(
                    InboxConsumer,
                    INBOX_METER,
                    broker,
                    store,
                    store.db_name(f"inbox_{rep}"),
                    size["consume"],
                )
            applied = store.client[store.dbs[-1]]["applied"].count_documents({})
            if applied != size["consume"]:
                raise RuntimeError(f"inbox applied {applied}, want {size['consume']}")
            add("nameko_bare_ceiling", bare["rate"], bare_load)
            add("inbox_consumer_apply", inbox["rate"], inbox_load)
            notes.setdefault("inbox_outcomes", []).append(inbox["outcomes"])
    finally:
        if broker is not None:
            broker.close()
        store.close()

    figures = {name: summary(values) for name, values in samples.items()}
    for name, figure in figures.items():
        figure["load"] = loads[name]
        figure["other_cores_mean"] = round(
            statistics.fmean(load["other_cores"] for load in loads[name]), 2
        )
    ratios = [
        i / b
        for i, b in zip(
            samples["inbox_consumer_apply"], samples["nameko_bare_ceiling"], strict=True
        )
    ]
    return {
        "date": dt.date.today().isoformat(),
        "started_at": dt.datetime.fromtimestamp(started).isoformat(timespec="seconds"),
        "duration_s": round(time.time() - started, 1),
        "mode": "quick" if quick else "full",
        "sizes": size,
        "repetitions": REPS,
        "machine": info,
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "figures": figures,
        "targets": {
            name: {"target": target, "met": figures[name]["median"] >= target}
            for name, target in TARGETS.items()
        },
        "ratio_inbox_to_bare": {
            "median_of_figures": round(
                figures["inbox_consumer_apply"]["median"]
                / figures["nameko_bare_ceiling"]["median"],
                3,
            ),
            "per_repetition": [round(r, 3) for r in ratios],
        },
        "notes": notes,
    }


LABELS = {
    "append_single_new": "1. single-event appends, new streams (NO_STREAM)",
    "append_single_existing": "1. single-event appends, existing streams (version from a read)",
    "append_existing_back_to_back": "   (info) existing streams, appends back to back",
    "command_cycle_read_then_append": "   (info) read_stream + append, per command",
    "append_batched_100": "2. batched appends, commits of 100 events (events/s)",
    "relay_confirmed": "3. relay publish_pending, pipelined confirms (events/s)",
    "kombu_publish_confirm_each": "   (compare) kombu publish, one confirm per message",
    "inbox_consumer_apply": "4. inbox consumer apply (nameko + Inbox.handle + insert)",
    "nameko_bare_ceiling": "5. bare nameko event_handler ceiling (count only)",
}


def table(result: dict[str, Any]) -> str:
    rows = [
        "| figure | median /s | min | max | target | met | other load (cores) |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for name, label in LABELS.items():
        fig = result["figures"][name]
        target = result["targets"].get(name)
        verdict = (
            f"≥ {target['target']:,} | {'yes' if target['met'] else '**no**'}"
            if target
            else "– | –"
        )
        rows.append(
            f"| {label.strip()} | {fig['median']:,.0f} | {fig['min']:,.0f} | {fig['max']:,.0f} "
            f"| {verdict} | {fig['other_cores_mean']:.2f} |"
        )
    ratio = result["ratio_inbox_to_bare"]
    rows.append(
        f"| ratio inbox consumer / bare ceiling | {ratio['median_of_figures']:.2f} | "
        f"{min(ratio['per_repetition']):.2f} | {max(ratio['per_repetition']):.2f} | – | – | – |"
    )
    return "\n".join(rows)


def markdown_section(result: dict[str, Any]) -> str:
    m = result["machine"]
    return "\n".join(
        [
            f"<!-- run {result['date']} -->",
            f"## {result['date']} ({result['mode']} run, commit {m['git_commit']})",
            "",
            f"Machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gib']} GiB RAM, "
            f"Linux {m['kernel']}; Python {m['python']}, nameko {m['nameko']}, "
            f"eventlet {m['eventlet']}, kombu {m['kombu']}, pymongo {m['pymongo']}, "
            f"nx-27017 {m['nx_27017']} ({m['store']}), RabbitMQ {m['rabbitmq']} "
            f"(Erlang {m['erlang']}).",
            f"Started {result['started_at']}, took {result['duration_s']:.0f} s; "
            f"load average before {result['loadavg_before']}, after {result['loadavg_after']}. "
            f"Each figure: median of {result['repetitions']} repetitions (min, max). "
            f"Sizes: {json.dumps(result['sizes'])}.",
            "",
            table(result),
            "",
            f"Raw samples: `results/kernel-{result['date']}.json`.",
            f"<!-- /run {result['date']} -->",
            "",
        ]
    )


def record_results(result: dict[str, Any], name: str, title: str, section: str) -> Path:
    """Write `results/<name>-<date>.json`; a full run also puts `section` at the top of
    `results/<name>.md`, replacing that date's earlier section."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if result["mode"] == "full" else f"-{result['mode']}"
    path = RESULTS / f"{name}-{result['date']}{suffix}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    if result["mode"] != "full":
        return path  # a smoke run does not replace recorded results
    md = RESULTS / f"{name}.md"
    header = (
        f"# {title}\n\n"
        f"Produced by `python benchmarks/{name}.py` (see `benchmarks/README.md`). "
        "Newest run first; a rerun on the same date replaces that date's section.\n\n"
    )
    text = md.read_text() if md.exists() else header
    begin, end = f"<!-- run {result['date']} -->", f"<!-- /run {result['date']} -->"
    if begin in text and end in text:
        text = text[: text.index(begin)] + text[text.index(end) + len(end) + 1 :]
    body = text[len(header) :] if text.startswith(header) else text
    md.write_text(header + section + "\n" + body.lstrip("\n"))
    return path


def record(result: dict[str, Any]) -> Path:
    return record_results(result, "kernel", "Kernel benchmark results", markdown_section(result))


def main() -> int:
    from yinfa.infra.run_secrets import ensure_run_secrets

    ensure_run_secrets()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke run")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    result = run(args.quick)
    print()
    print(table(result))
    path = record(result)
    print(f"\nwritten: {path.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
