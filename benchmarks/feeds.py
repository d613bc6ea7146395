"""The feeds benchmark: partners' imports and the public log.

    python benchmarks/feeds.py           # full run (100,000 rows), writes results/feeds.md
    python benchmarks/feeds.py --quick   # smoke run (5,000 rows)

The volunteers service, the feeds service and the gateway run as processes of their own
(`yinfa run <name>`) on a throw-away broker vhost and store (as benchmarks/kernel.py).

1. **Import**: `yinfa-import` (as a process: `python -m services.feeds.imports.cli`) of a
   CSV of N volunteer registrations (GB18030, 5 % bad ID numbers) into the volunteers
   service, end to end: rows/s over the whole run, and the importer's RSS sampled every
   0.2 s (target ≥ 1,000 rows/s; RSS must not grow with the rows).
2. **Feed read**: once the feeds service holds every accepted registration, one partner
   reads the HTTP feed from cursor 0 to the end, 1,000 entries a request: events/s
   (target ≥ 5,000/s).
3. **Lag**: a writer registers volunteers at 200/s (10 every 50 ms) for 20 s while a
   partner long-polls the feed; the lag of each entry from its event's acceptance
   (`occurred_at`) to the answer that hands it out: p50, p99 (target p99 ≤ 500 ms).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import requests
from kernel import Broker, Store, machine_info, record_results
from nameko.standalone.rpc import ClusterRpcProxy

from contracts.feeds.imports import COLUMNS
from contracts.volunteers.id_number import make_id_number
from gateway.accounts.book import AccountBook, DirectStreams

SIZES = {"full": {"rows": 100_000, "lag_seconds": 20},
         "quick": {"rows": 5_000, "lag_seconds": 5}}
SERVICES = ("volunteers", "feeds", "gateway")
READY_TIMEOUT = 120.0
HOST = "127.0.0.1"
OPS_PASSWORD = "bench-ops-password-1"
LAG_RATE, LAG_EVERY = 200, 0.05  # events/s, seconds between two writes


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"n": len(ordered), "p50": round(ordered[len(ordered) // 2], 1),
            "p99": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1),
            "max": round(ordered[-1], 1)}


def person(n: int) -> list[str]:
    born = date(1950, 1, 1) + dt.timedelta(days=n // 500)
    number = make_id_number("320902", born, (n % 500) * 2 + 1)
    if n % 20 == 0:
        number = number[:-1] + ("0" if number[-1] != "0" else "1")  # 5 %: a bad check digit
    return [f"r{n}", "欧阳·建国", "男", str(born.year), number, "13812345678", "320902", "退休"]


def write_roster(path: Path, rows: int, first: int = 0) -> int:
    header = COLUMNS["volunteers"][0]
    with path.open("w", encoding="gb18030", newline="") as out:
        out.write(",".join(header) + "\n")
        for n in range(first, first + rows):
            out.write(",".join(person(n)) + "\n")
    return sum(1 for n in range(first, first + rows) if n % 20)


class Platform:
    def __init__(self, broker: Broker, store: Store, logs: Path) -> None:
        self.prefix = store.db_name("feeds_bench")
        for service in SERVICES:
            store.dbs.append(f"{self.prefix}_{service}")
        self.port = 18000 + os.getpid() % 1000
        self.env = {**os.environ, "AMQP_URI": broker.uri, "MONGO_URI": store.uri,
                    "YINFA_DB_PREFIX": self.prefix, "YINFA_OPS_PORT": "off",
                    "YINFA_GATEWAY_ADDRESS": f"{HOST}:{self.port}",
                    "YINFA_GATEWAY_RATE": "1000000", "YINFA_GATEWAY_BURST": "1000000",
                    "YINFA_LOG_LEVEL": "WARNING"}
        self.config = {"AMQP_URI": broker.uri, "serializer": "json"}
        self.store, self.logs = store, logs
        self.children: list[subprocess.Popen] = []
        self.base = f"http://{HOST}:{self.port}"

    def start(self) -> None:
        db = self.store.client[f"{self.prefix}_gateway"]
        AccountBook(db, DirectStreams(db, actor="benchmark")).open(
            {"username": "bench-ops", "password": OPS_PASSWORD, "role": "ops"})
        yinfa = str(Path(sys.executable).with_name("yinfa"))
        self.logs.mkdir(parents=True, exist_ok=True)
        for name in SERVICES:
            with open(self.logs / f"{name}.log", "wb") as log:
                self.children.append(subprocess.Popen([yinfa, "run", name], env=self.env,
                                                      stdout=log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + READY_TIMEOUT
        with ClusterRpcProxy(self.config, timeout=10) as cluster:
            for name in ("volunteers", "feeds"):
                while True:
                    try:
                        getattr(cluster, name).health()
                        break
                    except Exception:  # noqa: BLE001 - not up yet
                        if time.monotonic() > deadline:
                            raise RuntimeError(f"{name} did not answer; see {self.logs}") from None
                        time.sleep(0.5)
        while True:
            try:
                if requests.get(f"{self.base}/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the gateway did not answer; see {self.logs}")
            time.sleep(0.5)

    def partner(self) -> requests.Session:
        login = requests.post(f"{self.base}/auth/login", json={
            "username": "bench-ops", "password": OPS_PASSWORD}, timeout=10).json()
        ops = requests.Session()
        ops.headers["Authorization"] = f"Bearer {login['access_token']}"
        ops.put(f"{self.base}/feed-profiles/bench", json={"label": "基准", "types": {
            "VolunteerRegistered": ["county_code", "retirement_status"]}},
            timeout=10).raise_for_status()
        ops.put(f"{self.base}/partners/bench-partner", json={
            "label": "基准", "profile": "bench"}, timeout=10).raise_for_status()
        key = ops.post(f"{self.base}/partners/bench-partner/api-keys",
                       json={"label": "基准"}, timeout=10).json()["api_key"]
        partner = requests.Session()
        partner.headers["X-Api-Key"] = key
        return partner

    def stop(self) -> None:
        for child in self.children:
            child.terminate()
        for child in self.children:
            try:
                child.wait(30)
            except subprocess.TimeoutExpired:
                child.kill()


def rss_mib(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def import_run(platform: Platform, rows: int, work: Path) -> dict[str, Any]:
    path = work / "roster.csv"
    good = write_roster(path, rows)
    command = [sys.executable, "-m", "services.feeds.imports.cli", str(path),
               "--kind", "volunteers", "--source", "bench"]
    samples: list[float] = []
    started = time.perf_counter()
    with open(platform.logs / "import.log", "wb") as log:
        process = subprocess.Popen(command, env=platform.env, stdout=subprocess.PIPE,
                                   stderr=log)
        while process.poll() is None:
            rss = rss_mib(process.pid)
            if rss is not None:
                samples.append(rss)
            time.sleep(0.2)
    seconds = time.perf_counter() - started
    out = process.stdout.read().decode() if process.stdout else ""
    if process.returncode != 0 or f"{good} accepted" not in out:
        raise RuntimeError(f"the import ended {process.returncode}: {out!r}")
    tenth = max(1, len(samples) // 10)
    return {"rows": rows, "accepted": good, "seconds": round(seconds, 1),
            "rows_per_s": round(rows / seconds, 1),
            "rss_mib": {"first_tenth_max": round(max(samples[:tenth]), 1),
                        "last_tenth_max": round(max(samples[-tenth:]), 1),
                        "max": round(max(samples), 1), "samples": len(samples)}}


def wait_for_feed(platform: Platform, count: int, timeout: float = 900.0) -> None:
    deadline = time.monotonic() + timeout
    with ClusterRpcProxy(platform.config, timeout=30) as cluster:
        while cluster.feeds.head() < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the feed holds {cluster.feeds.head()} of {count}")
            time.sleep(1)


def read_run(partner: requests.Session, base: str, expected: int) -> dict[str, Any]:
    after, seen, requests_made = "0", 0, 0
    started = time.perf_counter()
    while True:
        answer = partner.get(f"{base}/feeds/bench/events",
                             params={"after": after, "limit": 1000}, timeout=60)
        answer.raise_for_status()
        body = answer.json()
        requests_made += 1
        seen += len(body["events"])
        after = body["next"]
        if not body["events"]:
            break
    seconds = time.perf_counter() - started
    if seen < expected:
        raise RuntimeError(f"read {seen} entries of {expected}")
    return {"events": seen, "requests": requests_made, "seconds": round(seconds, 2),
            "events_per_s": round(seen / seconds, 1), "cursor": after}


def lag_run(platform: Platform, partner: requests.Session, cursor: str, seconds: float,
            first: int) -> dict[str, Any]:
    """From `cursor` (the end of the log), a partner long-polls while a writer registers
    LAG_RATE people a second, on a schedule (a slow answer is made up by the next write)."""
    lags: list[float] = []
    stop = threading.Event()

    def follow() -> None:
        after = cursor
        while not stop.is_set():
            answer = partner.get(f"{platform.base}/feeds/bench/events",
                                 params={"after": after, "limit": 1000, "wait": 2},
                                 timeout=60).json()
            received = time.time()
            for entry in answer["events"]:
                lags.append((received - datetime.fromisoformat(entry["occurred_at"])
                             .timestamp()) * 1000)
            after = answer["next"]

    follower = threading.Thread(target=follow)
    follower.start()
    time.sleep(1.0)
    header = COLUMNS["volunteers"][0]
    written, n = 0, first
    with ClusterRpcProxy(platform.config, timeout=30) as cluster:
        started = time.monotonic()
        while (elapsed := time.monotonic() - started) < seconds:
            due = min(int(LAG_RATE * elapsed) - written, 100)
            batch = []
            while len(batch) < due:
                if n % 20:  # the good ones only: every one an event
                    batch.append(dict(zip(header[1:], person(n)[1:], strict=True)))
                n += 1
            if batch:
                written += sum(r["status"] == "created" for r in
                               cluster.volunteers.register_volunteers(batch)["results"])
            time.sleep(LAG_EVERY)
        rate = written / (time.monotonic() - started)
    deadline = time.monotonic() + 60
    while len(lags) < written and time.monotonic() < deadline:
        time.sleep(0.2)
    stop.set()
    follower.join()
    return {"written": written, "rate_per_s": round(rate, 1), "lag_ms": percentiles(lags)}


def run(mode: str) -> dict[str, Any]:
    size = SIZES[mode]
    broker, store = Broker(), Store()
    work = Path(tempfile.mkdtemp(prefix="yinfa-bench-feeds-"))
    platform = Platform(broker, store, work / "logs")
    try:
        result: dict[str, Any] = {
            "mode": mode, "date": dt.date.today().isoformat(),
            "started": dt.datetime.now().isoformat(timespec="seconds"),
            "machine": machine_info(store), "load_before": list(os.getloadavg())}
        platform.start()
        partner = platform.partner()
        say(f"importing {size['rows']} rows through yinfa-import")
        result["import"] = import_run(platform, size["rows"], work)
        say(f"import: {result['import']}")
        wait_for_feed(platform, result["import"]["accepted"])
        say("reading the feed from cursor 0")
        result["read"] = read_run(partner, platform.base, result["import"]["accepted"])
        say(f"read: {result['read']}")
        say(f"lag at {LAG_RATE} events/s for {size['lag_seconds']} s")
        cursor = result["read"].pop("cursor")
        result["lag"] = lag_run(platform, partner, cursor, size["lag_seconds"],
                                size["rows"] + 1000)
        say(f"lag: {result['lag']}")
        result["load_after"] = list(os.getloadavg())
        return result
    finally:
        platform.stop()
        broker.close()
        store.close()


def markdown_section(result: dict[str, Any]) -> str:
    m, i, r, lag = result["machine"], result["import"], result["read"], result["lag"]
    return "\n".join([
        f"<!-- run {result['date']} -->",
        f"## {result['date']} ({result['mode']} run)",
        "",
        f"Machine: {m.get('nproc')} cores ({m.get('cpu')}), commit {m.get('git_commit')}; "
        f"load average before {[round(x, 2) for x in result['load_before']]}, after "
        f"{[round(x, 2) for x in result['load_after']]}.",
        "",
        "| figure | value | target |",
        "| --- | --- | ---: |",
        f"| import of {i['rows']:,} registrations (GB18030 CSV, 5 % bad ID numbers) into "
        f"the volunteers service, end to end | **{i['rows_per_s']} rows/s** "
        f"({i['seconds']} s, {i['accepted']:,} accepted) | ≥ 1,000 rows/s |",
        f"| the importer's RSS: max in the first tenth of the run, in the last tenth, overall "
        f"| {i['rss_mib']['first_tenth_max']} / {i['rss_mib']['last_tenth_max']} / "
        f"{i['rss_mib']['max']} MiB | flat |",
        f"| HTTP feed read from cursor 0, 1,000 a request | **{r['events_per_s']} events/s** "
        f"({r['events']:,} in {r['seconds']} s) | ≥ 5,000/s |",
        f"| lag from acceptance to the feed at {lag['rate_per_s']} events/s "
        f"(n={lag['lag_ms']['n']}) | p50 {lag['lag_ms']['p50']} ms, **p99 "
        f"{lag['lag_ms']['p99']} ms**, max {lag['lag_ms']['max']} ms | p99 ≤ 500 ms |",
        "",
        f"<!-- /run {result['date']} -->",
        "",
    ])


def main() -> int:
    from yinfa.infra.run_secrets import ensure_run_secrets

    ensure_run_secrets()
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    result = run("quick" if parser.parse_args().quick else "full")
    path = record_results(result, "feeds", "Feeds benchmark results", markdown_section(result))
    print(markdown_section(result))
    say(f"recorded {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
