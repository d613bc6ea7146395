"""The gateway benchmark: county-ranking reads over HTTP, and the bare nameko @http ceiling.

    python benchmarks/gateway_load.py           # full run: records results/gateway_load-*
    python benchmarks/gateway_load.py --quick   # smoke run (short phases), *-quick.json only

The platform runs as two child processes, as deployed: the services (volunteers,
branches, activities, scoring) in one and the gateway in another (`yinfa run ...`),
against the real RabbitMQ on 127.0.0.1 (a throw-away vhost) and an embedded nx-27017 (or
MONGO_URI); a third child runs a bare nameko service with one `@http` route that answers
a constant. This process is the load generator:

1. ceiling: closed loop, CONCURRENCY clients back to back for a fixed time, against the
   bare route and against `GET /rankings/counties` (a JWT checked, an RPC to scoring, the
   JSON answered, an ETag computed): requests per second of each, and their ratio;
2. open loop at RATE requests per second for a fixed time against the ranking: latency
   measured from each request's scheduled start (so a stall is not hidden), p50/p99.

Bounded: every phase has a fixed duration, every request a 10 s timeout, and only
127.0.0.1 is contacted.
"""

# ruff: noqa: E402
import eventlet

eventlet.monkey_patch()

import argparse
import datetime as dt
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the kernel benchmark's helpers
sys.path.insert(1, str(HERE.parent))

from kernel import Broker, Store, machine_info, record_results

from gateway.accounts.book import AccountBook, DirectStreams
from yinfa.infra.embedded_store import free_port

SIZES = {
    "full": {"warmup_s": 3.0, "ceiling_s": 10.0, "open_s": 20.0},
    "quick": {"warmup_s": 1.0, "ceiling_s": 3.0, "open_s": 4.0},
}
RATE = 500  # requests per second, open loop
CONCURRENCY = 16  # closed-loop clients
TARGET_P99_MS = 50.0
REQUEST_TIMEOUT = 10.0
SERVICES = ("volunteers", "branches", "activities", "scoring", "feeds", "gateway")


# ---- the bare @http service (run in a child: `gateway_load.py --serve-bare PORT`) --------------


def serve_bare(port: int, amqp_uri: str) -> None:
    from nameko.runners import ServiceRunner
    from nameko.web.handlers import http

    class Bare:
        name = "bare"

        @http("GET", "/ping")
        def ping(self, request: Any) -> str:
            return '{"pong": true}'

    runner = ServiceRunner({"AMQP_URI": amqp_uri, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"})
    runner.add_service(Bare)
    runner.start()
    runner.wait()


# ---- HTTP load ------------------------------------------------------------------------------


class Client:
    """Keep-alive HTTP connections, one per green thread that borrows it."""

    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.port = port
        self.headers = headers
        self.pool: eventlet.queue.LightQueue = eventlet.queue.LightQueue()

    def get(self, path: str) -> int:
        conn = self.pool.get() if not self.pool.empty() else http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            conn.request("GET", path, headers=self.headers)
            response = conn.getresponse()
            response.read()
            self.pool.put(conn)
            return response.status
        except Exception:
            conn.close()
            return 0


def closed_loop(client: Client, path: str, seconds: float) -> dict[str, Any]:
    end = time.monotonic() + seconds
    counts = {"ok": 0, "failed": 0}

    def worker() -> None:
        while time.monotonic() < end:
            counts["ok" if client.get(path) == 200 else "failed"] += 1

    started = time.monotonic()
    pool = eventlet.GreenPool(CONCURRENCY)
    for _ in range(CONCURRENCY):
        pool.spawn(worker)
    pool.waitall()
    elapsed = time.monotonic() - started
    return {"requests": counts["ok"], "failed": counts["failed"],
            "rps": round(counts["ok"] / elapsed, 1)}


def open_loop(client: Client, path: str, rate: int, seconds: float) -> dict[str, Any]:
    """Request i is due at start + i/rate; its latency counts from then."""
    latencies: list[float] = []
    failed = [0]
    total = int(rate * seconds)
    pool = eventlet.GreenPool(2000)
    start = time.monotonic() + 0.1

    def one(due: float) -> None:
        status = client.get(path)
        if status == 200:
            latencies.append(time.monotonic() - due)
        else:
            failed[0] += 1

    for i in range(total):
        due = start + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            eventlet.sleep(delay)
        pool.spawn(one, due)
    pool.waitall()
    elapsed = time.monotonic() - start
    latencies.sort()

    def pct(p: float) -> float:
        return round(1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))], 2)

    return {"rate": rate, "requests": total, "answered": len(latencies), "failed": failed[0],
            "achieved_rps": round(len(latencies) / elapsed, 1),
            "p50_ms": pct(0.50), "p90_ms": pct(0.90), "p99_ms": pct(0.99),
            "max_ms": round(1000 * latencies[-1], 2),
            "mean_ms": round(1000 * statistics.fmean(latencies), 2)}


# ---- the run ----------------------------------------------------------------------------------


def wait_until_answering(port: int, path: str, headers: dict[str, str], timeout: float = 90
                         ) -> None:
    deadline = time.monotonic() + timeout
    client = Client(port, headers)
    while time.monotonic() < deadline:
        if client.get(path) == 200:
            return
        eventlet.sleep(0.5)
    raise RuntimeError(f"127.0.0.1:{port}{path} did not answer 200 within {timeout} s")


