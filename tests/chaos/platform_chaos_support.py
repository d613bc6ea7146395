"""The whole platform under faults: a workload through the gateway, faults in turn, and
the invariants checked once everything has recovered.

Shared by the shortened CI pass (tests/chaos/test_platform_chaos.py) and the full run
(benchmarks/chaos.py, `bash scripts/chaos.sh`). Everything runs on 127.0.0.1: a private
RabbitMQ vhost (deleted at the end), an embedded nx-27017 on a fixed port (so it can be
killed and started again on the same data directory), and every service and the gateway
as `yinfa run <name>` processes with a private database prefix and an ops port each.

The client keeps the gateway's contract: every POST carries an Idempotency-Key and an
X-Request-Id, and a 5xx, a refused connection or "still in progress" is retried with the
same key and the same request id, so the request id names the request in every event
store (`correlation_id` of its commit).
"""
from __future__ import annotations

import functools
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import kombu
import requests
from nameko.standalone.rpc import ClusterRpcProxy
from pymongo import MongoClient

from contracts.volunteers.id_number import make_id_number
from contracts.volunteers.standing import STANDING_EVENTS
from services.activities.directory import VOLUNTEER_DIRECTORY, WANTED as DIRECTORY_TYPES
from services.scoring.domain.rulebook import default_rulebook_path, load_rulebook
from services.scoring.domain.state import ScoringState
from services.scoring.engine import intake
from services.scoring.engine.journal import Journal
from services.scoring.queries import county_ranking
from services.volunteers.handlers import COMPLETED, CORRECTED
from yinfa.infra.broker import ensure_broker, ensure_management
from yinfa.infra.embedded_store import EmbeddedStore, free_port
from yinfa.infra.processes import Supervisor
from yinfa.messaging.inbox import PLAIN, InboxLayout
from yinfa.ops.dlq import DeadLetterQueues, message_id
from yinfa.reference import load_city
from yinfa.store.event_store import EventStore

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("volunteers", "branches", "activities", "scoring", "feeds")
PROCESSES = (*SERVICES, "gateway")
SOURCES = ("volunteers", "branches", "activities")  # the services scoring folds
# consumer -> (source service, event types it applies; the others only move the cursor)
INBOX_CONSUMERS: dict[str, tuple[str, frozenset[str]]] = {
    "volunteers": ("activities", frozenset({COMPLETED, CORRECTED})),
    "activities": ("volunteers", DIRECTORY_TYPES),
    "branches": ("volunteers", STANDING_EVENTS),
}
# where each consumer's inbox keeps its cursors and parked events
INBOX_LAYOUTS: dict[str, InboxLayout] = {
    "volunteers": PLAIN, "activities": VOLUNTEER_DIRECTORY, "branches": VOLUNTEER_DIRECTORY}
COUNTIES = ("320902", "320903", "320904", "320921")
WORKLOAD_NAME = "欧阳建国"  # every registration's name: looked for where it must not be
POISON_CONSUMER = "volunteers"
POISON_QUEUE = "evt-activities-#--volunteers.on_activities_event"
READY_TIMEOUT = 90.0  # a loaded 2-core machine starts a Python process slowly
ADMIN = "chaos-admin"
ADMIN_PASSWORD = "chaos-admin-password-1"


def say(message: str) -> None:
    print(f"chaos {datetime.now(UTC):%H:%M:%S} {message}", flush=True)


