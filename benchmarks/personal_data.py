"""Personal data benchmark: what sealing costs per person, and how long erasing one
person takes on the running volunteers service.

    python benchmarks/personal_data.py           # full run, writes results/personal_data.md
    python benchmarks/personal_data.py --quick   # smoke run

Phases: (1) seal and unseal a person's data in process (AES-256-GCM with a wrapped data
key), per person; (2) the volunteers service (`yinfa run volunteers`, its own broker vhost
and store) registers N people one a request, then erases each of them, one a request,
timing every answer. Registration throughput with and without encryption is measured by
the end-to-end benchmark, run on the commits before and after (see results/e2e.md).
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from kernel import Broker, Store, machine_info, record_results  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from contracts.volunteers.id_number import make_id_number  # noqa: E402
from yinfa.sealed import master_key, seal, unseal  # noqa: E402

SIZES = {"full": {"sealed": 20_000, "people": 300}, "quick": {"sealed": 2_000, "people": 30}}
READY_TIMEOUT = 90.0


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"n": len(ordered), "mean": round(statistics.fmean(ordered), 3),
            "p50": round(ordered[len(ordered) // 2], 3),
            "p99": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 3)}


def sealing(count: int) -> dict[str, Any]:
    master = master_key()
    person = {"name": "欧阳建国", "phone": "13912345678", "id_number": "320902195603080038"}
    started = time.perf_counter()
    documents = [seal(f"v-{n}", person, master) for n in range(count)]
    sealed_s = time.perf_counter() - started
    started = time.perf_counter()
    for document in documents:
        unseal(document, master)
    opened_s = time.perf_counter() - started
    return {"people": count, "seal_us": round(sealed_s / count * 1e6, 1),
            "unseal_us": round(opened_s / count * 1e6, 1)}


def registration(n: int) -> dict[str, Any]:
    return {"name": "欧阳建国", "gender": "男", "birth_year": 1956,
            "id_number": make_id_number("320902", date(1956, 3, 8) + dt.timedelta(days=n // 500),
                                        (n % 500) * 2 + 1),
            "phone": f"139{n:08d}", "county_code": "320902", "retirement_status": "退休",
            "party_member": True}


def on_the_service(people: int, broker: Broker, store: Store) -> dict[str, Any]:
    env = {**os.environ, "AMQP_URI": broker.uri, "MONGO_URI": store.uri,
           "YINFA_DB_PREFIX": f"bench_{store.run_id}", "YINFA_OPS_PORT": "0"}
    log = Path(tempfile.mkdtemp(prefix="yinfa-bench-")) / "volunteers.log"
    yinfa = str(Path(sys.executable).with_name("yinfa"))
    with open(log, "wb") as out:
        process = subprocess.Popen([yinfa, "run", "volunteers"], env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        config = {"AMQP_URI": broker.uri, "serializer": "json"}
        with ClusterRpcProxy(config, timeout=30) as cluster:
            deadline = time.monotonic() + READY_TIMEOUT
            while True:
                try:
                    cluster.volunteers.health()
                    break
                except Exception:  # noqa: BLE001 - not up yet
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
            registered, ids = [], []
            for n in range(people):
                started = time.perf_counter()
                ids.append(cluster.volunteers.register_volunteer(registration(n))["volunteer_id"])
                registered.append((time.perf_counter() - started) * 1000)
            erased = []
            for volunteer_id in ids:
                started = time.perf_counter()
                cluster.volunteers.erase_volunteer({"volunteer_id": volunteer_id})
                erased.append((time.perf_counter() - started) * 1000)
            missing = cluster.volunteers.volunteers_without_personal_data()
    finally:
        process.terminate()
        process.wait(30)
    return {"register_ms": percentiles(registered), "erase_ms": percentiles(erased),
            "register_per_s": round(people / (sum(registered) / 1000), 1),
            "left_without_personal_data": len(missing)}


def run(mode: str) -> dict[str, Any]:
    size = SIZES[mode]
    broker, store = Broker(), Store()
    try:
        say(f"sealing {size['sealed']} people in process")
        result = {"mode": mode, "date": dt.date.today().isoformat(),
                  "started": dt.datetime.now().isoformat(timespec="seconds"),
                  "machine": machine_info(store), "load_before": list(os.getloadavg()),
                  "sealing": sealing(size["sealed"])}
        say(f"registering and erasing {size['people']} people on the volunteers service")
        result["service"] = on_the_service(size["people"], broker, store)
        result["load_after"] = list(os.getloadavg())
        return result
    finally:
        broker.close()
        store.close()


def markdown_section(result: dict[str, Any]) -> str:
    m, s, v = result["machine"], result["sealing"], result["service"]
    return "\n".join([
        f"<!-- run {result['date']} -->",
        f"## {result['date']} ({result['mode']} run)",
        "",
        f"Machine: {m.get('nproc')} cores ({m.get('cpu')}), commit {m.get('git_commit')}; "
        f"load average before "
        f"{[round(x, 2) for x in result['load_before']]}, after "
        f"{[round(x, 2) for x in result['load_after']]}.",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| seal one person's data (AES-256-GCM, a new wrapped data key) | {s['seal_us']} µs |",
        f"| open it again | {s['unseal_us']} µs |",
        f"| register one person on the service, one a request | p50 {v['register_ms']['p50']} "
        f"ms, p99 {v['register_ms']['p99']} ms ({v['register_per_s']} req/s, one client) |",
        f"| **erase one person** (key and data destroyed, VolunteerErased appended, view "
        f"refreshed) | p50 **{v['erase_ms']['p50']} ms**, p99 {v['erase_ms']['p99']} ms, "
        f"mean {v['erase_ms']['mean']} ms (n={v['erase_ms']['n']}) |",
        f"| people left without personal data after erasing them all (reconciliation) | "
        f"{v['left_without_personal_data']} |",
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
    path = record_results(result, "personal_data", "Personal data benchmark results",
                          markdown_section(result))
    print(markdown_section(result))
    say(f"recorded {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
