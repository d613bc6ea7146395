"""The end-to-end benchmark: requests through the gateway until the rankings show them.

    python benchmarks/e2e.py           # full run (~10-15 min on 2 cores), records the results
    python benchmarks/e2e.py --quick   # smoke run (< 2 min), writes results/e2e-<date>-quick.json

Every service and the gateway run as separate processes (`yinfa run <name>`), as
deployed, against the real RabbitMQ on 127.0.0.1 (a throw-away vhost) and an embedded
nx-27017 (or MONGO_URI, with databases of a private prefix, dropped afterwards). This
process is the load generator and the referee:

1. setup (not timed): volunteers registered and verified, activities published in the
   past with volunteers signed up, checked in and out, ready to be completed;
2. sustained: many keep-alive HTTP clients, back to back, for a fixed window: volunteer
   registrations and activity completions, one a request; counted as source events
   accepted (answered 2xx) and then reflected in scoring (its intake applied them and its
   fold caught up);
3. the same with roster imports (a partner feed: ROSTER registrations a request, through
   `POST /volunteers/batch`) in place of single registrations: the headline figure;
4. the feed again, shorter, with py-spy recording the gateway, volunteers, scoring and
   the store;
5. freshness at half the feed's event rate: open-loop background load, and probes
   (registrations in a county nothing else touches) timed from the 2xx answer until the
   county ranking counts them, asked of scoring by RPC and through the gateway;
6. a full rebuild of scoring from its own event store (the journal), then its recovery
   from the sources' event logs (backfill, then the same fold), each to phase "done";
7. the bare nameko ceiling: an `@http` route that does nothing, with the same clients;
   relayed events through a handler that only counts; and the platform's fan-out with
   nothing in it: the relay publishing live while three consumer processes, each a handler
   that only counts, take every event;
8. one write a request, as a team without event sourcing would write it (plain_write.py):
   the platform's registrations alone, then the plain nameko write, the same clients and
   window each, back to back.

Bounded: fixed windows, a timeout on every request and on every wait; 127.0.0.1 only.
See benchmarks/README.md, "The end-to-end benchmark".
"""

# ruff: noqa: E402
import eventlet

eventlet.monkey_patch()

import argparse
import datetime as dt
import http.client
import itertools
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

warnings.filterwarnings("ignore")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the kernel benchmark's helpers
sys.path.insert(1, str(HERE.parent))  # the project, unless installed

import amqp.exceptions
import kernel
import kombu
import kombu.exceptions
import plain_write
from kernel import Broker, CpuLoad, Store, machine_info, rabbitmq_pid, record_results
from nameko.exceptions import RemoteError, UnknownService
from nameko.standalone.rpc import ClusterRpcProxy

from contracts.volunteers.id_number import make_id_number
from gateway.accounts.book import AccountBook, DirectStreams
from services.scoring.engine.journal import Journal, unpacked
from services.volunteers.domain.volunteer import volunteer_id_for
from yinfa.infra.embedded_store import free_port
from yinfa.messaging.relay import OutboxRelay
from yinfa.reference import load_city
from yinfa.secrets import ID_SECRET, secret_text
from yinfa.service.subscriptions import every_event_of

HOST = "127.0.0.1"
SERVICES = ("volunteers", "branches", "activities", "scoring", "feeds", "gateway")
SOURCES = ("volunteers", "branches", "activities")
WORK_COUNTY = "320902"  # the activities and their volunteers
PROBE_COUNTY = "320981"  # only the freshness probes register here: its count is theirs
SEATS = 2  # served lines per completion: ActivityCompleted + SEATS HoursRecorded
HOURS = 2
COMPLETION_EVERY = 4  # one request in four completes an activity while any is left
ROSTER = 100  # registrations per roster import (`POST /volunteers/batch`) in the feed mix
EVENTS_PER = {"registration": 1, "completion": 1 + SEATS}  # source events scoring applies
USERNAME, PASSWORD = "bench", "benchmark-password"

SIZES = {  # setup costs 2 + 3 x SEATS commands per activity: the pool is what limits a run
    "full": {"volunteers": 40, "activities": 160, "clients": 32, "feed_clients": 8,
             "warmup_s": 3.0,
             "window_s": 30.0, "profile_s": 15.0, "fresh_s": 40.0, "ceiling_s": 10.0,
             "bare_events": 3000, "fanout_events": 6000, "drain_timeout_s": 240.0,
             "write_s": 15.0},
    "quick": {"volunteers": 6, "activities": 12, "clients": 8, "feed_clients": 4,
              "warmup_s": 1.0,
              "window_s": 4.0, "profile_s": 3.0, "fresh_s": 5.0, "ceiling_s": 2.0,
              "bare_events": 300, "fanout_events": 600, "drain_timeout_s": 60.0,
              "write_s": 6.0},
}
TARGETS = {"sustained_events_per_s": 1000, "freshness_p99_ms": 250,
           "rebuild_events_per_s": 20000}
REQUEST_TIMEOUT = 15.0
READY_TIMEOUT = 90.0
SETUP_TIMEOUT = 180.0
PROBE_TIMEOUT = 10.0
PROBE_POLL = 0.01  # s between two RPC reads of the county ranking while a probe waits
GATEWAY_POLL = 0.02  # s between two gateway reads of the ranking (its 1 s cache applies)
REBUILD_TIMEOUT = 600.0
PROFILE_RATE = 100  # py-spy samples per second
FANOUT_CONSUMERS = 3  # activities, branches and scoring each take every volunteer event
FANOUT_POLL = 0.1  # s between two reads of the counting consumers' tallies
FANOUT_TIMEOUT = 300.0  # s for every consumer to count every event
WRITE_CLIENTS = 32  # the one-write-a-request comparison, in quick runs too
WRITE_ROUNDS = 3  # the platform and the plain write take turns: both meet the same machine


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1)


def latency_summary(values: list[float]) -> dict[str, Any]:
    return {"n": len(values), "p50_ms": pct(values, 0.50), "p90_ms": pct(values, 0.90),
            "p99_ms": pct(values, 0.99), "max_ms": pct(values, 1.0),
            "mean_ms": round(1000 * statistics.fmean(values), 1) if values else None}


# ---- what the clients send -------------------------------------------------------------------


SERIAL = itertools.count(1)  # every registration gets a new ID number