def until(check: Callable[[], Any], timeout: float, every: float = 0.5) -> Any:
    """The first truthy answer of `check` within `timeout` seconds, else None."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except Exception:  # noqa: BLE001 - a component still coming up
            value = None
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


# ---- RabbitMQ: a vhost of the run's own ---------------------------------------------------


class Management:
    def __init__(self, uri: str, vhost: str) -> None:
        parts = urlsplit(uri)
        self.base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}/api"
        self.auth = (parts.username or "guest", parts.password or "guest")
        self.vhost = quote(vhost, safe="")

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        answer = requests.request(method, f"{self.base}/{path}", auth=self.auth, timeout=10,
                                  **kwargs)
        answer.raise_for_status()
        return answer

    def create_vhost(self) -> None:
        self._call("PUT", f"vhosts/{self.vhost}")
        self._call("PUT", f"permissions/{self.vhost}/{self.auth[0]}",
                   json={"configure": ".*", "write": ".*", "read": ".*"})

    def delete_vhost(self) -> None:
        self._call("DELETE", f"vhosts/{self.vhost}")

    def queue_depths(self) -> dict[str, tuple[int, int]]:
        """Queue name -> (messages, consumers)."""
        rows = self._call("GET", f"queues/{self.vhost}?columns=name,messages,consumers").json()
        return {row["name"]: (int(row.get("messages") or 0), int(row.get("consumers") or 0))
                for row in rows}


def backlog(depths: dict[str, tuple[int, int]]) -> dict[str, int]:
    """Messages still waiting for a consumer. A killed gateway's reply queue keeps the
    replies its successor will never read until the queue expires: not a backlog."""
    return {q: n for q, (n, consumers) in depths.items() if n and not q.startswith("dlq.")
            and not (q.startswith("rpc.reply-") and consumers == 0)}


def orphaned_replies(depths: dict[str, tuple[int, int]]) -> dict[str, int]:
    return {q: n for q, (n, consumers) in depths.items()
            if q.startswith("rpc.reply-") and consumers == 0}


def vhost_uri(amqp_uri: str, vhost: str) -> str:
    parts = urlsplit(amqp_uri)
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(vhost, safe=""), "", ""))


# ---- the platform ------------------------------------------------------------------------


@dataclass
class Fault:
    kind: str
    target: str
    started: float
    down_seconds: float = 0.0
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "target": self.target,
                "down_seconds": round(self.down_seconds, 2), "note": self.note}


class Platform:
    """Broker vhost, store and processes of one chaos run; `close()` takes it all down."""

    def __init__(self, run_dir: Path, lease_seconds: float = 5.0) -> None:
        self.run_dir = run_dir
        self.prefix = f"chaos_{uuid.uuid4().hex[:8]}"
        self.vhost = f"yinfa-chaos-{uuid.uuid4().hex[:8]}"
        self.broker_uri = ensure_broker().uri
        self.management = Management(ensure_management().uri, self.vhost)
        self.amqp_uri = vhost_uri(self.broker_uri, self.vhost)
        self.store = EmbeddedStore(run_dir / "store", "chaos", port=free_port())
        self.supervisor = Supervisor(run_dir / "logs")
        self.ops_ports = {name: free_port() for name in PROCESSES}
        self.gateway_port = free_port()
        self.base = f"http://127.0.0.1:{self.gateway_port}"
        self.lease_seconds = lease_seconds
        self.faults: list[Fault] = []
        self.vhost_created = False
        self.startup_seconds = 0.0
        self.unexpected_exits: list[dict[str, Any]] = []

    # -- lifecycle --

    def start(self) -> None:
        began = time.monotonic()
        self.management.create_vhost()
        self.vhost_created = True
        self.store.start()
        for name in PROCESSES:
            self._start(name)
        self.wait_ready(PROCESSES)
        self.create_admin()
        self.startup_seconds = time.monotonic() - began
        say(f"up in {self.startup_seconds:.0f} s: vhost {self.vhost}, store {self.store.uri}, "
            f"gateway {self.base}, prefix {self.prefix}, logs in {self.run_dir}")

    @property
    def env(self) -> dict[str, str]:
        return {"AMQP_URI": self.amqp_uri, "MONGO_URI": self.store.uri,
                "YINFA_DB_PREFIX": self.prefix, "YINFA_OPS_HOST": "127.0.0.1",
                "YINFA_GATEWAY_ADDRESS": f"127.0.0.1:{self.gateway_port}",
                "YINFA_GATEWAY_RATE": "10000", "YINFA_GATEWAY_BURST": "10000",
                # a consumer killed mid-apply leaves a claim; its successor takes it over
                # after the lease, so a short lease keeps recovery within the run
                "YINFA_CONSUMER_LEASE_SECONDS": str(self.lease_seconds)}

    def _start(self, name: str) -> None:
        self.supervisor.start(name, [sys.executable, "-m", "yinfa.cli", "run", name],
                              {**self.env, "YINFA_OPS_PORT": str(self.ops_ports[name])},
                              cwd=ROOT)

    def ready(self, name: str) -> bool:
        try:
            answer = requests.get(f"http://127.0.0.1:{self.ops_ports[name]}/health/ready",
                                  timeout=2)
            if answer.status_code != 200:
                return False
            if name == "gateway":
                requests.get(self.base + "/openapi.json", timeout=2)
            return True
        except requests.RequestException:
            return False

    def wait_ready(self, names: Iterable[str], timeout: float = READY_TIMEOUT) -> float:
        began = time.monotonic()
        for name in names:
            left = timeout - (time.monotonic() - began)
            if not until(functools.partial(self.ready, name), left):
                raise RuntimeError(f"{name} not ready within {timeout:.0f} s; "
                                   f"exited: {self.supervisor.exited()}")
        return time.monotonic() - began

    def create_admin(self) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "gateway.admin", "--username", ADMIN],
            env={**os.environ, **self.env, "YINFA_ADMIN_PASSWORD": ADMIN_PASSWORD},
            cwd=ROOT, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"create-admin failed: {done.stderr.strip()}")

    def close(self) -> None:
        self.supervisor.stop_all()
        self.store.stop()
        if self.vhost_created:
            try:
                self.management.delete_vhost()
            except requests.RequestException as error:
                say(f"could not delete vhost {self.vhost}: {error}")

    def revive(self) -> list[dict[str, Any]]:
        """Start again any process that exited without being killed here (as an
        orchestrator would); each such exit is recorded, it is a finding."""
        found = []
        for name, code in self.supervisor.exited().items():
            tail = self.supervisor.log_paths[name].read_text(errors="replace")[-2000:]
            last = [line for line in tail.splitlines() if line.strip()][-3:]
            found.append({"process": name, "exit_code": code,
                          "at": datetime.now(UTC).isoformat(timespec="seconds"),
                          "last_log_lines": [line[:300] for line in last]})
            say(f"{name} exited on its own (code {code}); starting it again")
            self._start(name)
        self.unexpected_exits += found
        return found

    def pause(self, seconds: float) -> None:
        """Sleep, watching for processes that exit on their own."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.revive()
            time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))

    # -- faults --

    def kill(self, name: str, down: float = 1.0) -> Fault:
        """kill -9 one process, leave it down a moment, start it again (not waiting)."""
        fault = Fault("kill -9", name, time.monotonic())
        process = self.supervisor.children[name]
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        time.sleep(down)
        self._start(name)
        fault.down_seconds = time.monotonic() - fault.started
        self.faults.append(fault)
        return fault

    def kill_store(self, down: float = 1.0) -> Fault:
        """kill -9 nx-27017 and start it again on the same port and data directory."""
        fault = Fault("kill -9", "nx-27017", time.monotonic())
        process = self.store.process
        assert process is not None
        process.kill()
        process.wait(10)
        time.sleep(down)
        self.store.pid_path.unlink(missing_ok=True)  # a killed nx-27017 leaves it behind
        self.store.start()
        fault.down_seconds = time.monotonic() - fault.started
        self.faults.append(fault)
        return fault

    def bounce_broker(self, outage: float = 5.0) -> Fault:
        """`rabbitmqctl stop_app`, a short outage, `start_app` (always, in a finally)."""
        fault = Fault("rabbitmqctl stop_app/start_app", "rabbitmq", time.monotonic())
        try:
            subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True,
                           timeout=60)
            time.sleep(outage)
        finally:
            subprocess.run(["rabbitmqctl", "start_app"], capture_output=True, timeout=120)
            until(self._broker_answers, 60)
        fault.down_seconds = time.monotonic() - fault.started
        self.faults.append(fault)
        return fault

    def _broker_answers(self) -> bool:
        with kombu.Connection(self.amqp_uri, connect_timeout=2) as connection:
            connection.connect()
        return True

    def poison(self, count: int) -> list[str]:
        """Publish `count` unreadable messages to one consumer's queue; their dlq ids."""
        bodies = [self._poison_body(n) for n in range(count)]
        with kombu.Connection(self.amqp_uri, connect_timeout=10) as connection:
            producer = kombu.Producer(connection.default_channel)
            for body in bodies:
                producer.publish(body, exchange="", routing_key=POISON_QUEUE,
                                 content_type="application/json", content_encoding="utf-8",
                                 delivery_mode=2, retry=True)
        fault = Fault("poisoned messages", POISON_QUEUE, time.monotonic(), note=str(count))
        self.faults.append(fault)
        return [message_id(body) for body in bodies]

    @staticmethod
    def _poison_body(n: int) -> bytes:
        marker = uuid.uuid4().hex
        kinds = [
            f"not json {marker}".encode(),                       # unreadable
            json.dumps(f"{marker} {n}").encode(),                # JSON, not an envelope
            json.dumps({"type": COMPLETED, "note": marker}).encode(),  # envelope incomplete
        ]
        return kinds[n % len(kinds)]

    # -- recovery --

    def rpc_config(self) -> dict[str, Any]:
        return {"AMQP_URI": self.amqp_uri, "serializer": "json"}

    def quiet(self) -> dict[str, Any] | None:
        """What is still moving, or None when every relay, queue and fold has settled."""
        busy: dict[str, Any] = {}
        for name in PROCESSES:
            if not self.ready(name):
                busy[name] = "not ready"
        if busy:
            return busy
        with ClusterRpcProxy(self.rpc_config(), timeout=10) as rpc:
            for name in SERVICES:
                try:
                    health = getattr(rpc, name).health()
                except Exception as error:  # noqa: BLE001 - alive but not answering?
                    busy[f"{name} health"] = repr(error)[:200]
                    continue
                if health.get("pending"):
                    busy[f"{name} relay pending"] = health["pending"]
                if name == "scoring" and health["folded_position"] != health["journal_head"]:
                    busy["scoring fold"] = health["journal_head"] - health["folded_position"]
        busy.update(backlog(self.management.queue_depths()))
        client = self.mongo()
        for consumer in INBOX_CONSUMERS:
            parked = client[self.db_name(consumer)][INBOX_LAYOUTS[consumer].parked
                                                    ].count_documents({})
            if parked:
                busy[f"{consumer} parked"] = parked
        return busy or None

    def settle(self, timeout: float) -> tuple[float, dict[str, Any] | None]:
        """Wait (bounded) until quiet twice in a row; seconds taken and what was left."""
        began = time.monotonic()
        last: dict[str, Any] | None = {"never checked": True}
        calm = 0
        while time.monotonic() - began < timeout:
            self.revive()
            try:
                last = self.quiet()
            except Exception as error:  # noqa: BLE001 - a process still reconnecting
                last = {"error": repr(error)}
            calm = calm + 1 if last is None else 0
            if calm >= 2:
                return time.monotonic() - began, None
            time.sleep(2.0)  # the management API's counts lag a few seconds
        return time.monotonic() - began, last

    # -- data --

    _client: MongoClient | None = None

    def mongo(self) -> MongoClient:
        if self._client is None:
            self._client = MongoClient(self.store.uri, tz_aware=True)
        return self._client

    def db_name(self, service: str) -> str:
        return f"{self.prefix}_{service}"