def login(port: int, username: str, password: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    conn.request("POST", "/auth/login", body=json.dumps({"username": username,
                                                        "password": password}),
                 headers={"Content-Type": "application/json"})
    return json.loads(conn.getresponse().read())["access_token"]


def run(mode: str) -> dict[str, Any]:
    size = SIZES[mode]
    load_before = os.getloadavg()
    broker, store = Broker(), Store()
    children: list[subprocess.Popen] = []
    try:
        prefix = store.db_name("platform")
        for service in SERVICES:
            store.dbs.append(f"{prefix}_{service}")
        gateway_port, bare_port = free_port(), free_port()
        env = {**os.environ, "AMQP_URI": broker.uri, "MONGO_URI": store.uri,
               "YINFA_DB_PREFIX": prefix, "YINFA_GATEWAY_ADDRESS": f"127.0.0.1:{gateway_port}",
               "YINFA_GATEWAY_RATE": "1000000", "YINFA_GATEWAY_BURST": "1000000",
               "YINFA_LOG_LEVEL": "WARNING"}
        db = store.client[f"{prefix}_gateway"]
        AccountBook(db, DirectStreams(db, actor="benchmark")).open(
            {"username": "bench", "password": "benchmark-password", "role": "city_admin"})
        yinfa = str(Path(sys.executable).with_name("yinfa"))
        # as deployed: the gateway in a process of its own, the services in another
        for names in (SERVICES[:-1], ("gateway",)):
            children.append(subprocess.Popen([yinfa, "run", *names], env=env,
                                             stdout=subprocess.DEVNULL,
                                             stderr=subprocess.DEVNULL))
        children.append(subprocess.Popen(
            [sys.executable, __file__, "--serve-bare", str(bare_port), broker.uri],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_until_answering(gateway_port, "/health", {})
        token = login(gateway_port, "bench", "benchmark-password")
        auth = {"Authorization": f"Bearer {token}"}
        ranking = "/rankings/counties"
        wait_until_answering(gateway_port, ranking, auth)
        wait_until_answering(bare_port, "/ping", {})

        gateway, bare = Client(gateway_port, auth), Client(bare_port, {})
        closed_loop(gateway, ranking, size["warmup_s"])
        closed_loop(bare, "/ping", size["warmup_s"])
        bare_ceiling = closed_loop(bare, "/ping", size["ceiling_s"])
        gateway_ceiling = closed_loop(gateway, ranking, size["ceiling_s"])
        # the same door without the ranking behind it: what the pipeline alone costs
        health_ceiling = closed_loop(gateway, "/health", size["ceiling_s"])
        at_rate = open_loop(gateway, ranking, RATE, size["open_s"])
        return {
            "benchmark": "gateway", "mode": mode, "date": dt.date.today().isoformat(),
            "machine": machine_info(store), "load_before": load_before,
            "concurrency": CONCURRENCY, "target_p99_ms": TARGET_P99_MS,
            "bare_http_ceiling": bare_ceiling, "gateway_ranking_ceiling": gateway_ceiling,
            "gateway_health_ceiling": health_ceiling,
            "ceiling_ratio": round(gateway_ceiling["rps"] / bare_ceiling["rps"], 3),
            "open_loop": at_rate, "durations_s": size,
        }
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
        try:
            store.close()
        finally:
            broker.close()


def markdown_section(result: dict[str, Any]) -> str:
    bare, gw, ol = (result["bare_http_ceiling"], result["gateway_ranking_ceiling"],
                    result["open_loop"])
    verdict = "met" if ol["p99_ms"] <= TARGET_P99_MS and not ol["failed"] else "missed"
    machine = result["machine"]
    return (
        f"<!-- run {result['date']} -->\n"
        f"## {result['date']}\n\n"
        f"{machine['nproc']} cores ({machine['cpu']}), {machine['store']}, RabbitMQ "
        f"{machine['rabbitmq']}, commit {machine['git_commit']}; load average before the "
        f"run {', '.join(f'{x:.1f}' for x in result['load_before'])}.\n\n"
        "| figure | value |\n| --- | ---: |\n"
        f"| bare nameko `@http` ceiling ({result['concurrency']} clients) | {bare['rps']} req/s |\n"
        f"| gateway `GET /rankings/counties` ceiling | {gw['rps']} req/s |\n"
        f"| ratio gateway / bare | {result['ceiling_ratio']} |\n"
        f"| gateway `GET /health` ceiling (pipeline, no RPC) | "
        f"{result['gateway_health_ceiling']['rps']} req/s |\n"
        f"| open loop at {ol['rate']} req/s: achieved | {ol['achieved_rps']} req/s |\n"
        f"| p50 / p90 / p99 / max | {ol['p50_ms']} / {ol['p90_ms']} / {ol['p99_ms']} / "
        f"{ol['max_ms']} ms |\n"
        f"| failed requests | {ol['failed']} of {ol['requests']} |\n\n"
        f"Target p99 ≤ {TARGET_P99_MS:.0f} ms at {ol['rate']} req/s: **{verdict}**.\n"
        f"<!-- /run {result['date']} -->\n"
    )


def main() -> int:
    from yinfa.infra.run_secrets import ensure_run_secrets

    ensure_run_secrets()
    if len(sys.argv) == 4 and sys.argv[1] == "--serve-bare":
        serve_bare(int(sys.argv[2]), sys.argv[3])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short phases: a smoke run")
    args = parser.parse_args()
    result = run("quick" if args.quick else "full")
    print(json.dumps({k: result[k] for k in ("bare_http_ceiling", "gateway_ranking_ceiling",
                                             "gateway_health_ceiling", "ceiling_ratio",
                                             "open_loop")}, indent=2))
    path = record_results(result, "gateway_load", "Gateway load benchmark results",
                          markdown_section(result))
    print(f"recorded {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