def registration(county: str) -> dict[str, Any]:
    i = next(SERIAL)
    born = date(1950 + (i // 336_000) % 14, 1 + (i // 28_000) % 12, 1 + (i // 1000) % 28)
    seq = i % 1000
    return {"name": f"志愿者{i}", "gender": "男" if seq % 2 else "女",
            "birth_year": born.year, "id_number": make_id_number(county, born, seq),
            "phone": f"139{i:08d}", "county_code": county, "retirement_status": "退休"}


class Work:
    """The next request: a completion of a prepared activity every COMPLETION_EVERY-th
    request while any is left, otherwise a registration in one of the other counties — or,
    with `roster`, a roster import of that many registrations (a partner feed)."""

    def __init__(self, completions: deque, registrations_only: bool = False,
                 roster: int = 0) -> None:
        self.completions = completions
        self.registrations_only = registrations_only
        self.roster = roster
        self.n = 0
        self.counties = itertools.cycle(c for c in sorted(load_city().counties)
                                        if c != PROBE_COUNTY)

    def next(self) -> tuple[str, str, dict[str, Any]]:
        self.n += 1
        if not self.registrations_only and self.n % COMPLETION_EVERY == 0 and self.completions:
            activity_id, body = self.completions.popleft()
            return "completion", f"/activities/{activity_id}/completion", body
        if self.roster:
            county = next(self.counties)
            return "roster", "/volunteers/batch", {
                "items": [registration(county) for _ in range(self.roster)]}
        return "registration", "/volunteers", registration(next(self.counties))

    def events_per_request(self) -> float:
        """Source events of the average request, for pacing an open loop."""
        other = self.roster or EVENTS_PER["registration"]
        if not self.completions or self.registrations_only:
            return float(other)
        return (EVENTS_PER["completion"] + (COMPLETION_EVERY - 1) * other) / COMPLETION_EVERY


def events_of(kind: str, status: int, body: bytes) -> int:
    """Source events one 2xx answer stands for (a roster import says how many it created)."""
    if not 200 <= status < 300:
        return 0
    if kind == "roster":
        return int(json.loads(body)["created"])
    return EVENTS_PER[kind]


class Tally:
    """Answers by kind: 2xx count, other statuses, latencies."""

    def __init__(self) -> None:
        self.ok: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.accepted = 0  # source events of the 2xx answers
        self.latency: dict[str, list[float]] = {}

    def add(self, kind: str, status: int, seconds: float, body: bytes = b"") -> None:
        if 200 <= status < 300:
            self.ok[kind] += 1
            self.accepted += events_of(kind, status, body)
            self.latency.setdefault(kind, []).append(seconds)
        else:
            self.failed[f"{kind} {status or 'no answer'}"] += 1

    def events(self) -> int:
        return self.accepted

    def merge(self, other: "Tally") -> None:
        self.ok.update(other.ok)
        self.failed.update(other.failed)
        self.accepted += other.accepted
        for kind, seconds in other.latency.items():
            self.latency.setdefault(kind, []).extend(seconds)

    def as_dict(self, seconds: float) -> dict[str, Any]:
        requests = sum(self.ok.values())
        return {"seconds": round(seconds, 2), "answered_2xx": dict(self.ok),
                "failed": dict(self.failed), "requests_per_s": round(requests / seconds, 1),
                "source_events": self.events(),
                "source_events_per_s": round(self.events() / seconds, 1),
                "latency": {k: latency_summary(v) for k, v in self.latency.items() if v}}


# ---- HTTP ------------------------------------------------------------------------------------


class Http:
    """One keep-alive connection to the gateway (one per client green thread)."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.conn: http.client.HTTPConnection | None = None

    def send(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        """(status, body); (0, b"") if no answer came. Never retried: a POST may have
        been taken even when its answer was lost."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        try:
            self.conn.request(method, path, body=data, headers=self.headers)
            response = self.conn.getresponse()
            payload = response.read()
            if response.will_close:
                self.close()
            return response.status, payload
        except (OSError, http.client.HTTPException):
            self.close()
            return 0, b""

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def login(port: int) -> str:
    status, body = Http(port).send("POST", "/auth/login",
                                   {"username": USERNAME, "password": PASSWORD})
    if status != 200:
        raise RuntimeError(f"login answered {status}: {body[:200]!r}")
    return str(json.loads(body)["access_token"])


# ---- the platform: one process per service ---------------------------------------------------


class Platform:
    def __init__(self, broker: Broker, store: Store, logs: Path) -> None:
        self.broker, self.store, self.logs = broker, store, logs
        self.prefix = store.db_name("platform")
        for service in SERVICES:
            store.dbs.append(f"{self.prefix}_{service}")
        self.gateway_port = self.bare_port = free_port()
        while self.bare_port == self.gateway_port:  # a port just freed may come back
            self.bare_port = free_port()
        self.config = {"AMQP_URI": broker.uri, "serializer": "json"}
        self.children: dict[str, subprocess.Popen] = {}
        self.proxies: list[ClusterRpcProxy] = []

    def start(self) -> None:
        env = {**os.environ, "AMQP_URI": self.broker.uri, "MONGO_URI": self.store.uri,
               "YINFA_DB_PREFIX": self.prefix, "YINFA_OPS_PORT": "off",
               "YINFA_GATEWAY_ADDRESS": f"{HOST}:{self.gateway_port}",
               # the gateway's per-client rate limit would cap one load generator
               "YINFA_GATEWAY_RATE": "1000000", "YINFA_GATEWAY_BURST": "1000000",
               "YINFA_LOG_LEVEL": "WARNING"}
        db = self.store.client[f"{self.prefix}_gateway"]
        AccountBook(db, DirectStreams(db, actor="benchmark")).open(
            {"username": USERNAME, "password": PASSWORD, "role": "city_admin"})
        yinfa = str(Path(sys.executable).with_name("yinfa"))
        self.logs.mkdir(parents=True, exist_ok=True)
        for name in SERVICES:
            with open(self.logs / f"{name}.log", "wb") as log:
                self.children[name] = subprocess.Popen(
                    [yinfa, "run", name], env=env, stdout=log, stderr=subprocess.STDOUT)
        with open(self.logs / "bare.log", "wb") as log:
            self.children["bare"] = subprocess.Popen(
                [sys.executable, __file__, "--serve-bare", str(self.bare_port), self.broker.uri],
                stdout=log, stderr=subprocess.STDOUT)
        self.rpc = self.proxy()
        deadline = time.monotonic() + READY_TIMEOUT
        for name in (*SOURCES, "scoring"):
            while True:
                self._check_alive()
                try:
                    getattr(self.rpc, name).health()
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{name} did not answer in time") from None
                    time.sleep(0.5)
        for port, path in ((self.gateway_port, "/health"), (self.bare_port, "/ping")):
            while Http(port).send("GET", path)[0] != 200:
                self._check_alive()
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{HOST}:{port}{path} did not answer in time")
                time.sleep(0.5)

    def reset_rpc(self) -> None:
        """A new proxy after the broker came back (the old one's reply queue is gone)."""
        wait_for_broker()
        try:
            self.proxies.pop(0).stop()
        except Exception:
            pass
        self.rpc = self.proxy()
        self.proxies.insert(0, self.proxies.pop())

    def proxy(self) -> Any:
        """A cluster RPC proxy of its own (one per green thread that calls)."""
        proxy = ClusterRpcProxy(self.config, timeout=120)
        self.proxies.append(proxy)
        return proxy.start()

    def _check_alive(self) -> None:
        for name, child in self.children.items():
            if child.poll() is not None:
                raise RuntimeError(f"{name} exited ({child.returncode}); see {self.logs}")

    def pid(self, name: str) -> int:
        return self.children[name].pid

    def pids(self) -> dict[str, int | None]:
        return {name: child.pid for name, child in self.children.items()}

    def stop(self) -> None:
        for proxy in self.proxies:
            try:
                proxy.stop()
            except Exception:
                pass
        for child in self.children.values():
            child.terminate()
        for child in self.children.values():
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()


BROKER_ERRORS = (OSError, kombu.exceptions.OperationalError, amqp.exceptions.AMQPError,
                 eventlet.Timeout)
SETUP_WINDOW = 32  # calls in flight


def wait_for_broker(timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with kombu.Connection(kernel.AMQP_BASE, connect_timeout=5) as connection:
                connection.connect()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


def call_all(platform: Platform, service: str, method: str, payloads: list[dict[str, Any]]
             ) -> list[Any]:
    """One RPC per payload, SETUP_WINDOW in flight, results in order. The machine's
    broker may be restarted by other work: calls that got no answer are sent again on a
    new proxy; a call refused on such a second try is taken as done the first time
    (every setup command here is idempotent or refused when repeated), None as result."""
    results: list[Any] = [None] * len(payloads)
    todo = list(range(len(payloads)))
    for attempt in range(8):
        done: list[int] = []
        try:
            call = getattr(getattr(platform.rpc, service), method)
            pending: deque = deque()
            for i in todo:
                pending.append((i, call.call_async(payloads[i])))
                if len(pending) >= SETUP_WINDOW:
                    j, reply = pending.popleft()
                    results[j] = _answer(reply, attempt)
                    done.append(j)
            while pending:
                j, reply = pending.popleft()
                results[j] = _answer(reply, attempt)
                done.append(j)
            return results
        except BROKER_ERRORS as error:
            say(f"  {service}.{method}: broker lost ({error!r}); {len(todo) - len(done)} "
                f"calls again on a new connection")
            finished = set(done)
            todo = [i for i in todo if i not in finished]
            platform.reset_rpc()
    raise RuntimeError(f"{service}.{method}: the broker kept failing")


def _answer(reply: Any, attempt: int) -> Any:
    try:
        return reply.result()
    except RemoteError:
        if attempt == 0:
            raise
        return None


# ---- setup (not timed) -----------------------------------------------------------------------


def register_volunteers(platform: Platform, count: int) -> list[str]:
    registrations = [registration(WORK_COUNTY) for _ in range(count)]
    shown = call_all(platform, "volunteers", "register_volunteer", registrations)
    secret = secret_text(ID_SECRET)  # the services run with the same secrets
    ids = [v["volunteer_id"] if v else volunteer_id_for(r["id_number"], secret)
           for v, r in zip(shown, registrations, strict=True)]
    call_all(platform, "volunteers", "verify_volunteer",
             [{"volunteer_id": v, "county_code": WORK_COUNTY} for v in ids])
    directory = platform.store.client[f"{platform.prefix}_activities"]["volunteer_directory"]
    deadline = time.monotonic() + SETUP_TIMEOUT
    while directory.count_documents({"verified": True}) < count:
        if time.monotonic() > deadline:
            raise TimeoutError("the activities service did not learn of every volunteer")
        time.sleep(0.3)
    return ids


def prepare_activities(platform: Platform, volunteer_ids: list[str], count: int
                       ) -> deque:
    """`count` activities that ended an hour ago, SEATS volunteers signed up, checked in
    and out of each: (activity id, completion body) pairs, ready to be sent."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=HOURS + 1)
    end = start + timedelta(hours=HOURS)
    before = (start - timedelta(minutes=30)).isoformat()
    publications = [{
        "client_request_id": str(uuid.uuid4()), "theme": "party_story", "kind": "talk",
        "title": f"红色故事进社区 {n}",
        "organiser": {"kind": "bureau", "id": f"county-{WORK_COUNTY}"},
        "county_code": WORK_COUNTY, "place": "亭湖区新时代文明实践站",
        "starts_at": start.isoformat(), "ends_at": end.isoformat(), "capacity": SEATS,
    } for n in range(count)]
    # publishing again with the same client_request_id answers the same activity
    ids = [a["activity_id"] for a in call_all(platform, "activities", "publish_activity",
                                              publications) if a]
    code = "HONGSE2026"
    call_all(platform, "activities", "issue_check_in_code",
             [{"activity_id": aid, "code": code, "at": before} for aid in ids])
    seats = {aid: [volunteer_ids[(n * SEATS + s) % len(volunteer_ids)] for s in range(SEATS)]
             for n, aid in enumerate(ids)}
    everyone = [(aid, vid) for aid in ids for vid in seats[aid]]
    call_all(platform, "activities", "sign_up",
             [{"activity_id": aid, "volunteer_id": vid, "at": before} for aid, vid in everyone])
    for step, at in (("check_in", start), ("check_out", end)):
        call_all(platform, "activities", step, [
            {"activity_id": aid, "volunteer_id": vid, "code": code, "at": at.isoformat()}
            for aid, vid in everyone])
    ready = []
    for shown in call_all(platform, "activities", "get_activity", ids):
        if shown and len(shown["checked_in"]) == SEATS and len(shown["participants"]) == SEATS:
            ready.append(shown["activity_id"])
    return deque((aid, {"audience_reached": 120, "beneficiaries": 30, "outcome": "圆满完成",
                        "served": [{"volunteer_id": vid, "hours": HOURS} for vid in seats[aid]]})
                 for aid in ready)


# ---- what scoring has applied ----------------------------------------------------------------


def scoring_health(rpc: Any) -> dict[str, Any]:
    h = rpc.scoring.health()
    return {"t": time.monotonic(), "applied": int(h["intake"].get("applied", 0)),
            "skipped": int(h["intake"].get("skipped", 0)),
            "dead": int(h["intake"].get("dead-lettered", 0)),
            "head": int(h["journal_head"]), "folded": int(h["folded_position"])}


EVENT_QUEUES = (  # every consumer of a source's events (nameko's queue names)
    "evt-volunteers-#--scoring.on_volunteers_event",
    "evt-branches-#--scoring.on_branches_event",
    "evt-activities-#--scoring.on_activities_event",
    "evt-activities-#--volunteers.on_activities_event",
    "evt-volunteers-#--activities.on_volunteers_event",
)


def quiet(platform: Platform, timeout: float = SETUP_TIMEOUT) -> bool:
    """Until nothing moves: relays have published everything, the event queues are
    empty, scoring folded all it journaled, and the counts stayed put for three looks."""
    deadline = time.monotonic() + timeout
    last: tuple | None = None
    calm = 0
    while calm < 3:
        if time.monotonic() > deadline:
            return False
        try:
            pending = sum(getattr(platform.rpc, s).health()["pending"] for s in SOURCES)
            depth = sum(platform.broker.depth(q) for q in EVENT_QUEUES)
            h = scoring_health(platform.rpc)
        except BROKER_ERRORS as error:
            say(f"  broker lost while waiting ({error!r}); reconnecting")
            platform.reset_rpc()
            platform.broker.connection = kombu.Connection(platform.broker.uri)
            platform.broker.channel = platform.broker.connection.channel()
            calm, last = 0, None
            continue
        now = (pending, depth, h["applied"], h["skipped"], h["head"], h["folded"])
        calm = calm + 1 if (pending == 0 and depth == 0 and h["folded"] >= h["head"]
                            and now == last) else 0
        last = now
        time.sleep(0.3)
    return True


class ProcessCpu:
    """CPU each process of the run used during a block, in cores (1.0 = one core busy):
    which process the time goes to."""

    def __init__(self, pids: dict[str, int | None]) -> None:
        self.pids = {name: pid for name, pid in pids.items() if pid}
        self.hz = os.sysconf("SC_CLK_TCK")

    def _ticks(self) -> dict[str, int]:
        ticks = {}
        for name, pid in self.pids.items():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                ticks[name] = int(fields[11]) + int(fields[12])  # utime + stime
            except (OSError, IndexError, ValueError):
                pass
        return ticks

    @contextmanager
    def measure(self) -> Iterator[dict[str, float]]:
        box: dict[str, float] = {}
        t0, before = time.monotonic(), self._ticks()
        yield box
        elapsed = max(time.monotonic() - t0, 1e-6) * self.hz
        after = self._ticks()
        for name in after:
            if name in before:
                box[name] = round((after[name] - before[name]) / elapsed, 2)


class Usage:
    """The machine's load (kernel.CpuLoad) and each of our processes' share of it."""

    def __init__(self, pids: dict[str, int | None]) -> None:
        self.machine = CpuLoad(list(pids.values()))
        self.processes = ProcessCpu(pids)

    @contextmanager
    def measure(self) -> Iterator[dict[str, Any]]:
        box: dict[str, Any] = {}
        with self.machine.measure() as load, self.processes.measure() as per_process:
            yield box
        box.update(load)
        box["by_process"] = per_process


def source_heads(platform: Platform) -> dict[str, int]:
    return {s: int(getattr(platform.rpc, s).health()["head"]) for s in SOURCES}


@contextmanager
def sampling(platform: Platform, every: float = 0.5) -> Iterator[list[dict[str, Any]]]:
    """scoring's health every `every` s while the block runs: the intake's timeline."""
    samples: list[dict[str, Any]] = []
    rpc = platform.proxy()
    running = [True]

    def loop() -> None:
        while running[0]:
            try:
                sample = scoring_health(rpc)
                # the sources' relays: events appended but not yet published
                sample["unpublished"] = sum(int(getattr(rpc, s).health()["pending"])
                                            for s in SOURCES)
                samples.append(sample)
            except Exception:  # a gap in the timeline, not a failed phase
                pass
            eventlet.sleep(every)

    thread = eventlet.spawn(loop)
    try:
        yield samples
    finally:
        running[0] = False
        thread.wait()


# ---- 2 & 3: sustained load -------------------------------------------------------------------


def closed_loop(port: int, token: str, work: Work, clients: int, seconds: float) -> Tally:
    tally = Tally()
    end = time.monotonic() + seconds

    def client() -> None:
        connection = Http(port, token)
        while time.monotonic() < end:
            kind, path, body = work.next()
            t = time.monotonic()
            status, answer = connection.send("POST", path, body)
            tally.add(kind, status, time.monotonic() - t, answer)
        connection.close()

    pool = eventlet.GreenPool(clients)
    for _ in range(clients):
        pool.spawn(client)
    pool.waitall()
    return tally


def sustained(platform: Platform, token: str, work: Work, clients: int, seconds: float,
              drain_timeout: float, cpu: Usage,
              during: Callable[[], Any] | None = None) -> dict[str, Any]:
    """The closed loop for `seconds`, then until scoring reflects every accepted event."""
    heads0 = source_heads(platform)
    base = scoring_health(platform.rpc)
    load0 = os.getloadavg()
    with cpu.measure() as load, sampling(platform) as timeline:
        started = time.monotonic()
        if during is not None:
            during()
        tally = closed_loop(platform.gateway_port, token, work, clients, seconds)
        answered = time.monotonic()
        in_window = scoring_health(platform.rpc)
        expected = tally.events()
        reflected_at = None
        while True:
            h = scoring_health(platform.rpc)
            if h["applied"] - base["applied"] >= expected and h["folded"] >= h["head"]:
                reflected_at = h["t"]
                break
            if time.monotonic() - answered > drain_timeout:
                break
            eventlet.sleep(0.05)
    window = answered - started
    applied = h["applied"] - base["applied"]
    heads1 = source_heads(platform)
    result = tally.as_dict(window)
    result.update({
        "clients": clients, "loadavg_before": [round(x, 2) for x in load0], "cpu": load,
        "scoring_applied": applied, "scoring_skipped": h["skipped"] - base["skipped"],
        "scoring_dead_lettered": h["dead"] - base["dead"],
        "source_events_appended": {s: heads1[s] - heads0[s] for s in SOURCES},
        "scoring_applied_per_s_during_window": round(
            (in_window["applied"] - base["applied"]) / window, 1),
        "reflected": reflected_at is not None,
        "drain_s": round((reflected_at or h["t"]) - answered, 2),
        "reflected_events_per_s": round(
            (expected if reflected_at else applied) / ((reflected_at or h["t"]) - started), 1),
        "timeline": [{"s": round(s["t"] - started, 2), "applied": s["applied"] - base["applied"],
                      "unpublished": s["unpublished"], "fold_behind": s["head"] - s["folded"]}
                     for s in timeline],
    })
    return result


# ---- profiling -------------------------------------------------------------------------------


PROFILED = ("gateway", "volunteers", "scoring")  # and the embedded store, when there is one


def start_profilers(targets: dict[str, int], seconds: float, out: Path
                    ) -> list[subprocess.Popen]:
    spy = str(Path(sys.executable).with_name("py-spy"))
    out.mkdir(parents=True, exist_ok=True)
    return [subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--duration", str(int(seconds)),
         "--rate", str(PROFILE_RATE), "--nonblocking", "--full-filenames", "--format", "raw",
         "--output", str(out / f"{name}.txt")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for name, pid in targets.items()]


def _short(path: str) -> str:
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1]
    root = str(HERE.parent) + "/"
    if path.startswith(root):
        return path[len(root):]
    if "/lib/python3" in path:
        return "stdlib/" + path.split("/lib/python3", 1)[1].split("/", 1)[-1]
    return path


def _frame(frame: str) -> tuple[str, str]:
    """'func (path:line)' -> ('func (short path)', package)."""
    name, _, rest = frame.rpartition(" (")
    path = _short(rest.rstrip(")").rsplit(":", 1)[0])
    package = path.split("/", 1)[0]
    if package == "stdlib":
        package = "stdlib/" + path.split("/")[1].removesuffix(".py")
    return f"{name} ({path})", package


IDLE_LEAVES = ("Hub.do_poll (eventlet/hubs/epolls.py)",)  # the hub waiting in epoll


def summarise_profile(path: Path, top: int = 15) -> dict[str, Any]:
    """Where a process spent its busy samples: the functions and packages the time is
    spent in itself (self) and below (inclusive), in % of busy samples. Samples of the
    eventlet hub waiting in epoll are idle time, counted apart."""
    own: Counter[str] = Counter()
    below: Counter[str] = Counter()
    own_pkg: Counter[str] = Counter()
    below_pkg: Counter[str] = Counter()
    total = idle = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_frame(f) for f in stack.split(";") if " (" in f]
        if not frames:
            continue
        if frames[-1][0] in IDLE_LEAVES:
            idle += n
            continue
        total += n
        own[frames[-1][0]] += n
        own_pkg[frames[-1][1]] += n
        for name in {f[0] for f in frames}:
            below[name] += n
        for package in {f[1] for f in frames}:
            below_pkg[package] += n

    def share(counter: Counter[str], k: int) -> list[list[Any]]:
        return [[name, round(100 * n / total, 1)] for name, n in counter.most_common(k)]

    if not total:
        return {"busy_samples": 0, "idle_samples": idle}
    return {"busy_samples": total, "idle_samples": idle, "rate_hz": PROFILE_RATE,
            "self": share(own, top), "self_by_package": share(own_pkg, 12),
            "inclusive_by_package": share(below_pkg, 16), "inclusive": share(below, 60)}


# ---- 4: freshness ----------------------------------------------------------------------------


def probe_count(items: list[dict[str, Any]]) -> int:
    for county in items:
        if county["county_code"] == PROBE_COUNTY:
            for row in county["rows"]:
                if row["code"] == "volunteer_participation":
                    return int(Decimal(row["raw"]))
    raise RuntimeError(f"no participation row for {PROBE_COUNTY}")


def open_loop(port: int, token: str, work: Work, rate: float, seconds: float, tally: Tally
              ) -> None:
    """Request i is due at start + i / rate, on one of a pool of keep-alive connections."""
    connections: eventlet.queue.LightQueue = eventlet.queue.LightQueue()
    pool = eventlet.GreenPool(1000)
    start = time.monotonic() + 0.05

    def one() -> None:
        connection = connections.get() if not connections.empty() else Http(port, token)
        kind, path, body = work.next()
        t = time.monotonic()
        status, answer = connection.send("POST", path, body)
        tally.add(kind, status, time.monotonic() - t, answer)
        connections.put(connection)

    for i in range(int(rate * seconds)):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            eventlet.sleep(delay)
        pool.spawn(one)
    pool.waitall()
    while not connections.empty():
        connections.get().close()


def freshness(platform: Platform, token: str, work: Work, event_rate: float, seconds: float,
              cpu: Usage) -> dict[str, Any]:
    """Background load at `event_rate` source events/s (the sustained mix) while probes,
    one after the other, register a volunteer in PROBE_COUNTY and wait for the ranking."""
    request_rate = max(1.0, event_rate / work.events_per_request())
    rpc = platform.proxy()
    gateway = Http(platform.gateway_port, token)
    prober = Http(platform.gateway_port, token)
    background = Tally()
    probes: list[dict[str, Any]] = []
    seen_by_gateway: list[tuple[float, int]] = []
    end = time.monotonic() + seconds
    stop = [False]

    def watch_gateway() -> None:
        while not stop[0]:
            status, body = gateway.send("GET", "/rankings/counties")
            if status == 200:
                seen_by_gateway.append((time.monotonic(), probe_count(json.loads(body)["items"])))
            eventlet.sleep(GATEWAY_POLL)

    def probe_loop() -> None:
        count = probe_count(rpc.scoring.county_ranking())
        while time.monotonic() < end:
            sent = time.monotonic()
            status, answer = prober.send("POST", "/volunteers", registration(PROBE_COUNTY))
            answered, answered_wall = time.monotonic(), time.time()
            if status != 201:
                probes.append({"status": status})
                continue
            count += 1
            seen = None
            while time.monotonic() - answered < PROBE_TIMEOUT:
                if probe_count(rpc.scoring.county_ranking()) >= count:
                    seen = time.monotonic()
                    break
                eventlet.sleep(PROBE_POLL)
            probes.append({"status": status, "count": count, "answer_s": answered - sent,
                           "answered": answered, "seen_rpc": seen,
                           "answered_wall": answered_wall,
                           "seen_wall": None if seen is None else answered_wall + seen - answered,
                           "stream_id": f"volunteer-{json.loads(answer)['volunteer_id']}"})
            if seen is None:  # resynchronise: the next probe counts from what is shown
                count = probe_count(rpc.scoring.county_ranking())
            eventlet.sleep(0.05)

    heads0 = source_heads(platform)
    base = scoring_health(platform.rpc)
    load0 = os.getloadavg()
    with cpu.measure() as load:
        started = time.monotonic()
        watcher = eventlet.spawn(watch_gateway)
        prober_thread = eventlet.spawn(probe_loop)
        open_loop(platform.gateway_port, token, work, request_rate, seconds, background)
        prober_thread.wait()
        eventlet.sleep(1.5)  # the gateway's ranking cache lives 1 s: let it show the last
        stop[0] = True
        watcher.wait()
        elapsed = time.monotonic() - started
    h = scoring_health(platform.rpc)
    heads1 = source_heads(platform)
    gateway.close()
    prober.close()

    fresh_rpc, fresh_gateway, missed = [], [], 0
    for p in probes:
        if "count" not in p:
            continue
        if p["seen_rpc"] is None:
            missed += 1
        else:
            fresh_rpc.append(p["seen_rpc"] - p["answered"])
        first = next((t for t, c in seen_by_gateway if t >= p["answered"] and c >= p["count"]),
                     None)
        if first is not None:
            fresh_gateway.append(first - p["answered"])
    result = background.as_dict(elapsed)
    result.update({
        "target_event_rate": round(event_rate, 1), "request_rate": round(request_rate, 1),
        "loadavg_before": [round(x, 2) for x in load0], "cpu": load,
        "scoring_applied_per_s": round((h["applied"] - base["applied"]) / elapsed, 1),
        "source_events_appended": {s: heads1[s] - heads0[s] for s in SOURCES},
        "probes": len(probes), "probes_failed": sum(1 for p in probes if "count" not in p),
        "probes_not_seen": missed,
        "probe_answer": latency_summary([p["answer_s"] for p in probes if "answer_s" in p]),
        "freshness_rpc": latency_summary(fresh_rpc),
        "freshness_gateway_cached": latency_summary(fresh_gateway),
        "stages": probe_stages(platform, probes, base["head"]),
    })
    return result


def probe_stages(platform: Platform, probes: list[dict[str, Any]], journal_from: int
                 ) -> dict[str, Any]:
    """Each probe's freshness split where scoring journaled its event: answered → journaled
    (the source's relay, the broker, scoring's intake) and journaled → seen (the fold's
    follower, the ranking query). The journal entry's recorded_at is the intake's clock;
    the probe's are this machine's too."""
    journal = Journal(platform.store.client[f"{platform.prefix}_scoring"])
    journaled: dict[str, float] = {}
    for entry in journal.iter_after(journal_from, 200):
        for _, _, stream_id, version, _, _ in unpacked(entry):
            if version == 1 and stream_id.startswith("volunteer-"):
                journaled.setdefault(stream_id, entry.recorded_at.timestamp())
    to_journal, to_seen = [], []
    for p in probes:
        at = journaled.get(p.get("stream_id", ""))
        if at is None or p.get("seen_wall") is None:
            continue
        to_journal.append(at - p["answered_wall"])
        to_seen.append(p["seen_wall"] - at)
    return {"answered_to_journaled": latency_summary(to_journal),
            "journaled_to_seen": latency_summary(to_seen)}


# ---- 5: the bare nameko ceiling --------------------------------------------------------------


def serve_bare(port: int, amqp_uri: str) -> None:
    """A nameko service with one @http route that does nothing (run as a child)."""
    from nameko.runners import ServiceRunner
    from nameko.web.handlers import http as http_entrypoint

    class Bare:
        name = "bare"

        @http_entrypoint("GET", "/ping")
        def ping(self, request: Any) -> str:
            return ""

    runner = ServiceRunner({"AMQP_URI": amqp_uri, "WEB_SERVER_ADDRESS": f"{HOST}:{port}"})
    runner.add_service(Bare)
    runner.start()
    runner.wait()


def http_ceiling(port: int, clients: int, seconds: float) -> dict[str, Any]:
    end = time.monotonic() + seconds
    counts: Counter[str] = Counter()

    def client() -> None:
        connection = Http(port)
        while time.monotonic() < end:
            counts["ok" if connection.send("GET", "/ping")[0] == 200 else "failed"] += 1
        connection.close()

    started = time.monotonic()
    pool = eventlet.GreenPool(clients)
    for _ in range(clients):
        pool.spawn(client)
    pool.waitall()
    elapsed = time.monotonic() - started
    return {"requests": counts["ok"], "failed": counts["failed"],
            "requests_per_s": round(counts["ok"] / elapsed, 1)}


class BareConsumer:
    """The kernel's bare consumer, counting each event of a delivery (a delivery is a
    batch: kernel.BareConsumer counts deliveries, and would wait for ever)."""

    name = kernel.BareConsumer.name

    @every_event_of(kernel.SOURCE)
    def on_event(self, payloads: list[Any]) -> None:
        for _ in payloads:
            kernel.BARE_METER.tick()


def event_ceiling(broker: Broker, store: Store, events: int) -> dict[str, Any]:
    """The kernel's bare consumer: relayed events through a handler that only counts."""
    container = kernel.ServiceContainer(BareConsumer,
                                        kernel.container_config(broker, store, "unused"))
    container.start()  # declares its queue, which then collects the relay's messages
    container.stop()
    backlog = kernel.build_backlog(store, events, min(2000, events))
    relay = OutboxRelay(backlog, broker.uri, kernel.SOURCE, batch_size=min(500, events))
    relay.hold_lease()
    relay.publish_pending(max_events=events)
    relay.reset_connection()
    relay.release_lease()
    consumed = kernel.consume(BareConsumer, kernel.BARE_METER, broker, store, "unused", events)
    return {"events": events, "events_per_s": round(consumed["rate"], 1)}


COUNTED: dict[str, float] = {"events": 0, "last": 0.0}  # a counting child's tally


def serve_counter(service: str, amqp_uri: str, mongo_uri: str, batched: bool = False) -> None:
    """A nameko service `service` whose handler takes every kernel.SOURCE event and only
    counts it (with `batched`, in the kernel's batches, as the platform's consumers take
    theirs; else with nameko's own handler, a worker a message); its RPC tells the count
    and when the last one came (run as a child)."""
    from nameko.events import event_handler
    from nameko.runners import ServiceRunner

    from yinfa.service.rpc import rpc as rpc_entrypoint

    class Counting:
        name = service

        @(every_event_of(kernel.SOURCE) if batched else event_handler(kernel.SOURCE, "#"))
        def on_event(self, payload: Any) -> None:
            COUNTED["events"] += len(payload) if isinstance(payload, list) else 1
            COUNTED["last"] = time.monotonic()  # CLOCK_MONOTONIC: the parent's clock too

        @rpc_entrypoint
        def counted(self) -> dict[str, float]:
            return dict(COUNTED)

    # as kernel.container_config: the handler writes nothing, so no database of its own
    runner = ServiceRunner({"AMQP_URI": amqp_uri, "MONGO_URI": mongo_uri,
                            "DB_NAME": "unused", "serializer": "json"})
    runner.add_service(Counting)
    runner.start()
    runner.wait()


def counter_queue(service: str) -> str:
    """The queue nameko declares for the counting service's handler."""
    return f"evt-{kernel.SOURCE}-#--{service}.on_event"


def start_counters(services: list[str], broker: Broker, store: Store, logs: Path,
                   batched: bool) -> dict[str, subprocess.Popen]:
    logs.mkdir(parents=True, exist_ok=True)
    children = {}
    for service in services:
        with open(logs / f"{service}.log", "wb") as log:
            children[service] = subprocess.Popen(
                [sys.executable, __file__, "--serve-counter", service, broker.uri, store.uri,
                 *(["--batched"] if batched else [])],
                stdout=log, stderr=subprocess.STDOUT)
    return children


def stop_children(children: dict[str, subprocess.Popen]) -> None:
    for child in children.values():
        child.terminate()
    for child in children.values():
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=30)


def alive(children: dict[str, subprocess.Popen]) -> None:
    for name, child in children.items():
        if child.poll() is not None:
            raise RuntimeError(f"{name} exited ({child.returncode})")


def declared(broker: Broker, queue: str) -> bool:
    """Whether the queue exists (a connection of its own: a failed passive declare
    closes its channel)."""
    try:
        with kombu.Connection(broker.uri, connect_timeout=5) as connection:
            connection.default_channel.queue_declare(queue, passive=True)
        return True
    except amqp.exceptions.NotFound:
        return False


def counters_ready(rpc: Any, children: dict[str, subprocess.Popen], broker: Broker) -> None:
    """Until every child answers its RPC and its event queue exists: a message published
    before the queue is bound would reach no one."""
    deadline = time.monotonic() + READY_TIMEOUT
    for service in children:
        while True:
            alive(children)
            try:
                getattr(rpc, service).counted()
                if declared(broker, counter_queue(service)):
                    break
            except BROKER_ERRORS + (RemoteError, UnknownService):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{service} did not answer in time")
            time.sleep(0.5)


def counted_by_all(rpc: Any, children: dict[str, subprocess.Popen], events: int
                   ) -> dict[str, dict[str, float]]:
    """The tallies once every child has counted `events`, read every FANOUT_POLL s; a
    child that is done is not asked again (each RPC costs the children some CPU)."""
    deadline = time.monotonic() + FANOUT_TIMEOUT
    counts: dict[str, dict[str, float]] = {}
    while True:
        alive(children)
        for service in children:
            if counts.get(service, {}).get("events", 0) < events:
                counts[service] = getattr(rpc, service).counted()
        if all(c["events"] >= events for c in counts.values()):
            return counts
        if time.monotonic() > deadline:
            raise TimeoutError(f"counted {[int(c['events']) for c in counts.values()]} of "
                               f"{events} events in {FANOUT_TIMEOUT:.0f} s")
        eventlet.sleep(FANOUT_POLL)


def fanout_ceiling(broker: Broker, store: Store, events: int, logs: Path,
                   pids: dict[str, int], batched: bool = False,
                   consumers: int = FANOUT_CONSUMERS) -> dict[str, Any]:
    """The platform's shape with nothing in it: the relay publishes `events` live (publisher
    confirms) while `consumers` processes, each a service whose handler only counts, take
    every one. The figure: events / (first publish → the last child's last event). CPU
    over that window, by process (`pids`: the run's, and the children)."""
    # event_ceiling's queue is bound to the same exchange: it would be a fourth to fill
    broker.delete_queue(kernel.consumer_queue(kernel.BareConsumer))
    # a database of its own: event_ceiling's relay used "backlog"'s checkpoint and lease
    backlog = kernel.build_backlog(store, events, min(2000, events), label="fanout_backlog")
    # batch_size divides the count, so exactly `events` are published
    relay = OutboxRelay(backlog, broker.uri, kernel.SOURCE, batch_size=min(500, events))
    kind = "batched" if batched else "one"
    children = start_counters([f"bare_fanout_{kind}_{n}" for n in range(1, consumers + 1)],
                              broker, store, logs, batched)
    proxy = ClusterRpcProxy({"AMQP_URI": broker.uri, "serializer": "json"}, timeout=30)
    publishing = None

    def publish() -> tuple[int, float]:
        return relay.publish_pending(max_events=events), time.monotonic()

    try:
        rpc = proxy.start()
        counters_ready(rpc, children, broker)
        if not relay.hold_lease():
            raise RuntimeError("another relay holds the fan-out backlog's lease")
        relay._publisher_for()  # connect outside the timed part, as kernel.bench_relay
        cpu = Usage({**pids, **{name: child.pid for name, child in children.items()}})
        with cpu.measure() as load:
            started = time.monotonic()
            publishing = eventlet.spawn(publish)
            counts = counted_by_all(rpc, children, events)
            with eventlet.Timeout(60):
                published, published_at = publishing.wait()
    finally:
        if publishing is not None and not publishing.dead:
            publishing.kill()
        relay.reset_connection()
        relay.release_lease()
        try:
            proxy.stop()
        finally:
            stop_children(children)
        try:  # durable: they would collect every later kernel.SOURCE event
            for service in children:
                broker.delete_queue(counter_queue(service))
        except BROKER_ERRORS as error:
            say(f"  fan-out queues not deleted ({error!r}); the vhost goes at the end")
    if published != events or any(c["events"] != events for c in counts.values()):
        raise RuntimeError(f"published {published}, counted "
                           f"{[int(c['events']) for c in counts.values()]}, want {events}")
    seconds = max(c["last"] for c in counts.values()) - started
    return {"events": events, "consumers": consumers,
            "events_per_s": round(events / seconds, 1), "seconds": round(seconds, 3),
            "published_s": round(published_at - started, 3),
            "consumer_done_s": {name: round(c["last"] - started, 3)
                                for name, c in counts.items()},
            "cpu": load}


# ---- 6: rebuild ------------------------------------------------------------------------------


# ---- 8: one write a request, against the plain nameko write ----------------------------------


@contextmanager
def plain_write_running(broker: Broker, store: Store, logs: Path
                        ) -> Iterator[tuple[int, dict[str, Any], dict[str, subprocess.Popen]]]:
    """plain_write.py's five services as processes: (gateway port, their databases,
    the processes)."""
    prefix = store.db_name("plain")
    store.dbs.extend(plain_write.database_name(prefix, s) for s in plain_write.SERVICES)
    port = free_port()
    logs.mkdir(parents=True, exist_ok=True)
    children: dict[str, subprocess.Popen] = {}
    try:
        for service in plain_write.SERVICES:
            with open(logs / f"{service}.log", "wb") as log:
                children[service] = subprocess.Popen(
                    [sys.executable, __file__, "--serve-plain", service, str(port), broker.uri,
                     store.uri, prefix], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + READY_TIMEOUT
        while Http(port).send("GET", "/ping")[0] != 200 or not all(
                declared(broker, plain_write.consumer_queue(c)) for c in plain_write.CONSUMERS):
            alive(children)
            if time.monotonic() > deadline:
                raise RuntimeError("the plain write's services did not start in time")
            time.sleep(0.5)
        yield port, {s: store.client[plain_write.database_name(prefix, s)]
                     for s in (plain_write.WRITER, *plain_write.CONSUMERS)}, children
    finally:
        stop_children(children)


def one_write_a_request(platform: Platform, token: str, broker: Broker, store: Store,
                        size: dict[str, Any], pids: dict[str, int | None]) -> dict[str, Any]:
    """Registrations alone through the platform and through the plain write, WRITE_CLIENTS
    back to back, taking turns for WRITE_ROUNDS rounds so that both meet the same machine;
    then until scoring reflects every accepted registration and the plain write's three
    consumers hold every document its writer holds."""
    work = Work(deque(), registrations_only=True)
    with plain_write_running(broker, store, platform.logs) as (port, dbs, children):
        targets = {"platform": (platform.gateway_port, token), "plain": (port, "")}
        for target, key in targets.values():
            closed_loop(target, key, work, WRITE_CLIENTS, size["warmup_s"])
        quiet(platform)

        def documents() -> dict[str, int]:
            return {s: db.volunteers.count_documents({}) for s, db in dbs.items()}

        base, before = scoring_health(platform.rpc), documents()
        tallies = {name: Tally() for name in targets}
        seconds = dict.fromkeys(targets, 0.0)
        drained: dict[str, float] = {}
        cpu = Usage({**pids, **{name: child.pid for name, child in children.items()}})
        with cpu.measure() as load:
            for _ in range(WRITE_ROUNDS):
                for name, (target, key) in targets.items():
                    t = time.monotonic()
                    tallies[name].merge(closed_loop(target, key, work, WRITE_CLIENTS,
                                                    size["write_s"] / WRITE_ROUNDS))
                    seconds[name] += time.monotonic() - t
            answered = time.monotonic()
            while len(drained) < 2 and time.monotonic() - answered < size["drain_timeout_s"]:
                h = scoring_health(platform.rpc)
                if "platform" not in drained and h["folded"] >= h["head"] and (
                        h["applied"] - base["applied"] >= tallies["platform"].events()):
                    drained["platform"] = time.monotonic()
                counts = {s: n - before[s] for s, n in documents().items()}
                if "plain" not in drained and all(
                        n >= counts[plain_write.WRITER] for n in counts.values()):
                    drained["plain"] = time.monotonic()
                eventlet.sleep(0.05)
    result: dict[str, Any] = {"rounds": WRITE_ROUNDS, "cpu": load, "documents": counts}
    for name, tally in tallies.items():
        result[name] = {**tally.as_dict(seconds[name]), "clients": WRITE_CLIENTS,
                        "reflected": name in drained,
                        "drain_s": round(drained.get(name, time.monotonic()) - answered, 2)}
    result["ratios"] = write_ratios(result["platform"], result["plain"])
    return result


def write_ratios(platform: dict[str, Any], plain: dict[str, Any]) -> dict[str, float | None]:
    """The platform's one-write-a-request figures over the plain write's: requests/s
    (≥ 0.8 is the target) and answer times (p50, p99: below 1 is faster)."""
    def latency(phase: dict[str, Any], key: str) -> float | None:
        return phase.get("latency", {}).get("registration", {}).get(key)

    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 3) if a is not None and b else None

    return {"requests": ratio(platform.get("requests_per_s"), plain.get("requests_per_s")),
            "p50": ratio(latency(platform, "p50_ms"), latency(plain, "p50_ms")),
            "p99": ratio(latency(platform, "p99_ms"), latency(plain, "p99_ms"))}


def rebuilt_scoring(rpc: Any, from_sources: bool) -> tuple[dict[str, Any], dict[str, float]]:
    """Start a rebuild of scoring and wait for phase done: (progress, phase → first seen s)."""
    phases: dict[str, float] = {}
    started = time.monotonic()
    rpc.scoring.rebuild(from_sources=from_sources)
    while True:
        progress = rpc.scoring.rebuild_progress()
        phases.setdefault(progress["phase"], round(time.monotonic() - started, 3))
        if progress["phase"] in ("done", "failed"):
            break
        if time.monotonic() - started > REBUILD_TIMEOUT:
            raise TimeoutError(f"rebuild still at {progress}")
        eventlet.sleep(0.05)
    if progress["phase"] != "done":
        raise RuntimeError(f"rebuild failed: {progress}")
    return progress, phases


def rebuild(platform: Platform, cpu: Usage) -> dict[str, Any]:
    """A full rebuild of scoring from its own event store (the journal of every accepted
    source event), then the recovery from the sources' logs (backfill, then the same)."""
    rpc = platform.rpc
    before = rpc.scoring.county_ranking()
    load0 = os.getloadavg()
    with cpu.measure() as full_load:
        full, _ = rebuilt_scoring(rpc, from_sources=False)
    after_full = rpc.scoring.county_ranking()
    with cpu.measure() as load:
        progress, phases = rebuilt_scoring(rpc, from_sources=True)
    after = rpc.scoring.county_ranking()
    read = sum(s["read"] for s in progress["sources"].values())
    kept = sum(s["kept"] for s in progress["sources"].values())
    seconds = float(progress["seconds"])
    backfill_s = phases.get("fold", seconds) - min(
        (t for name, t in phases.items() if name.startswith("backfill")), default=0.0)
    fold_s = progress["folded"] / progress["fold_events_per_second"] if progress[
        "fold_events_per_second"] else None
    full_s = float(full["seconds"])
    return {
        "loadavg_before": [round(x, 2) for x in load0], "cpu": load,
        "full": {"journal_events": full["folded"], "seconds": full_s,
                 "events_per_s": round(full["folded"] / full_s, 1) if full_s else None,
                 "fold_events_per_s": full["fold_events_per_second"], "cpu": full_load,
                 "ranking_unchanged": before == after_full},
        "source_events_read": read, "source_events_kept": kept,
        "journal_folded": progress["folded"], "seconds": seconds,
        "source_events_per_s": round(read / seconds, 1),
        "backfill_s": round(backfill_s, 3),
        "backfill_events_per_s": round(read / backfill_s, 1) if backfill_s > 0 else None,
        "fold_s": round(fold_s, 3) if fold_s else None,
        "fold_events_per_s": progress["fold_events_per_second"],
        "phases_first_seen_s": phases, "sources": progress["sources"],
        "ranking_unchanged": before == after,
    }


def broker_when_up(timeout: float = 120.0) -> Broker:
    """A throw-away vhost; RabbitMQ may be restarting (the machine is shared): retried."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return Broker()
        except Exception:
            if time.monotonic() > deadline:
                raise
            say("RabbitMQ not answering; retrying in 5 s")
            time.sleep(5)


# ---- the run ---------------------------------------------------------------------------------


def run(mode: str) -> dict[str, Any]:
    size = SIZES[mode]
    started = time.time()
    load_before = os.getloadavg()
    store = Store()
    broker = platform = None
    workdir = Path(tempfile.mkdtemp(prefix="yinfa-e2e-"))
    result: dict[str, Any] = {"benchmark": "e2e", "mode": mode,
                              "date": dt.date.today().isoformat(), "sizes": size,
                              "seats": SEATS, "completion_every": COMPLETION_EVERY}
    finished = False
    try:
        broker = broker_when_up()
        result["machine"] = machine_info(store)
        platform = Platform(broker, store, workdir / "logs")
        platform.start()
        cpu = Usage({"load generator": os.getpid(), **platform.pids(),
                     "nx-27017": store.embedded.pid if store.embedded else None,
                     "rabbitmq": rabbitmq_pid()})
        say(f"platform up: {', '.join(SERVICES)} as processes; vhost {broker.vhost}; "
            f"logs in {workdir / 'logs'}")
        token = login(platform.gateway_port)

        t = time.monotonic()
        volunteer_ids = register_volunteers(platform, size["volunteers"])
        pool = prepare_activities(platform, volunteer_ids, size["activities"])
        quiet(platform)
        result["setup_s"] = round(time.monotonic() - t, 1)
        say(f"setup: {len(volunteer_ids)} volunteers, {len(pool)} activities ready "
            f"({result['setup_s']} s)")

        closed_loop(platform.gateway_port, token, Work(deque(), registrations_only=True),
                    size["clients"], size["warmup_s"])
        quiet(platform)
        say("sustained window")
        work = Work(pool)
        for attempt in (1, 2):  # once more if the shared broker was restarted under it
            try:
                result["sustained"] = s = sustained(
                    platform, token, work, size["clients"], size["window_s"],
                    size["drain_timeout_s"], cpu)
                break
            except BROKER_ERRORS + (RemoteError,) as error:
                if attempt == 2:
                    raise
                say(f"  sustained window failed ({error!r}); once more")
                platform.reset_rpc()
                quiet(platform)
        say(f"  {s['requests_per_s']} req/s, {s['source_events_per_s']} source events/s "
            f"accepted; reflected in scoring at {s['reflected_events_per_s']} events/s "
            f"(drain {s['drain_s']} s); {len(pool)} activities left")
        quiet(platform)
        # the same through roster imports (partner feeds): the per-request costs shared by
        # ROSTER registrations; completions keep their turn while prepared ones last
        say(f"sustained window, roster feed ({ROSTER} registrations a request)")
        work = Work(pool, roster=ROSTER)
        result["feed"] = fs = sustained(platform, token, work, size["feed_clients"],
                                        size["window_s"], size["drain_timeout_s"], cpu)
        say(f"  {fs['requests_per_s']} req/s, {fs['source_events_per_s']} source events/s "
            f"accepted; reflected in scoring at {fs['reflected_events_per_s']} events/s "
            f"(drain {fs['drain_s']} s)")
        quiet(platform)

        def profiled() -> dict[str, Any]:
            profiles = workdir / "profiles"
            spies: list[subprocess.Popen] = []
            targets = {name: platform.pid(name) for name in PROFILED}
            if store.embedded is not None:
                targets["nx-27017"] = store.embedded.pid
            p = sustained(platform, token, work, size["feed_clients"], size["profile_s"],
                          size["drain_timeout_s"], cpu, during=lambda: spies.extend(
                              start_profilers(targets, size["profile_s"], profiles)))
            for spy in spies:
                spy.wait(timeout=60)
            result["profiles"] = {name: summarise_profile(profiles / f"{name}.txt")
                                  for name in targets if (profiles / f"{name}.txt").exists()}
            say(f"  {p['requests_per_s']} req/s, reflected {p['reflected_events_per_s']} "
                f"events/s under py-spy")
            return p

        def fresh() -> dict[str, Any]:
            f = freshness(platform, token, work, fs["reflected_events_per_s"] / 2,
                          size["fresh_s"], cpu)
            say(f"  {f['probes']} probes: RPC p50 {f['freshness_rpc']['p50_ms']} ms, p99 "
                f"{f['freshness_rpc']['p99_ms']} ms; through the gateway (1 s cache) p50 "
                f"{f['freshness_gateway_cached']['p50_ms']} ms, p99 "
                f"{f['freshness_gateway_cached']['p99_ms']} ms")
            return f

        def rebuilt() -> dict[str, Any]:
            r = rebuild(platform, cpu)
            say(f"  full: {r['full']['journal_events']} journal events in "
                f"{r['full']['seconds']} s ({r['full']['events_per_s']} events/s)")
            say(f"  from the sources: {r['source_events_read']} source events in "
                f"{r['seconds']} s: backfill "
                f"{r['backfill_events_per_s']} events/s, fold {r['fold_events_per_s']} "
                f"events/s; ranking unchanged: {r['ranking_unchanged']}")
            return r

        def one_write() -> dict[str, Any]:
            w = one_write_a_request(platform, token, broker, store, size, cpu.processes.pids)
            say(f"  platform {w['platform']['requests_per_s']} req/s, plain write "
                f"{w['plain']['requests_per_s']} req/s; ratios {w['ratios']}")
            return w

        def bare_http() -> dict[str, Any]:
            http_ceiling(platform.bare_port, size["clients"], size["warmup_s"])
            with cpu.measure() as load:
                figure = http_ceiling(platform.bare_port, size["clients"], size["ceiling_s"])
            return {**figure, "cpu": load}

        def bare_events() -> dict[str, Any]:
            with cpu.measure() as load, eventlet.Timeout(300):
                figure = event_ceiling(broker, store, size["bare_events"])
            return {**figure, "cpu": load}

        def bare_fanout(batched: bool = False) -> dict[str, Any]:
            # CPU over the timed window only, with the three consumers' processes in it
            f = fanout_ceiling(broker, store, int(size["fanout_events"]), platform.logs,
                               cpu.processes.pids, batched)
            say(f"  {f['events_per_s']:,} events/s: {f['events']:,} events in "
                f"{f['seconds']} s (published in {f['published_s']} s)")
            return f

        # each phase below is recorded even when a later one fails (the broker is shared
        # and may be restarted under the run): a failed phase records its error
        for name, label, phase in (
                ("write", f"one write a request, {WRITE_CLIENTS} clients: the platform, "
                 "then the plain nameko write", one_write),
                ("profiled", "profiled sustained window", profiled),
                ("freshness", "freshness at half the sustained rate", fresh),
                ("rebuild", "rebuilds of scoring: its journal, then the sources", rebuilt),
                ("bare_http", "bare nameko @http ceiling", bare_http),
                ("bare_events", "bare nameko event handler ceiling", bare_events),
                ("bare_fanout", "bare nameko fan-out ceiling (relay → three counting "
                 "consumers)", bare_fanout),
                ("bare_fanout_batched", "the same, the consumers taking batches as the "
                 "platform's do", lambda: bare_fanout(batched=True))):
            say(label)
            try:
                quiet(platform)
                result[name] = phase()
            except (Exception, eventlet.Timeout) as error:  # a Timeout is no Exception
                say(f"  {name} failed: {error!r}")
                result[name] = {"error": repr(error)}
        http_rps = result["bare_http"].get("requests_per_s")
        events_rate = result["bare_events"].get("events_per_s")
        fanout_rate = result["bare_fanout"].get("events_per_s")
        batched_rate = result["bare_fanout_batched"].get("events_per_s")
        result["ratios"] = {
            "gateway_requests_to_bare_http":
                round(s["requests_per_s"] / http_rps, 3) if http_rps else None,
            "reflected_events_to_bare_handler":
                round(fs["reflected_events_per_s"] / events_rate, 3) if events_rate else None,
            "reflected_events_one_a_request_to_bare_handler":
                round(s["reflected_events_per_s"] / events_rate, 3) if events_rate else None,
            "reflected_events_to_bare_fanout":
                round(fs["reflected_events_per_s"] / fanout_rate, 3) if fanout_rate else None,
            "reflected_events_to_bare_fanout_batched":
                round(fs["reflected_events_per_s"] / batched_rate, 3) if batched_rate else None,
        }
        result["ratios"]["one_write_to_plain_write"] = result["write"].get("ratios")
        say(f"  bare @http {http_rps} req/s, bare handler {events_rate} events/s, bare "
            f"fan-out {fanout_rate} events/s; ratios {result['ratios']}")
        result["children_alive"] = all(c.poll() is None for c in platform.children.values())
        finished = True
    finally:
        if platform is not None:
            platform.stop()
        try:
            store.close()
        finally:
            if broker is not None:
                broker.close()
            if finished:  # the logs and raw profiles stay behind a failed run
                shutil.rmtree(workdir, ignore_errors=True)
    result.update({
        "started_at": dt.datetime.fromtimestamp(started).isoformat(timespec="seconds"),
        "duration_s": round(time.time() - started, 1),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    })
    fs, f, r = result["feed"], result["freshness"], result["rebuild"]
    fresh_p99 = f.get("freshness_rpc", {}).get("p99_ms")
    result["targets"] = {
        "sustained_events_per_s": {"target": TARGETS["sustained_events_per_s"],
                                   "value": fs["reflected_events_per_s"],
                                   "met": fs["reflected_events_per_s"]
                                   >= TARGETS["sustained_events_per_s"]},
        "freshness_p99_ms": {"target": TARGETS["freshness_p99_ms"], "value": fresh_p99,
                             "met": fresh_p99 is not None
                             and fresh_p99 <= TARGETS["freshness_p99_ms"]},
        "rebuild_events_per_s": {"target": TARGETS["rebuild_events_per_s"],
                                 "value": r.get("full", {}).get("events_per_s"),
                                 "met": (r.get("full", {}).get("events_per_s") or 0)
                                 >= TARGETS["rebuild_events_per_s"]},
    }
    return result


def _cpu(phase: dict[str, Any]) -> str:
    c = phase.get("cpu")
    return f"{c['busy_cores']:.2f} busy, {c['other_cores']:.2f} not ours" if c else ""


def _failed(phase: dict[str, Any]) -> str | None:
    return f"not measured: `{phase['error']}`" if "error" in phase else None


def _write_figures(w: dict[str, Any]) -> str:
    def one(phase: dict[str, Any]) -> str:
        r = phase.get("latency", {}).get("registration", {})
        return (f"{phase['requests_per_s']} req/s, p50 {r.get('p50_ms')} ms, p99 "
                f"{r.get('p99_ms')} ms (all reflected after {phase['drain_s']} s)")
    return (f"{one(w['platform'])} / {one(w['plain'])}; {w['platform']['clients']} clients, "
            f"{w['rounds']} rounds each")


def markdown_section(result: dict[str, Any]) -> str:
    m, s, p, f = result["machine"], result["sustained"], result["profiled"], result["freshness"]
    fs, r, t = result["feed"], result["rebuild"], result["targets"]
    bh, be, ratios = result["bare_http"], result["bare_events"], result["ratios"]
    bf, bb = result["bare_fanout"], result["bare_fanout_batched"]
    w = result.get("write", {"error": "not in this run"})

    def met(name: str) -> str:
        return "yes" if t[name]["met"] else "**no**"

    rows = [
        "| figure | value | target | met | cores (machine busy, not ours) |",
        "| --- | --- | ---: | --- | --- |",
        f"| sustained, roster feed ({ROSTER} registrations a request, {fs['clients']} "
        f"clients): source events accepted and reflected in scoring | "
        f"**{fs['reflected_events_per_s']:,} events/s** ({fs['source_events']:,} events from "
        f"{sum(fs['answered_2xx'].values()):,} requests in {fs['seconds']} s + "
        f"{fs['drain_s']} s drain) | ≥ 1,000 | {met('sustained_events_per_s')} | {_cpu(fs)} |",
        f"| roster feed: requests answered 2xx | {fs['requests_per_s']} req/s "
        f"({fs['answered_2xx']}; failed {fs['failed'] or 0}) | – | – | |",
        f"| sustained, one registration or completion a request ({s['clients']} clients): "
        f"reflected in scoring | {s['reflected_events_per_s']:,} events/s "
        f"({s['source_events']:,} events from {sum(s['answered_2xx'].values()):,} requests "
        f"in {s['seconds']} s + {s['drain_s']} s drain) | – | – | {_cpu(s)} |",
        f"| one a request: requests answered 2xx | {s['requests_per_s']} req/s "
        f"({s['answered_2xx']}; failed {s['failed'] or 0}) | – | – | |",
        f"| sustained: scoring applied during the window | "
        f"{s['scoring_applied_per_s_during_window']} events/s | – | – | |",
        "| same under py-spy | " + (_failed(p) or (
            f"{p['reflected_events_per_s']:,} events/s, {p['requests_per_s']} req/s")) +
        f" | – | – | {_cpu(p)} |",
        "| freshness at half that rate, 2xx → county ranking (scoring RPC) | " + (
            _failed(f) or (
                f"p50 {f['freshness_rpc']['p50_ms']} ms, p99 **{f['freshness_rpc']['p99_ms']} "
                f"ms** ({f['freshness_rpc']['n']} probes, {f['probes_not_seen']} not seen in "
                f"{PROBE_TIMEOUT:.0f} s; background {f['target_event_rate']} events/s = "
                f"{f['request_rate']} req/s)")) +
        f" | p99 ≤ 250 ms | {met('freshness_p99_ms')} | {_cpu(f)} |",
        "| freshness through the gateway (its 1 s ranking cache) | " + (_failed(f) or (
            f"p50 {f['freshness_gateway_cached']['p50_ms']} ms, p99 "
            f"{f['freshness_gateway_cached']['p99_ms']} ms")) + " | – | – | |",
        "| full rebuild of scoring from its event store (the journal), to phase done | " + (
            _failed(r) or (
                f"**{r['full']['events_per_s']:,} events/s** ({r['full']['journal_events']:,} "
                f"events, {r['full']['seconds']} s; ranking unchanged: "
                f"{r['full']['ranking_unchanged']})")) +
        f" | ≥ 20,000 | {met('rebuild_events_per_s')} | {_cpu(r.get('full', {}))} |",
        "| recovery from the sources' logs (backfill by RPC, then the fold), to done | " + (
            _failed(r) or (f"{r['source_events_per_s']:,} events/s "
                           f"({r['source_events_read']:,} source events, {r['seconds']} s)")) +
        f" | – | – | {_cpu(r)} |",
        "| rebuild: backfill / fold | " + (_failed(r) or (
            f"{r['backfill_events_per_s']:,} / {r['fold_events_per_s']:,} events/s "
            f"({r['journal_folded']:,} journal events folded; ranking unchanged: "
            f"{r['ranking_unchanged']})")) + " | – | – | |",
        f"| bare nameko `@http` (does nothing), {s['clients']} clients | " + (
            _failed(bh) or f"{bh['requests_per_s']} req/s") + f" | – | – | {_cpu(bh)} |",
        "| bare nameko event handler (counts only) | " + (
            _failed(be) or f"{be['events_per_s']:,} events/s") + f" | – | – | {_cpu(be)} |",
        "| bare nameko fan-out: the relay publishing live, three processes each counting "
        "every event | " + (_failed(bf) or (
            f"{bf['events_per_s']:,} events/s ({bf['events']:,} events, all counted by all "
            f"in {bf['seconds']} s)")) + f" | – | – | {_cpu(bf)} |",
        "| the same, each consumer taking batches (`every_event_of(…)`) | "
        + (_failed(bb) or (
            f"{bb['events_per_s']:,} events/s ({bb['events']:,} events, all counted by all "
            f"in {bb['seconds']} s)")) + f" | – | – | {_cpu(bb)} |",
        "| one write a request (registrations alone): the platform / the plain nameko "
        "write (`@http` → RPC → insert + event → three consumers inserting) | " + (
            _failed(w) or _write_figures(w)) + " | – | – | " + (
            "" if "error" in w else _cpu(w)) + " |",
        "| ratio one write a request / plain write: req/s; p50; p99 answer time | " + (
            _failed(w) or "**{requests}**; {p50}; {p99}".format(**w["ratios"])) +
        " | req/s ≥ 0.8 | " + ("" if "error" in w else (
            "yes" if (w["ratios"]["requests"] or 0) >= 0.8 else "**no**")) + " | |",
        f"| ratio gateway requests / bare `@http` | "
        f"{ratios['gateway_requests_to_bare_http']} | – | – | |",
        f"| ratio reflected events / bare handler: roster feed; one a request | "
        f"{ratios['reflected_events_to_bare_handler']}; "
        f"{ratios['reflected_events_one_a_request_to_bare_handler']} | – | – | |",
        f"| ratio reflected events / bare fan-out: roster feed (one a worker; batched) | "
        f"{ratios['reflected_events_to_bare_fanout']}; "
        f"{ratios['reflected_events_to_bare_fanout_batched']} | – | – | |",
    ]

    def latencies(phase: dict[str, Any]) -> str:
        return "; ".join(f"{kind} p50 {v['p50_ms']} ms, p99 {v['p99_ms']} ms (n={v['n']})"
                         for kind, v in phase["latency"].items())

    def by_process(phase: dict[str, Any]) -> str:
        per = phase["cpu"].get("by_process", {})
        return ", ".join(f"{name} {cores:.2f}" for name, cores in
                         sorted(per.items(), key=lambda kv: -kv[1])) or "not measured"

    notes = [
        f"- Answer times, roster feed: {latencies(fs)}; one a request: {latencies(s)}.",
        f"- CPU by process, roster feed (cores): {by_process(fs)}; the machine "
        f"was {fs['cpu']['busy_cores']:.2f} of {m['nproc']} cores busy, "
        f"{fs['cpu']['other_cores']:.2f} of them not this run.",
        f"- CPU by process, one a request (cores): {by_process(s)}.",
    ]
    if "stages" in f:
        st = f["stages"]
        notes.append(
            f"- Freshness split where scoring journaled the probe's event: answered → "
            f"journaled p50 {st['answered_to_journaled']['p50_ms']} ms, p99 "
            f"{st['answered_to_journaled']['p99_ms']} ms (relay, broker, intake); journaled "
            f"→ seen p50 {st['journaled_to_seen']['p50_ms']} ms, p99 "
            f"{st['journaled_to_seen']['p99_ms']} ms (fold, query).")
    if "probe_answer" in f:
        notes.append(f"- Probe registrations were answered in p50 "
                     f"{f['probe_answer']['p50_ms']} ms, p99 {f['probe_answer']['p99_ms']} ms.")
    return "\n".join([
        f"<!-- run {result['date']} -->",
        f"## {result['date']} ({result['mode']} run, commit {m['git_commit']})",
        "",
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gib']} GiB RAM; Python "
        f"{m['python']}, nameko {m['nameko']}, nx-27017 {m['nx_27017']} ({m['store']}), "
        f"RabbitMQ {m['rabbitmq']}. Started {result['started_at']}, took "
        f"{result['duration_s']:.0f} s (setup {result['setup_s']} s); load average before "
        f"{result['loadavg_before']}, after {result['loadavg_after']}. Each completion serves "
        f"{result['seats']} lines (1 + {result['seats']} source events); one request in "
        f"{result['completion_every']} is a completion while prepared activities last.",
        "",
        *rows,
        "",
        *notes,
        "",
        f"Raw figures, timelines and profile summaries: `results/e2e-{result['date']}.json`.",
        f"<!-- /run {result['date']} -->",
        "",
    ])


def main() -> int:
    from yinfa.infra.run_secrets import ensure_run_secrets

    ensure_run_secrets()
    if len(sys.argv) == 4 and sys.argv[1] == "--serve-bare":
        serve_bare(int(sys.argv[2]), sys.argv[3])
        return 0
    if len(sys.argv) == 7 and sys.argv[1] == "--serve-plain":
        plain_write.serve(sys.argv[2], int(sys.argv[3]), *sys.argv[4:])
        return 0
    if len(sys.argv) in (5, 6) and sys.argv[1] == "--serve-counter":
        serve_counter(sys.argv[2], sys.argv[3], sys.argv[4], batched=sys.argv[5:] == ["--batched"])
        return 0
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short phases: a smoke run")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("amqp").setLevel(logging.ERROR)  # notes on closing proxies' channels
    result = run("quick" if args.quick else "full")
    path = record_results(result, "e2e", "End-to-end benchmark results",
                          markdown_section(result))
    print(markdown_section(result))
    say(f"recorded {path.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