# ---- the client and the workload ---------------------------------------------------------


@dataclass
class Request:
    request_id: str
    path: str
    service: str  # the service whose event store the command writes
    status: int | None = None  # the final answer (None: no answer within the budget)
    attempts: int = 0
    answers: list[int] = field(default_factory=list)  # every attempt's status, in order


class Client:
    """One logged-in caller; POSTs retried on 5xx / connection errors with the same key."""

    def __init__(self, base: str, retry_budget: float) -> None:
        self.base = base
        self.retry_budget = retry_budget
        self.session = requests.Session()
        self.token: str | None = None

    def login(self) -> None:
        def attempt() -> str | None:
            answer = self.session.post(self.base + "/auth/login", timeout=10,
                                       json={"username": ADMIN, "password": ADMIN_PASSWORD})
            return answer.json()["access_token"] if answer.status_code == 200 else None

        token = until(attempt, self.retry_budget, every=1.0)
        if not token:
            raise RuntimeError("cannot log in to the gateway")
        self.token = token

    def post(self, path: str, body: dict[str, Any], service: str,
             journal: list[Request]) -> tuple[Request, Any]:
        request = Request(f"chaos-{uuid.uuid4().hex}", path, service)
        key = uuid.uuid4().hex
        deadline = time.monotonic() + self.retry_budget
        answer: Any = None
        pause = 0.2
        while True:
            request.attempts += 1
            status, answer = self._send(path, body, key, request.request_id)
            request.answers.append(status or 0)  # 0: no answer (refused, reset, timed out)
            if status == 401:
                self._relogin()
            elif status is not None and not _retry(status, answer):
                request.status = status
                break
            if time.monotonic() > deadline:
                break
            time.sleep(pause)
            pause = min(pause * 2, 2.0)
        journal.append(request)
        return request, answer

    def _send(self, path: str, body: dict[str, Any], key: str, request_id: str
              ) -> tuple[int | None, Any]:
        headers = {"Idempotency-Key": key, "X-Request-Id": request_id,
                   "Authorization": f"Bearer {self.token}"}
        try:
            answer = self.session.post(self.base + path, json=body, headers=headers,
                                       timeout=15)
        except requests.RequestException:
            return None, None
        try:
            return answer.status_code, answer.json()
        except ValueError:
            return answer.status_code, None

    def _relogin(self) -> None:
        try:
            self.login()
        except Exception:  # noqa: BLE001 - the next attempt says what is wrong
            pass


