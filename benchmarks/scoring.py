"""The scoring benchmark: re-fold from the journal, live intake through RabbitMQ, queries.

    python benchmarks/scoring.py            # full run: the city at scale, records results
    python benchmarks/scoring.py --quick    # smoke run (a tenth of the data), *-quick.json

Three figures, in one process against the real RabbitMQ on 127.0.0.1 (a throw-away vhost)
and an embedded nx-27017 (or MONGO_URI), with the kernel benchmark's helpers:

1. rebuild: a journal of the whole city — 11 counties, 1,000 party organisations per
   county, 50,000 volunteers with members, certifications and hours — written in pages
   (not timed), then folded from the store into a new state and swapped in (timed);
2. query: in-service latency (no RPC) of the county ranking, a county's volunteer ranking
   page and a county's branch ranking page over that state: p50/p99 over many calls with
   the cache warm, and the cost of one recomputation after a change;
3. live: the scoring service in a nameko container; valid source events published on
   `volunteers.events`; timed from the first publish until all are journaled and folded.
"""

# ruff: noqa: E402
import eventlet

eventlet.monkey_patch()

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
import uuid
import warnings
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

warnings.filterwarnings("ignore")

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the kernel benchmark's helpers
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # the project

import kernel
import kombu
from kernel import Broker, Store, machine_info
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ClusterRpcProxy

from services.scoring import queries
from services.scoring.dependencies import Engine
from services.scoring.domain.state import SourceEvent
from services.scoring.engine.baselines import Baselines
from services.scoring.engine.journal import Journal
from services.scoring.engine.rulebooks import Rulebooks
from services.scoring.service import ScoringService
from yinfa.reference import load_city

SIZES = {
    "full": {"branches_per_county": 1000, "volunteers": 50_000, "hours_per_volunteer": 2,
             "live_events": 4000, "queries": 2000},
    "quick": {"branches_per_county": 100, "volunteers": 5_000, "hours_per_volunteer": 2,
              "live_events": 2000, "queries": 300},
}
TARGETS = {"rebuild_events_per_s": 20_000, "live_events_per_s": 1_000, "query_p99_ms": 10.0}
PAGE = 1000
LIVE_TIMEOUT = 300.0
MAX_WORKERS = int(os.environ.get("SCORING_MAX_WORKERS", "10"))  # nameko workers per process
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
LEVELS = ("standard", "standard", "standard", "county_demo", "city_demo", "province_demo")


# ---- the city at scale ------------------------------------------------------------------


def city_events(size: dict[str, int]) -> list[SourceEvent]:
    """Registrations, branches, members, certifications and hours, as scoring keeps them."""
    counties = sorted(load_city().counties)
    events: list[SourceEvent] = []

    def add(event_type: str, stream: str, version: int, data: dict[str, Any]) -> None:
        events.append(SourceEvent(str(uuid.uuid4()), event_type, stream, version, data, T0))

    branches: dict[str, list[str]] = {}
    for c in counties:
        branches[c] = []
        for b in range(size["branches_per_county"]):
            bid = f"{c}-b{b}"
            branches[c].append(bid)
            add("BranchEstablished", f"branch-{bid}", 1, {
                "name": f"第{b}离退休干部党支部",
                "branch_type": "formal" if b % 5 else "functional",
                "level": "branch", "county_code": c, "established_on": "2020-01-01"})
            if b % 3 == 0:
                add("CertificationGranted", f"certification-{bid}", 1,
                    {"level": LEVELS[b % len(LEVELS)]})
    member_versions: dict[str, int] = {}
    for v in range(size["volunteers"]):
        c = counties[v % len(counties)]
        vid = f"v{v}"
        add("VolunteerRegistered", f"volunteer-{vid}", 1,
            {"name": f"志愿者{v}", "county_code": c})
        for h in range(size["hours_per_volunteer"]):
            add("HoursRecorded", f"volunteer-{vid}", 2 + h, {
                "entry_id": f"{vid}-h{h}", "hours": str(1 + (v + h) % 7), "served_on":
                f"2026-0{1 + h % 9}-15", "activity_id": f"a{v % 500}"})
        bid = branches[c][(v // len(counties)) % len(branches[c])]
        member_versions[bid] = member_versions.get(bid, 1) + 1
        add("MemberAdded", f"branch-{bid}", member_versions[bid], {"volunteer_id": vid})
    return events


def write_journal(journal: Journal, events: list[SourceEvent]) -> None:
    for start in range(0, len(events), PAGE):
        journal.keep_batch(f"bench-{start}", events[start:start + PAGE])


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 3),
            "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 3),
            "max_ms": round(ordered[-1] * 1000, 3)}


