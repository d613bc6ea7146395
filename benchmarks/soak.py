"""Soak: the whole platform under a steady mixed workload for N minutes, memory and queues watched.

Starts the embedded store and every service as separate processes (as the demo does), in a
RabbitMQ vhost of its own, and drives a bounded mix of commands by RPC on 127.0.0.1:
registrations and verifications, hours recorded and corrected, activities published with
sign-ups (and a waitlist), check-ins, check-outs and completions (whose hours reach the
volunteers' ledgers by event), and branches certified. Every few seconds it samples each
process's resident memory (from /proc) and every queue's depth (management API).

Verdicts, written to `benchmarks/results/soak-<date>.json` with the machine and date:
- RSS growth per process: the median of the last minute against the median of the first
  minute after warm-up (target < 5 %);
- per queue: the largest depth, and whether it grows without bound (the median depth of
  the last third of the run is above the first third's by more than GROWTH_MESSAGES, and
  it did not drain once the workload stopped).

    .venv/bin/python benchmarks/soak.py --minutes 10      (or: bash scripts/soak.sh)

The broker is `AMQP_URI` / `RABBIT_CTL_URI` as everywhere. On a machine where chaos runs
restart the shared broker, point both at a RabbitMQ node of the soak's own (a second
`rabbitmq-server` on other ports): a restart kills a service whose reply is in flight.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from nameko.standalone.rpc import ClusterRpcProxy

from contracts.branches.catalog import load_checklists
from contracts.volunteers.id_number import make_id_number
from yinfa.errors import YinfaError
from yinfa.infra.broker import ensure_broker, ensure_management, mask_uri
from yinfa.infra.embedded_store import ensure_store
from yinfa.infra.processes import Supervisor
from yinfa.reference import load_city

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
RSS_TARGET_PERCENT = 5.0
GROWTH_MESSAGES = 100  # a backlog this much deeper at the end than at the start is growth
READY_TIMEOUT = 90.0
DRAIN_TIMEOUT = 180.0
CHECKLIST = "liuyou_yitisheng"
# The services the workload reaches by RPC. The gateway (REST) is left out until the
# workload goes through it: then add "gateway" here and use a GatewayDriver (see RpcDriver).
SOAKED = ("volunteers", "branches", "activities", "scoring")
VERIFIED_POOL = 400  # volunteers the workload keeps choosing from (newest kept)


def log(message: str) -> None:
    print(f"soak {datetime.now(UTC):%H:%M:%S} {message}", flush=True)


# ---- the platform ----------------------------------------------------------------------


def vhost_uri(amqp_uri: str, vhost: str) -> str:
    parts = urlsplit(amqp_uri)
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(vhost, safe=""), "", ""))


class Management:
    """The few RabbitMQ management calls the soak needs: its vhost, and queue depths."""

    def __init__(self, uri: str, vhost: str) -> None:
        parts = urlsplit(uri)
        self.base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}/api"
        self.auth = (parts.username or "guest", parts.password or "guest")
        self.vhost = quote(vhost, safe="")

    def create_vhost(self) -> None:
        self._call("PUT", f"vhosts/{self.vhost}")
        user = self.auth[0]
        self._call("PUT", f"permissions/{self.vhost}/{user}",
                   json={"configure": ".*", "write": ".*", "read": ".*"})

    def delete_vhost(self) -> None:
        self._call("DELETE", f"vhosts/{self.vhost}")

    def queue_depths(self) -> dict[str, int]:
        rows = self._call("GET", f"queues/{self.vhost}?columns=name,messages").json()
        return {row["name"]: int(row.get("messages") or 0) for row in rows}

    def broker_version(self) -> str:
        return str(self._call("GET", "overview").json().get("rabbitmq_version"))

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = requests.request(method, f"{self.base}/{path}", auth=self.auth,
                                    timeout=10, **kwargs)
        response.raise_for_status()
        return response


def wait_until_ready(config: dict, supervisor: Supervisor) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    with ClusterRpcProxy(config, timeout=5) as rpc:
        for name in SOAKED:
            while True:
                if supervisor.exited():
                    raise RuntimeError(f"a service exited early: {supervisor.exited()}")
                try:
                    getattr(rpc, name).health()
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{name} did not answer in time") from None
                    time.sleep(0.5)


# ---- sampling ----------------------------------------------------------------------------


def rss_kib(pid: int) -> int | None:
    """Resident set size of one process and its descendants, in KiB (None: gone)."""
    total, seen = 0, False
    for member in [pid, *descendants(pid)]:
        try:
            with open(f"/proc/{member}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        seen = True
        except OSError:
            continue
    return total if seen else None


def descendants(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as children:
                for child in children.read().split():
                    found.extend([int(child), *descendants(int(child))])
        except OSError:
            continue
    return found


@dataclass
class Samples:
    """Time series taken by the sampler thread: seconds since start → values."""

    rss: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    queues: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    load: list[tuple[float, float]] = field(default_factory=list)  # 1-minute load average
    errors: Counter[str] = field(default_factory=Counter)


class Sampler(threading.Thread):
    def __init__(self, pids: dict[str, int], management: Management, every: float,
                 started: float) -> None:
        super().__init__(daemon=True, name="soak-sampler")
        self.pids, self.management, self.every = pids, management, every
        self.started = started
        self.samples = Samples()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.sample()
            self.stopping.wait(self.every)

    def sample(self) -> None:
        now = time.monotonic() - self.started
        # the machine is shared: how busy it was tells how far latency is ours
        self.samples.load.append((now, float(Path("/proc/loadavg").read_text().split()[0])))
        for name, pid in self.pids.items():
            value = rss_kib(pid)
            if value is not None:
                self.samples.rss.setdefault(name, []).append((now, value))
        try:
            depths = self.management.queue_depths()
        except requests.RequestException as error:
            self.samples.errors[type(error).__name__] += 1
            return
        for queue, depth in depths.items():
            self.samples.queues.setdefault(queue, []).append((now, depth))


# ---- the workload ------------------------------------------------------------------------


class RpcDriver:
    """Commands reach the services by nameko RPC.

    Hook: once the gateway (REST) is in place, a `GatewayDriver` with the same `call`
    (service, method, payload) → answer, posting to the gateway's routes with a token,
    replaces this one, so the soak exercises the path users take."""

    def __init__(self, config: dict) -> None:
        self.config = config
        self.reconnects = 0
        self._connect()

    def call(self, service: str, method: str, payload: Any) -> Any:
        try:
            return getattr(getattr(self.rpc, service), method)(payload)
        except YinfaError:
            raise
        except Exception:
            # the broker shared with others may have been restarted: a new proxy, paced
            if time.monotonic() - self.connected_at > 2.0:
                self.close()
                self._connect()
                self.reconnects += 1
            raise

    def _connect(self) -> None:
        self.proxy = ClusterRpcProxy(self.config, timeout=60)
        self.rpc = self.proxy.start()
        self.connected_at = time.monotonic()

    def close(self) -> None:
        try:
            self.proxy.stop()
        except Exception:  # noqa: BLE001 - a proxy whose connection is gone
            pass


@dataclass
class Outcomes:
    calls: Counter[str] = field(default_factory=Counter)  # method → answered
    refused: Counter[str] = field(default_factory=Counter)  # "method: code" (typed errors)
    failed: Counter[str] = field(default_factory=Counter)  # "method: error" (anything else)
    latency_ms: dict[str, list[float]] = field(default_factory=dict)
    minute_ms: dict[int, list[float]] = field(default_factory=dict)  # any command, by minute


class Workload:
    """A bounded mix: each round is a handful of commands on new and existing entities,
    paced to `rate` commands per second."""

    def __init__(self, driver: RpcDriver, rate: float, seed: int) -> None:
        self.driver, self.rate = driver, rate
        self.rng = random.Random(seed)
        self.counties = sorted(load_city().counties)
        self.checklist_items = [item.code for item in load_checklists()[CHECKLIST].items]
        self.outcomes = Outcomes()
        self.verified: list[tuple[str, str]] = []  # (volunteer id, county), newest last
        self.ledger: list[tuple[str, str, str]] = []  # (volunteer id, entry id, hours)
        self.people = 0
        self.began = self.next_at = time.monotonic()

    # -- pacing and accounting --

    def call(self, service: str, method: str, payload: Any) -> Any:
        self.next_at = max(self.next_at + 1.0 / self.rate, time.monotonic() - 1.0)
        pause = self.next_at - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        started = time.perf_counter()
        try:
            answer = self.driver.call(service, method, payload)
        except YinfaError as error:
            self.outcomes.refused[f"{method}: {error.code}"] += 1
            return None
        except Exception as error:  # noqa: BLE001 - counted and reported, the soak goes on
            self.outcomes.failed[f"{method}: {type(error).__name__}: {str(error)[:120]}"] += 1
            return None
        self.outcomes.calls[method] += 1
        took = (time.perf_counter() - started) * 1000
        self.outcomes.latency_ms.setdefault(method, []).append(took)
        minute = int((time.monotonic() - self.began) // 60)
        self.outcomes.minute_ms.setdefault(minute, []).append(took)
        return answer

    def run(self, until: float) -> None:
        round_no = 0
        while time.monotonic() < until:
            round_no += 1
            self.round(round_no)

    def round(self, n: int) -> None:
        self.register_and_verify()
        self.record_hours()
        if n % 4 == 0:
            self.correct_hours()
        if n % 2 == 0 and len(self.verified) >= 8:
            self.activity(n)
        if n % 5 == 0:
            self.certify_branch()

    # -- volunteers --

    def register_and_verify(self) -> None:
        self.people += 1
        county = self.rng.choice(self.counties)
        born = date(1950, 1, 1) + timedelta(days=self.people // 400)
        seq = (self.people % 400) * 2 + 1  # odd: a man, as the gender below says
        answer = self.call("volunteers", "register_volunteer", {
            "name": "王建国", "gender": "男", "birth_year": born.year,
            "id_number": make_id_number(county, born, seq), "phone": "13812345678",
            "county_code": county, "retirement_status": "退休", "party_member": True,
            "skills": [],
        })
        if answer is None:
            return
        volunteer_id = answer["volunteer_id"]
        if self.call("volunteers", "verify_volunteer",
                     {"volunteer_id": volunteer_id, "county_code": county}) is not None:
            self.verified.append((volunteer_id, county))
            del self.verified[:-VERIFIED_POOL]

    def record_hours(self) -> None:
        if not self.verified:
            return
        volunteer_id, _ = self.rng.choice(self.verified)
        entry_id, hours = str(uuid.uuid4()), f"{self.rng.randint(5, 40) / 10:.1f}"
        served_on = date.today() - timedelta(days=self.rng.randint(1, 60))
        if self.call("volunteers", "record_hours", {
            "volunteer_id": volunteer_id, "entry_id": entry_id, "hours": hours,
            "served_on": served_on.isoformat(), "source": "bureau",
        }) is not None:
            self.ledger.append((volunteer_id, entry_id, hours))
            del self.ledger[:-200]

    def correct_hours(self) -> None:
        if not self.ledger:
            return
        volunteer_id, entry_id, hours = self.ledger.pop(self.rng.randrange(len(self.ledger)))
        corrected = "0.0" if self.rng.random() < 0.2 else f"{float(hours) + 0.5:.1f}"
        self.call("volunteers", "correct_hours", {
            "volunteer_id": volunteer_id, "entry_id": entry_id, "hours": corrected,
            "reason": "台账复核更正",
        })

    # -- activities: capacity 3, four sign-ups (one waitlisted), a withdrawal now and then --

    def activity(self, n: int) -> None:
        # the newest volunteers may not have reached the activities' directory yet
        settled = self.verified[:-4]
        volunteers = [vid for vid, _ in self.rng.sample(settled, 4)]
        starts = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=4)
        ends = starts + timedelta(hours=2)
        answer = self.call("activities", "publish_activity", {
            "client_request_id": str(uuid.uuid4()), "theme": "rural_revitalisation",
            "kind": "medical", "title": f"银发义诊第{n}场",
            "organiser": {"kind": "bureau", "id": "亭湖区委老干部局"},
            "county_code": self.rng.choice(self.counties), "place": "社区卫生服务中心",
            "starts_at": starts.isoformat(), "ends_at": ends.isoformat(), "capacity": 3,
        })
        if answer is None:
            return
        activity_id = answer["activity_id"]
        for volunteer_id in volunteers:
            self.call("activities", "sign_up", {
                "activity_id": activity_id, "volunteer_id": volunteer_id,
                "at": (starts - timedelta(days=1)).isoformat()})
        if n % 3 == 0:  # the first leaves: the waitlisted volunteer is promoted
            self.call("activities", "withdraw_sign_up", {
                "activity_id": activity_id, "volunteer_id": volunteers[0], "reason": "临时有事"})
            volunteers = volunteers[1:]
        else:
            volunteers = volunteers[:3]
        code = f"SOAK{n:04d}"
        self.call("activities", "issue_check_in_code", {
            "activity_id": activity_id, "code": code,
            "at": (starts - timedelta(hours=1)).isoformat()})
        for volunteer_id in volunteers:
            self.call("activities", "check_in", {
                "activity_id": activity_id, "volunteer_id": volunteer_id, "code": code,
                "at": starts.isoformat()})
            self.call("activities", "check_out", {
                "activity_id": activity_id, "volunteer_id": volunteer_id, "code": code,
                "at": ends.isoformat()})
        self.call("activities", "complete_activity", {
            "activity_id": activity_id, "audience_reached": 40, "beneficiaries": 12,
            "served": [{"volunteer_id": v, "hours": 2} for v in volunteers],
            "outcome": "圆满完成"})

    # -- branches: established, applied, every item reviewed, granted 达标 --

    def certify_branch(self) -> None:
        county = self.rng.choice(self.counties)
        branch = self.call("branches", "establish_branch", {
            "name": f"离退休干部第{self.people}党支部", "branch_type": "formal",
            "level": "branch", "county_code": county, "former_employer": "县财政局",
            "secretary": "李秀英", "established_on": "2020-03-01"})
        if branch is None:
            return
        branch_id, application_id = branch["branch_id"], str(uuid.uuid4())
        today = date.today()
        self.call("branches", "apply_for_certification", {
            "branch_id": branch_id, "application_id": application_id, "level": "standard",
            "checklist": CHECKLIST, "applicant": "李秀英",
            "applied_on": (today - timedelta(days=30)).isoformat(),
            "evidence": [{"item": item, "text": "台账齐全"} for item in self.checklist_items]})
        self.call("branches", "review_items", {
            "branch_id": branch_id, "application_id": application_id, "reviewer": "县委老干部局",
            "items": [{"item": item, "met": True} for item in self.checklist_items]})
        self.call("branches", "grant_certification", {
            "branch_id": branch_id, "application_id": application_id,
            "granted_by": "county_bureau", "granter_county": county,
            "granted_on": today.isoformat()})


# ---- verdicts ----------------------------------------------------------------------------


def median_between(series: list[tuple[float, int]], start: float, end: float) -> float | None:
    values = [value for at, value in series if start <= at <= end]
    return statistics.median(values) if values else None


def slope_per_minute(series: list[tuple[float, int]]) -> float:
    if len(series) < 3:
        return 0.0
    xs, ys = [at / 60 for at, _ in series], [float(v) for _, v in series]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def rss_verdicts(samples: Samples, warmup: float, end: float) -> dict[str, Any]:
    verdicts = {}
    for name, series in sorted(samples.rss.items()):
        after = [(at, v) for at, v in series if warmup <= at <= end]
        baseline = median_between(series, warmup, warmup + 60)
        final = median_between(series, end - 60, end)
        growth = None if not baseline or final is None else (final - baseline) / baseline * 100
        verdicts[name] = {
            "baseline_mib": _mib(baseline), "final_mib": _mib(final),
            "max_mib": _mib(max(v for _, v in series)),
            "growth_percent": None if growth is None else round(growth, 2),
            "slope_mib_per_minute": round(slope_per_minute(after) / 1024, 3),
            "flat": growth is not None and growth < RSS_TARGET_PERCENT,
        }
    return verdicts


def queue_verdicts(samples: Samples, warmup: float, end: float,
                   drained: dict[str, int]) -> dict[str, Any]:
    verdicts = {}
    third = (end - warmup) / 3
    for name, series in sorted(samples.queues.items()):
        early = median_between(series, warmup, warmup + third) or 0
        late = median_between(series, end - third, end) or 0
        during = [(at, v) for at, v in series if at <= end]
        verdicts[name] = {
            "max_depth": max((v for _, v in during), default=0),
            "median_depth_first_third": early,
            "median_depth_last_third": late,
            "depth_after_drain": drained.get(name, 0),
            "grows_without_bound": late - early > GROWTH_MESSAGES and drained.get(name, 0) > 0,
        }
    return verdicts


def _mib(kib: float | None) -> float | None:
    return None if kib is None else round(kib / 1024, 1)


def wait_for_drain(management: Management, consumers: tuple[str, ...]) -> tuple[float, dict]:
    """After the workload: how long until every service queue is empty (bounded)."""
    started = time.monotonic()
    depths: dict[str, int] = {}
    while time.monotonic() - started < DRAIN_TIMEOUT:
        depths = management.queue_depths()
        backlog = {q: d for q, d in depths.items() if d and not q.startswith("dlq.")
                   and q.split("-")[0].split(".")[0] in ("evt", "rpc", *consumers)}
        if not backlog:
            return time.monotonic() - started, depths
        time.sleep(1.0)
    return time.monotonic() - started, depths


def consistency(config: dict, timeout: float = 60.0) -> dict[str, Any]:
    """Once the queues are drained: every hour credited by a completion is on the
    volunteers' ledgers, and the scoring service has taken in every published event."""
    sources = ("volunteers", "branches", "activities")
    deadline = time.monotonic() + timeout
    try:
        with ClusterRpcProxy(config, timeout=30) as rpc:
            while True:
                credited = sum(Decimal(row["hours"])
                               for row in rpc.activities.county_summary().values())
                on_ledgers = sum(Decimal(row["activity_hours"])
                                 for row in rpc.volunteers.county_summary())
                published = {name: getattr(rpc, name).health()["head"] for name in sources}
                scoring = rpc.scoring.health()
                # the consumer's outcome counts (its inbox's, or its intake's)
                heard = sum((scoring.get("inbox") or scoring.get("intake") or {}).values())
                settled = credited == on_ledgers and heard >= sum(published.values())
                if settled or time.monotonic() > deadline:
                    return {"activity_hours_credited": str(credited),
                            "activity_hours_on_ledgers": str(on_ledgers),
                            "events_published": published, "events_taken_in_by_scoring": heard,
                            "consistent": settled}
                time.sleep(1.0)
    except Exception as error:  # noqa: BLE001 - the soak's figures are recorded regardless
        return {"consistent": False, "error": f"{type(error).__name__}: {error}"}