def _retry(status: int, answer: Any) -> bool:
    """5xx, rate limited, or the same key still being processed (after a crash, until the
    gateway's claim lapses): the client contract says try again with the same key."""
    if status >= 500 or status == 429:
        return True
    return status == 409 and "idempotency_in_progress" in json.dumps(answer or {})


class Workload:
    """Volunteers registered and verified, hours recorded, branches established, and
    activities published, signed up for, checked in and out of, and completed."""

    def __init__(self, base: str, seed: int, retry_budget: float,
                 branch_ids: bool = False) -> None:
        self.base = base
        # True: the client names each new branch (EstablishBranch takes a branch_id), so
        # a retried establishment cannot make a second branch; False: the server does
        self.branch_ids = branch_ids
        self.rng = random.Random(seed)
        self.retry_budget = retry_budget
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.verified: list[tuple[str, str, float]] = []  # (volunteer id, county, when)
        self.id_numbers: list[str] = []
        self.phones: list[str] = []
        self.people = 0
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.rounds = 0
        self.deadline = float("inf")

    # -- running --

    def run(self, threads: int, seconds: float) -> list[threading.Thread]:
        until_at = self.deadline = time.monotonic() + seconds
        workers = [threading.Thread(target=self._worker, args=(n, until_at), daemon=True)
                   for n in range(threads)]
        for worker in workers:
            worker.start()
        return workers

    def _worker(self, n: int, until_at: float) -> None:
        client = Client(self.base, self.retry_budget)
        try:
            client.login()
            rng = random.Random(self.rng.random())
            while not self.stop.is_set() and time.monotonic() < until_at:
                self._round(client, rng, n)
        except Exception as error:  # noqa: BLE001 - reported, the run goes on
            self.errors.append(f"worker {n}: {error!r}")

    def _round(self, client: Client, rng: random.Random, n: int) -> None:
        with self.lock:
            self.rounds += 1
            round_no = self.rounds
        self.register_and_verify(client, rng)
        self.record_hours(client, rng)
        if round_no % 3 == 0:
            self.activity(client, rng, round_no)
        if round_no % 5 == 0:
            self.establish_branch(client, rng, round_no)

    def _post(self, client: Client, path: str, body: dict[str, Any], service: str) -> Any:
        if time.monotonic() > self.deadline:
            return None  # time is up: no new request (one in flight still finishes)
        request, answer = client.post(path, body, service, self.requests)
        return answer if request.status is not None and 200 <= request.status < 300 else None

    # -- flows --

    def register_and_verify(self, client: Client, rng: random.Random) -> None:
        with self.lock:
            self.people += 1
            person = self.people
        county = rng.choice(COUNTIES)
        born = date(1950, 1, 1) + timedelta(days=person // 500)
        id_number = make_id_number(county, born, (person % 500) * 2 + 1)  # odd: a man
        phone = f"139{person:08d}"
        with self.lock:
            self.id_numbers.append(id_number)
            self.phones.append(phone)
        answer = self._post(client, "/volunteers", {
            "name": WORKLOAD_NAME, "gender": "男", "birth_year": born.year, "id_number": id_number,
            "phone": phone, "county_code": county, "retirement_status": "退休",
            "party_member": True}, "volunteers")
        if answer is None:
            return
        volunteer_id = answer["volunteer_id"]
        if self._post(client, f"/volunteers/{volunteer_id}/verify", {"county_code": county},
                      "volunteers") is not None:
            with self.lock:
                self.verified.append((volunteer_id, county, time.monotonic()))

    def record_hours(self, client: Client, rng: random.Random) -> None:
        with self.lock:
            pool = list(self.verified)
        if not pool:
            return
        volunteer_id, _, _ = rng.choice(pool)
        self._post(client, f"/volunteers/{volunteer_id}/hours", {
            "entry_id": uuid.uuid4().hex, "hours": f"{rng.randint(5, 40) / 10:.1f}",
            "served_on": (date.today() - timedelta(days=rng.randint(1, 60))).isoformat(),
            "source": "bureau"}, "volunteers")

    def activity(self, client: Client, rng: random.Random, n: int) -> None:
        # volunteers verified a few seconds ago have reached the activities' directory
        with self.lock:
            settled = [v for v, _, at in self.verified if time.monotonic() - at > 5]
        if len(settled) < 3:
            return
        volunteers = rng.sample(settled, 3)
        county = rng.choice(COUNTIES)
        starts = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=4)
        ends = starts + timedelta(hours=2)
        activity = self._post(client, "/activities", {
            "theme": "party_story", "kind": "talk", "title": f"红色故事进社区第{n}场",
            "organiser": {"kind": "bureau", "id": f"county-{county}"}, "county_code": county,
            "place": "新时代文明实践站", "starts_at": starts.isoformat(),
            "ends_at": ends.isoformat(), "capacity": 5}, "activities")
        if activity is None:
            return
        base = f"/activities/{activity['activity_id']}"
        signed = [v for v in volunteers if self._post(client, f"{base}/sign-ups", {
            "volunteer_id": v, "at": (starts - timedelta(days=1)).isoformat()},
            "activities") is not None]
        code = f"CHAOS{n:05d}"
        if not signed or self._post(client, f"{base}/check-in-code", {
                "code": code, "at": (starts - timedelta(hours=1)).isoformat()},
                "activities") is None:
            return
        served = []
        for volunteer_id in signed:
            if self._post(client, f"{base}/check-ins", {
                    "volunteer_id": volunteer_id, "code": code, "at": starts.isoformat()},
                    "activities") is None:
                continue
            if self._post(client, f"{base}/check-outs", {
                    "volunteer_id": volunteer_id, "code": code, "at": ends.isoformat()},
                    "activities") is not None:
                served.append(volunteer_id)
        self._post(client, f"{base}/completion", {
            "served": [{"volunteer_id": v, "hours": 2} for v in served],
            "audience_reached": 40, "beneficiaries": 12, "outcome": "圆满完成"}, "activities")

    def establish_branch(self, client: Client, rng: random.Random, n: int) -> None:
        county = rng.choice(COUNTIES)
        body = {"name": f"离退休干部第{n}党支部", "branch_type": "formal", "level": "branch",
                "county_code": county, "former_employer": "县财政局", "secretary": "李秀英",
                "established_on": "2020-03-01"}
        if self.branch_ids:
            body["branch_id"] = str(uuid.uuid4())
        self._post(client, "/branches", body, "branches")