def timed(call, n: int) -> dict[str, float]:
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        call()
        samples.append(time.perf_counter() - t)
    return percentiles(samples)


def measure_rebuild_and_queries(store: Store, size: dict[str, int]) -> dict[str, Any]:
    db = store.client[store.db_name("scoring")]
    journal = Journal(db)
    journal.ensure_indexes()
    t = time.monotonic()
    events = city_events(size)
    write_journal(journal, events)
    print(f"journal: {len(events)} events written ({time.monotonic() - t:.1f} s)", flush=True)

    engine = Engine(journal, dead_letters=None, consumer="scoring")  # type: ignore[arg-type]
    t = time.perf_counter()
    folded = engine.live.rebuild()
    seconds = time.perf_counter() - t
    print(f"rebuild: {folded} events in {seconds:.2f} s", flush=True)

    rulebooks = Rulebooks()
    book = rulebooks.named(None)
    baselines = Baselines().for_year(book.period.start.year, lambda year: None)
    county = sorted(load_city().counties)[0]
    live = engine.live

    def county_ranking():
        return live.cached(("counties",), lambda s: queries.county_ranking(s, book, baselines))

    def page(kind):
        def call():
            items = live.cached((kind, county), lambda s: queries.entity_items(
                queries.entity_scores(s, kind, county, book), kind))
            return queries.entity_ranking(items, county, book, 50, 0)
        return call

    volunteer_page, branch_page = page("volunteer"), page("branch")

    cold = {}
    for name, call in (("county_ranking", county_ranking), ("volunteer_page", volunteer_page),
                       ("branch_page", branch_page)):
        t = time.perf_counter()
        call()
        cold[name] = round((time.perf_counter() - t) * 1000, 1)
    # one more event, as the follower would fold it: what the next query pays
    changed = []
    for n in range(20):
        live.state.apply(SourceEvent(str(uuid.uuid4()), "HoursRecorded", "volunteer-v0",
                                     1000 + n, {"entry_id": f"late-{n}", "hours": "1",
                                                "served_on": "2026-05-01"}, T0))
        live.position += 1
        t = time.perf_counter()
        county_ranking()
        changed.append(time.perf_counter() - t)
    after_change = percentiles(changed)
    warm = {name: timed(call, size["queries"]) for name, call in (
        ("county_ranking", county_ranking), ("volunteer_page", volunteer_page),
        ("branch_page", branch_page))}
    return {"events": folded, "rebuild_seconds": round(seconds, 3),
            "rebuild_events_per_s": round(folded / seconds),
            "query_warm": warm, "query_cold_ms": cold,
            "county_ranking_after_one_event": after_change,
            "registers": len(live.state.registers)}


# ---- live intake ------------------------------------------------------------------------


def envelope(event_type: str, stream: str, version: int, data: dict[str, Any],
             schema_version: int = 1) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {"event_id": str(uuid.uuid4()), "type": event_type, "schema_version": schema_version,
            "stream_id": stream, "version": version, "position": 1, "occurred_at": now,
            "recorded_at": now, "correlation_id": "bench", "causation_id": None,
            "actor": "bench", "data": data}