# ---- machine and record ------------------------------------------------------------------


def machine() -> dict[str, Any]:
    def run(argv: list[str]) -> str:
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=10,
                                  cwd=ROOT).stdout.strip()
        except OSError:
            return ""

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text()
                .splitlines() if line.startswith("model name")), "?")
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "hostname": platform.node(), "nproc": os.cpu_count(), "cpu": cpu,
        "ram_gib": round(mem_kib / 1024 / 1024, 1), "kernel": platform.release(),
        "python": platform.python_version(),
        # a soak of an exported tree (no .git) names its commit in YINFA_COMMIT
        "git_commit": run(["git", "rev-parse", "--short", "HEAD"])
        or os.environ.get("YINFA_COMMIT", "?"),
    }


def latency_summary(latency: dict[str, list[float]]) -> dict[str, Any]:
    summary = {}
    for method, values in sorted(latency.items()):
        ordered = sorted(values)
        summary[method] = {
            "count": len(values), "p50_ms": round(ordered[len(ordered) // 2], 1),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1)}
    return summary


def record(result: dict[str, Any], suffix: str = "") -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"soak-{result['date']}{suffix}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return path


# ---- main --------------------------------------------------------------------------------


def soak(minutes: float, warmup_minutes: float, rate: float, sample_seconds: float,
         seed: int, keep: bool) -> dict[str, Any]:
    broker = ensure_broker()
    management_uri = ensure_management().uri
    vhost = f"yinfa-soak-{uuid.uuid4().hex[:8]}"
    management = Management(management_uri, vhost)
    management.create_vhost()
    amqp_uri = vhost_uri(broker.uri, vhost)
    run_dir = ROOT / "var" / f"soak-{int(time.time())}"
    mongo_uri, embedded = ensure_store(data_dir=run_dir / "store", name="soak")
    log(f"vhost {vhost} on {mask_uri(broker.uri)}; store {mongo_uri}; logs in {run_dir}")
    env = {"AMQP_URI": amqp_uri, "MONGO_URI": mongo_uri, "YINFA_DB_PREFIX": "yinfa_soak",
           "YINFA_LOG_LEVEL": "WARNING"}
    config = {"AMQP_URI": amqp_uri, "serializer": "json"}
    started_at = datetime.now(UTC)
    try:
        with Supervisor(run_dir / "logs") as supervisor:
            for name in SOAKED:
                supervisor.start(name, [sys.executable, "-m", "yinfa.cli", "run", name], env)
            wait_until_ready(config, supervisor)
            pids = {name: proc.pid for name, proc in supervisor.children.items()}
            if embedded is not None and embedded.pid:
                pids["nx-27017"] = embedded.pid
            pids["soak-driver"] = os.getpid()
            log(f"services up ({', '.join(SOAKED)}); driving {rate:g} commands/s "
                f"for {minutes:g} min (warm-up {warmup_minutes:g} min)")
            began = time.monotonic()
            sampler = Sampler(pids, management, sample_seconds, began)
            sampler.start()
            driver = RpcDriver(config)
            workload = Workload(driver, rate, seed)
            per_minute: list[int] = []
            progress = threading.Thread(target=_progress,
                                        args=(workload, began, minutes, per_minute), daemon=True)
            progress.start()
            try:
                workload.run(began + minutes * 60)
            finally:
                driver.close()
            end = time.monotonic() - began
            drain_seconds, drained = wait_for_drain(management, SOAKED)
            checked = consistency(config)
            sampler.stopping.set()
            sampler.join()
            crashed = supervisor.exited()
    finally:
        if embedded is not None:
            embedded.stop()
        if not keep:
            management.delete_vhost()
    warmup = warmup_minutes * 60
    rss = rss_verdicts(sampler.samples, warmup, end)
    queues = queue_verdicts(sampler.samples, warmup, end, drained)
    outcomes = workload.outcomes
    return {
        "date": started_at.date().isoformat(),
        "started_at": started_at.isoformat(timespec="seconds"),
        "machine": {**machine(), "rabbitmq": _quiet(management.broker_version)},
        "settings": {"minutes": minutes, "warmup_minutes": warmup_minutes,
                     "target_commands_per_s": rate, "sample_seconds": sample_seconds,
                     "seed": seed, "driver": "nameko RPC (gateway not yet in the path)",
                     "broker": mask_uri(broker.uri),
                     "rss_target_percent": RSS_TARGET_PERCENT,
                     "queue_growth_messages": GROWTH_MESSAGES},
        "workload": {
            "commands_answered": sum(outcomes.calls.values()),
            "driver_reconnects": driver.reconnects,
            "commands_per_s": round(sum(outcomes.calls.values()) / end, 1),
            "answered_per_minute": per_minute,
            "median_latency_ms_per_minute": [
                round(statistics.median(values), 1)
                for _, values in sorted(outcomes.minute_ms.items())],
            "answered": dict(outcomes.calls), "refused": dict(outcomes.refused),
            "failed": dict(outcomes.failed), "latency": latency_summary(outcomes.latency_ms),
        },
        "drain_seconds": round(drain_seconds, 1),
        "services_exited": crashed,
        "consistency": checked,
        "rss": rss,
        "queues": queues,
        "load_average": {"mean": round(statistics.fmean(v for _, v in sampler.samples.load), 2),
                         "max": max(v for _, v in sampler.samples.load)},
        "sampling_errors": dict(sampler.samples.errors),
        "verdict": {
            "rss_flat": all(v["flat"] for v in rss.values()),
            "no_queue_grows_without_bound": not any(
                v["grows_without_bound"] for v in queues.values()),
            "dead_letters": {q: v["depth_after_drain"] for q, v in queues.items()
                             if q.startswith("dlq.")},
            "no_dead_letters": not any(v["depth_after_drain"] for q, v in queues.items()
                                       if q.startswith("dlq.")),
            "no_unexpected_failures": not outcomes.failed and not crashed,
            "ledgers_and_scoring_consistent": checked["consistent"],
        },
        "series": {"rss_kib": sampler.samples.rss, "queue_depth": sampler.samples.queues,
                   "load_average": sampler.samples.load},
    }


def _progress(workload: Workload, began: float, minutes: float, per_minute: list[int]
              ) -> None:
    """Log each minute, and keep the commands answered in it (does throughput hold?)."""
    while True:
        time.sleep(60)
        elapsed = (time.monotonic() - began) / 60
        if elapsed > minutes:
            return
        per_minute.append(sum(workload.outcomes.calls.values()) - sum(per_minute))
        log(f"{elapsed:4.1f}/{minutes:g} min: {sum(workload.outcomes.calls.values())} answered, "
            f"{sum(workload.outcomes.refused.values())} refused, "
            f"{sum(workload.outcomes.failed.values())} failed")


def _quiet(call: Callable[[], str]) -> str:
    try:
        return call()
    except requests.RequestException:
        return "?"


def main() -> int:
    from yinfa.infra.run_secrets import ensure_run_secrets

    ensure_run_secrets()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--warmup-minutes", type=float, default=None,
                        help="default: 2, or a fifth of a shorter run")
    parser.add_argument("--rate", type=float, default=15.0, help="commands per second")
    parser.add_argument("--sample-seconds", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--keep-vhost", action="store_true", help="leave the vhost to inspect")
    args = parser.parse_args()
    warmup = args.warmup_minutes if args.warmup_minutes is not None else min(2.0,
                                                                             args.minutes / 5)
    result = soak(args.minutes, warmup, args.rate, args.sample_seconds, args.seed,
                  args.keep_vhost)
    path = record(result, "" if args.minutes >= 10 else f"-{args.minutes:g}min")
    log(f"result: {path.relative_to(ROOT)}")
    for name, verdict in result["rss"].items():
        log(f"  RSS {name:<12} {verdict['baseline_mib']} → {verdict['final_mib']} MiB "
            f"({verdict['growth_percent']} %)")
    for name, verdict in result["queues"].items():
        log(f"  queue {name:<50} max {verdict['max_depth']:>5}  "
            f"grows: {verdict['grows_without_bound']}")
    log(f"verdict: {json.dumps(result['verdict'], ensure_ascii=False)}")
    verdict = result["verdict"]
    return 0 if verdict["rss_flat"] and verdict["no_queue_grows_without_bound"] else 1


if __name__ == "__main__":
    sys.exit(main())