# ---- the checks --------------------------------------------------------------------------


def events_of(platform: Platform, service: str) -> list[Any]:
    return list(EventStore(platform.mongo()[platform.db_name(service)]).iter_all(0))


def check_requests(platform: Platform, requests_made: list[Request]) -> dict[str, Any]:
    """Each request id against the commits of the service it wrote to."""
    commits: dict[str, Counter[str]] = {}
    for service in SERVICES:
        commits[service] = Counter(
            doc.get("correlation_id") for doc in
            platform.mongo()[platform.db_name(service)]["commits"].find({}, {"correlation_id": 1}))
    statuses: Counter[str] = Counter()
    lost: list[dict[str, Any]] = []
    duplicated: list[dict[str, Any]] = []
    committed_without_2xx: list[dict[str, Any]] = []
    server_errors: Counter[int] = Counter()
    retried = no_answer = 0
    for request in requests_made:
        for status in request.answers:
            if status >= 500:
                server_errors[status] += 1
            no_answer += status == 0
        retried += request.attempts > 1
        statuses[str(request.status)] += 1
        found = commits[request.service][request.request_id]
        row = {"request_id": request.request_id, "path": request.path,
               "answers": request.answers, "commits": found}
        ok = request.status is not None and 200 <= request.status < 300
        if found > 1:
            duplicated.append(row)
        elif ok and found == 0:
            lost.append(row)
        elif not ok and found == 1:
            committed_without_2xx.append(row)
    return {
        "requests": len(requests_made),
        "ok_2xx": sum(n for s, n in statuses.items() if s.startswith("2")),
        "final_status": dict(sorted(statuses.items())),
        "retried": retried,
        "server_errors_seen": {str(k): v for k, v in sorted(server_errors.items())},
        "attempts_without_answer": no_answer,
        "lost": len(lost), "duplicated": len(duplicated),
        "committed_without_2xx": len(committed_without_2xx),
        "examples": {"lost": lost[:5], "duplicated": duplicated[:5],
                     "committed_without_2xx": committed_without_2xx[:5]},
    }