def live_messages(n: int) -> list[dict[str, Any]]:
    counties = sorted(load_city().counties)
    messages = []
    for v in range(n // 2):
        vid = str(uuid.uuid4())
        messages.append(envelope("VolunteerRegistered", f"volunteer-{vid}", 1, {
            "name": "王秀兰", "gender": "female", "birth_year": 1955,
            "id_number_masked": "3209**********0021", "phone": "139****5678",
            "county_code": counties[v % len(counties)], "former_employer": None,
            "retirement_status": "tuixiu", "party_member": True, "branch_id": None,
            "skills": [], "insurance": True}, schema_version=2))
        messages.append(envelope("HoursRecorded", f"volunteer-{vid}", 2, {
            "entry_id": str(uuid.uuid4()), "hours": "2", "served_on": "2026-03-01",
            "source": "bureau", "activity_id": None}))
    return messages


def measure_live(broker: Broker, store: Store, n: int) -> dict[str, Any]:
    config = {"AMQP_URI": broker.uri, "MONGO_URI": store.uri,
              "DB_NAME": store.db_name("scoring_live"), "serializer": "json",
              "max_workers": MAX_WORKERS}
    container = ServiceContainer(ScoringService, config)
    container.start()
    messages = [json.dumps(m) for m in live_messages(n)]
    connection = kombu.Connection(broker.uri)
    producer = kombu.Producer(connection.default_channel)
    exchange = kombu.Exchange("volunteers.events", type="topic", durable=True)
    try:
        with ClusterRpcProxy(config, timeout=60) as rpc:
            rpc.scoring.health()
            t = time.monotonic()
            for body in messages:
                producer.publish(body, exchange=exchange, routing_key="bench",
                                 content_type="application/json", content_encoding="utf-8",
                                 declare=[exchange], delivery_mode=2)
            published = time.monotonic() - t
            while True:
                health = rpc.scoring.health()
                if (health["intake"].get("applied", 0) >= n
                        and health["folded_position"] >= health["journal_head"]):
                    break
                if time.monotonic() - t > LIVE_TIMEOUT:
                    raise TimeoutError(f"live intake stalled: {health}")
                time.sleep(0.05)
            seconds = time.monotonic() - t
            ranking = rpc.scoring.county_ranking()
    finally:
        connection.release()
        container.stop()
    registered = sum(int(Decimal(next(r for r in c["rows"]
                                      if r["code"] == "volunteer_participation")["raw"]))
                     for c in ranking)
    if registered != n // 2:
        raise RuntimeError(f"{registered} volunteers in the ranking, want {n // 2}")
    return {"events": n, "seconds": round(seconds, 3), "publish_seconds": round(published, 3),
            "live_events_per_s": round(n / seconds)}


# ---- run and record ---------------------------------------------------------------------


def run(quick: bool) -> dict[str, Any]:
    size = SIZES["quick" if quick else "full"]
    load_average = [round(x, 2) for x in os.getloadavg()]
    store = Store()
    broker = None
    try:
        broker = Broker()
        info = machine_info(store)
        rebuild = measure_rebuild_and_queries(store, size)
        live = measure_live(broker, store, size["live_events"])
    finally:
        if broker is not None:
            broker.close()
        store.close()
    p99 = max(q["p99_ms"] for q in rebuild["query_warm"].values())
    return {
        "benchmark": "scoring", "mode": "quick" if quick else "full",
        "date": dt.date.today().isoformat(), "machine": info, "size": size,
        "load_average": load_average,
        "rebuild": rebuild, "live": live, "targets": TARGETS,
        "met": {"rebuild_events_per_s": rebuild["rebuild_events_per_s"]
                >= TARGETS["rebuild_events_per_s"],
                "live_events_per_s": live["live_events_per_s"] >= TARGETS["live_events_per_s"],
                "query_p99_ms": p99 <= TARGETS["query_p99_ms"]},
    }


def markdown_section(result: dict[str, Any]) -> str:
    r, live = result["rebuild"], result["live"]
    lines = [f"<!-- run {result['date']} -->", f"## {result['date']}", "",
             f"Machine: {result['machine'].get('cpu')}, {result['machine'].get('nproc')} cores, "
             f"{result['machine'].get('ram_gib')} GiB; {result['machine'].get('store')}; "
             f"RabbitMQ {result['machine'].get('rabbitmq')}; load average at the start "
             f"{result.get('load_average')}. Size: {result['size']}.", "",
             "| figure | value | target | met |", "|---|---|---|---|",
             f"| rebuild (fold from the store) | {r['rebuild_events_per_s']:,} events/s "
             f"({r['events']:,} events, {r['rebuild_seconds']} s) | ≥ 20,000 | "
             f"{result['met']['rebuild_events_per_s']} |",
             f"| live intake through RabbitMQ | {live['live_events_per_s']:,} events/s "
             f"({live['events']:,} events) | ≥ 1,000 | {result['met']['live_events_per_s']} |"]
    for name, q in r["query_warm"].items():
        lines.append(f"| query {name} (warm) | p50 {q['p50_ms']} ms, p99 {q['p99_ms']} ms | "
                     f"p99 ≤ 10 ms | {q['p99_ms'] <= 10} |")
    lines.append(f"| first query after the rebuild (cold) | {r['query_cold_ms']} ms | — | — |")
    one = r["county_ranking_after_one_event"]
    lines.append(f"| county ranking right after one more event | p50 {one['p50_ms']} ms, "
                 f"p99 {one['p99_ms']} ms | — | — |")
    lines += ["", f"<!-- /run {result['date']} -->"]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    result = run(args.quick)
    path = kernel.record_results(result, "scoring", "Scoring benchmark results",
                                 markdown_section(result))
    print(json.dumps({k: result[k] for k in ("rebuild", "live", "met")}, indent=2))
    print(f"recorded {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