def check_consumers(platform: Platform, events: dict[str, list[Any]]) -> dict[str, Any]:
    """Each inbox consumer's cursor at every source stream's head, nothing parked, no claim
    left ahead of its stream's cursor (work taken and never finished; claims the cursor has
    passed are pruned); and every hour a completion credits on the ledger exactly once."""
    found: dict[str, Any] = {}
    for consumer, (source, wanted) in INBOX_CONSUMERS.items():
        db = platform.mongo()[platform.db_name(consumer)]
        heads: dict[str, int] = {}
        for event in events[source]:
            heads[event.stream_id] = max(heads.get(event.stream_id, 0), event.version)
        layout = INBOX_LAYOUTS[consumer]
        cursors = {doc["_id"]: int(doc["version"])
                   for doc in db[layout.cursors].find({}, {"version": 1})}
        claims = list(db["inbox_claims"].find({}, {"stream_id": 1, "version": 1}))
        # an event of a stream carried by its cursor needs no claim: the cursor says it
        applied = [e for e in events[source] if e.type in wanted
                   and not (layout.carried and layout.carried.streams(e.stream_id))]
        found[consumer] = {
            "source": source, "source_events": len(events[source]),
            "streams": len(heads),
            "streams_behind": sum(1 for s, v in heads.items() if cursors.get(s, 0) != v),
            "parked": db[layout.parked].count_documents({}),
            "events_to_apply": len(applied),
            "claims_ahead": sum(1 for c in claims
                                if c.get("version", 0) > cursors.get(c.get("stream_id"), 0)),
            "dead_marks": db["inbox_dead_letters"].count_documents({}),
        }
    lines: Counter[str] = Counter()
    for event in events["activities"]:
        if event.type == COMPLETED:
            lines.update(line["entry_id"] for line in event.data.get("served", []))
    recorded: Counter[str] = Counter(
        e.data["entry_id"] for e in events["volunteers"]
        if e.type == "HoursRecorded" and e.data.get("activity_id"))
    found["ledger"] = {
        "completion_lines": sum(lines.values()),
        "recorded_once": sum(1 for k in lines if recorded[k] == 1),
        "missing": sum(1 for k in lines if recorded[k] == 0),
        "doubled": sum(1 for k in lines if recorded[k] > 1),
    }
    return found


def journaled(db: Any) -> Counter[str]:
    """How often each source event id is in scoring's journal. An entry holds one source
    event, or several packed as JSON (events kept by one group commit)."""
    counts: Counter[str] = Counter()
    for entry in Journal(db).iter_after(0):
        if "packed" in entry.data:
            counts.update(packed[0] for packed in json.loads(entry.data["packed"]))
        else:
            counts[entry.event_id] += 1
    return counts


def pure_ranking(events: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The county ranking folded straight from every source event, as a fresh scoring
    would compute it."""
    kept = []
    for source in SOURCES:
        for event in events[source]:
            accepted = intake.accept(intake.parse(event.to_message()))
            if accepted is not None:
                kept.append(accepted)
    state = ScoringState(load_city().zone).apply_all(kept)
    return county_ranking(state, load_rulebook(default_rulebook_path()))


def ranking_diff(got: list[dict[str, Any]], expected: list[dict[str, Any]]
                 ) -> list[dict[str, Any]]:
    """Counties whose row differs: their totals and the indicators that differ."""
    want = {row["county_code"]: row for row in expected}
    differs = []
    for row in got:
        other = want.get(row["county_code"])
        if row == other:
            continue
        if other is None:
            differs.append({"county_code": row["county_code"], "missing_from_fold": True})
            continue
        keys = sorted(k for k in set(row) | set(other) if row.get(k) != other.get(k))
        differs.append({"county_code": row["county_code"], "keys": keys,
                        "got": {k: row.get(k) for k in keys if k != "rows"},
                        "fold": {k: other.get(k) for k in keys if k != "rows"},
                        "rows": _row_diff(row.get("rows"), other.get("rows"))})
    return differs[:10]


def _row_diff(got: Any, expected: Any) -> list[Any]:
    if not isinstance(got, list) or not isinstance(expected, list):
        return [] if got == expected else [got, expected]
    return [[a, b] for a, b in zip(got, expected, strict=False) if a != b][:5]


def check_scoring(platform: Platform, events: dict[str, list[Any]],
                  rebuild_timeout: float) -> dict[str, Any]:
    counts = journaled(platform.mongo()[platform.db_name("scoring")])
    accepted = {e.event_id for s in SOURCES for e in events[s]
                if intake.accept(intake.parse(e.to_message())) is not None}
    expected = pure_ranking(events)
    with ClusterRpcProxy(platform.rpc_config(), timeout=60) as rpc:
        live = rpc.scoring.county_ranking()
        rpc.scoring.rebuild(from_sources=True)
        progress = until(lambda: (p := rpc.scoring.rebuild_progress()) and not p["running"]
                         and p, rebuild_timeout)
        rebuilt = rpc.scoring.county_ranking()
    return {
        "source_events_accepted": len(accepted),
        "journaled_distinct": len(set(counts) & accepted),
        "missing_from_journal": len(accepted - set(counts)),
        "journal_not_in_sources": len(set(counts) - accepted),
        "live_differs": ranking_diff(live, expected),
        "rebuilt_differs": ranking_diff(rebuilt, expected),
        "duplicate_journal_entries": sum(n - 1 for n in counts.values()),
        "live_equals_fold": live == expected,
        "rebuild_from_sources": {"phase": (progress or {}).get("phase"),
                                 "error": (progress or {}).get("error"),
                                 "equals_fold": rebuilt == expected},
        "counties_scored": sum(1 for c in expected if c["total"] != "0.00"),
    }


def check_dead_letters(platform: Platform, poisoned: list[str], personal: Iterable[str]
                       ) -> dict[str, Any]:
    depths = {q: n for q, (n, _) in platform.management.queue_depths().items()
              if q.startswith("dlq.")}
    consumers = [q.removeprefix("dlq.") for q in depths]
    counts = DeadLetterQueues(platform.amqp_uri).counts(consumers)
    letters = DeadLetterQueues(platform.amqp_uri).show(POISON_CONSUMER) \
        if POISON_CONSUMER in counts else []
    held = Counter(letter.id for letter in letters)
    every_letter = json.dumps([letter.as_dict() for consumer in counts
                               for letter in DeadLetterQueues(platform.amqp_uri).show(consumer)],
                              ensure_ascii=False, default=str)
    found = [s for s in personal if s in every_letter]
    return {
        "poisoned": len(poisoned), "queues": counts,
        "total": sum(counts.values()),
        "poisoned_held": sum(1 for p in poisoned if held[p] == 1),
        "unexpected": [{"consumer": POISON_CONSUMER, "id": i, "reason": letter.reason[:200]}
                       for letter in letters if (i := letter.id) not in poisoned][:10],
        "only_poisoned": sum(counts.values()) == len(poisoned)
        and sorted(held.elements()) == sorted(poisoned),
        "personal_data_found": len(found),
    }


def scan_logs(run_dir: Path, secrets: Iterable[str]) -> dict[str, Any]:
    """Every file of the run — the logs of services, gateway and store, and the store's
    own files — searched byte by byte for the workload's ID numbers, phone numbers and
    name; the logs also for any 18-digit ID-number-shaped token."""
    wanted = {secret: secret.encode() for secret in secrets}
    shaped = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
    hits: Counter[str] = Counter()
    shaped_hits: Counter[str] = Counter()
    files = store_files = 0
    for path in sorted(run_dir.rglob("*")):
        if not path.is_file():
            continue
        is_log = path.suffix in (".log", ".stderr")
        files += is_log
        store_files += not is_log
        content = path.read_bytes()
        where = str(path.relative_to(run_dir))
        hits[where] += sum(1 for raw in wanted.values() if raw in content)
        if is_log:
            shaped_hits[where] += len(shaped.findall(content.decode(errors="replace")))
    return {"files": files, "store_files": store_files, "secrets_searched": len(wanted),
            "hits": sum(hits.values()), "hits_by_file": {k: v for k, v in hits.items() if v},
            "id_shaped_tokens": sum(shaped_hits.values())}


# ---- one run -----------------------------------------------------------------------------


@dataclass
class Plan:
    seconds: float  # how long the workload runs
    threads: int
    fault_gap: float  # seconds between faults
    kills: tuple[str, ...] = PROCESSES
    broker: bool = True
    store: bool = True
    store_down: float = 1.0  # seconds the killed store stays down
    poison: int = 3
    repeat: bool = False  # cycle through the faults until the workload ends
    broker_limit: int = 2  # restarts of the machine's one broker, at most, per run
    retry_budget: float = 90.0
    branch_ids: bool = False  # see Workload
    settle_timeout: float = 180.0
    seed: int = 2026


def faults_of(plan: Plan) -> list[tuple[str, str]]:
    steps = [("kill", name) for name in plan.kills]
    if plan.poison:
        steps.insert(min(2, len(steps)), ("poison", str(plan.poison)))
    if plan.broker:
        steps.append(("broker", "rabbitmq"))
    if plan.store:
        steps.append(("store", "nx-27017"))
    return steps


def run(platform: Platform, plan: Plan) -> dict[str, Any]:
    """Drive the workload with faults in turn; wait for recovery; check everything."""
    workload = Workload(platform.base, plan.seed, plan.retry_budget, plan.branch_ids)
    began = time.monotonic()
    workers = workload.run(plan.threads, plan.seconds)
    poisoned: list[str] = []
    steps = faults_of(plan)
    done = 0
    platform.pause(min(plan.fault_gap, plan.seconds / 4))  # some work first
    # one of each fault, whatever the time; or faults cycled while the workload runs
    while (done < len(steps) and not plan.repeat) or (
            plan.repeat and time.monotonic() - began < plan.seconds):
        kind, target = steps[done % len(steps)]
        say(f"fault {done + 1}: {kind} {target}")
        if kind == "kill":
            platform.kill(target)
        elif kind == "broker":
            if sum(f.target == "rabbitmq" for f in platform.faults) < plan.broker_limit:
                platform.bounce_broker()
        elif kind == "store":
            platform.kill_store(plan.store_down)
        else:
            poisoned += platform.poison(int(target))
        done += 1
        platform.pause(plan.fault_gap)
    while any(worker.is_alive() for worker in workers):  # in-flight retries finish
        platform.pause(1.0)
    workload.stop.set()
    workload_seconds = time.monotonic() - began
    say(f"workload done: {len(workload.requests)} requests in {workload_seconds:.0f} s; "
        f"{done} faults; settling")
    settle_seconds, left = platform.settle(plan.settle_timeout)
    say(f"settled in {settle_seconds:.0f} s" if left is None else f"NOT settled: {left}")
    events = {service: events_of(platform, service) for service in SERVICES}
    result: dict[str, Any] = {
        "startup_seconds": round(platform.startup_seconds, 1),
        "workload_seconds": round(workload_seconds, 1),
        "workload_rounds": workload.rounds,
        "workload_errors": workload.errors,
        "faults": [f.as_dict() for f in platform.faults],
        "settle_seconds": round(settle_seconds, 1),
        "not_settled": left,
        "unexpected_exits": platform.unexpected_exits,
        "orphaned_reply_queues": orphaned_replies(platform.management.queue_depths()),
        "processes_alive": not platform.supervisor.exited()
        and platform.store.process is not None and platform.store.process.poll() is None,
        "events": {service: len(found) for service, found in events.items()},
        "requests": check_requests(platform, workload.requests),
        "consumers": check_consumers(platform, events),
        "scoring": check_scoring(platform, events, rebuild_timeout=120),
        "dead_letters": check_dead_letters(
            platform, poisoned, [*workload.id_numbers, *workload.phones, WORKLOAD_NAME]),
        "logs": scan_logs(platform.run_dir,
                          [*workload.id_numbers, *workload.phones, WORKLOAD_NAME]),
    }
    result["verdict"] = verdict(result)
    return result


def verdict(result: dict[str, Any]) -> dict[str, bool]:
    requests_ = result["requests"]
    consumers = result["consumers"]
    scoring = result["scoring"]
    inboxes = [v for k, v in consumers.items() if k != "ledger"]
    return {
        "settled": result["not_settled"] is None and result["processes_alive"],
        "no_unexpected_exits": not result["unexpected_exits"],
        "every_2xx_stored_once": requests_["lost"] == 0 and requests_["duplicated"] == 0,
        "no_gateway_500": "500" not in requests_["server_errors_seen"],
        "consumers_applied_once": all(
            c["streams_behind"] == 0 and c["parked"] == 0 and c["claims_ahead"] == 0
            for c in inboxes) and consumers["ledger"]["missing"] == 0
        and consumers["ledger"]["doubled"] == 0,
        "ranking_equals_fold": scoring["live_equals_fold"]
        and scoring["missing_from_journal"] == 0
        and scoring["rebuild_from_sources"]["equals_fold"],
        "dead_letters_only_poisoned": result["dead_letters"]["only_poisoned"],
        "no_personal_data_in_logs": result["logs"]["hits"] == 0,
        "no_personal_data_in_dead_letters": result["dead_letters"]["personal_data_found"] == 0,
    }
