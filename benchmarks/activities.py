"""Completions into the volunteers' ledgers: activities service → events → volunteers service.

    python benchmarks/activities.py            # full run (3 repetitions), records results
    python benchmarks/activities.py --quick    # smoke run (1 small repetition), *-quick.json

The volunteers and activities services run in this process (a nameko ServiceRunner, each
service with its own database), against the real RabbitMQ on 127.0.0.1 (a throw-away
vhost) and an embedded nx-27017 (or MONGO_URI), set up by the kernel benchmark's helpers.
Setup (not timed): volunteers registered, verified and given hours just below a star;
activities published in the past, a check-in code issued, 20 volunteers signed up,
checked in and out of each. Timed: the N completions through RPC (pipelined) until every
served line is a ledger entry on the volunteer's stream. See benchmarks/README.md.
"""

# ruff: noqa: E402
import eventlet

eventlet.monkey_patch()

import argparse
import datetime as dt
import logging
import os
import statistics
import sys
import time
import uuid
import warnings
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

warnings.filterwarnings("ignore")

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the kernel benchmark's helpers
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # the project, unless installed

import kernel
from kernel import Broker, CpuLoad, Store, machine_info, rabbitmq_pid, summary
from nameko.runners import ServiceRunner
from nameko.standalone.rpc import ClusterRpcProxy

from contracts.volunteers.id_number import make_id_number
from demo.loader import pipelined
from services.activities.service import ActivitiesService
from services.volunteers.service import VolunteersService

HERE = Path(__file__).resolve().parent
REPS = 3
SEATS = 20  # capacity of each activity, and served lines per completion
HOURS = 2  # each activity lasts 2 hours; everyone stays from start to end
SETUP_TIMEOUT = 120.0  # s, waiting for the other service to catch up (setup)
LEDGER_TIMEOUT = 300.0  # s, per repetition: the run stays bounded
POLL = 0.1  # s between two looks at the volunteers' store while timing
TINGHU = "320902"

# Every volunteer serves exactly twice per repetition (activities x SEATS = 2 x volunteers),
# gaining 4 hours; the seed puts a third of them 2 hours below the first star in each
# repetition, so each repetition has the same mix of HoursRecorded and StarLevelChanged.
SIZES = {
    "full": {"activities": 25, "volunteers": 250},
    "quick": {"activities": 5, "volunteers": 50},
}
STAR_HOURS = 100
MAX_ENTRY = 24

log = logging.getLogger("bench.activities")


# ---- the services -------------------------------------------------------------------------


class Platform:
    """Both services in a ServiceRunner, and an RPC client beside them."""

    def __init__(self, broker: Broker, store: Store) -> None:
        prefix = f"bench_{store.run_id}"
        self.volunteers_db = store.db_name("volunteers")  # = <DB_PREFIX>_volunteers
        self.activities_db = store.db_name("activities")
        self.config = {
            "AMQP_URI": broker.uri,
            "MONGO_URI": store.uri,
            "DB_PREFIX": prefix,
            "serializer": "json",
        }
        self.store = store
        self.broker = broker
        self.runner = ServiceRunner(self.config)
        self.runner.add_service(VolunteersService)
        self.runner.add_service(ActivitiesService)
        self.runner.start()
        self.proxy = ClusterRpcProxy(self.config, timeout=120)
        self.rpc = self.proxy.start()

    @property
    def volunteers(self) -> Any:
        return self.rpc.volunteers

    @property
    def activities(self) -> Any:
        return self.rpc.activities

    def commits(self, service: str) -> Any:
        name = self.volunteers_db if service == "volunteers" else self.activities_db
        return self.store.client[name]["commits"]

    def head(self, service: str) -> int:
        doc = self.commits(service).find_one({}, {"last_position": 1},
                                             sort=[("position", -1)])
        return int(doc["last_position"]) if doc else 0

    def quiet(self) -> None:
        """Wait until both relays have published everything and both event queues are
        empty, so leftovers of the setup do not run during the measurement."""
        queues = ["evt-activities-#--volunteers.on_activities_event",
                  "evt-volunteers-#--activities.on_volunteers_event"]
        deadline = time.monotonic() + SETUP_TIMEOUT
        calm = 0
        while calm < 3:  # three looks in a row, 0.2 s apart
            if time.monotonic() > deadline:
                raise TimeoutError("the services did not settle after the setup")
            pending = (self.volunteers.health()["pending"] + self.activities.health()["pending"]
                       + sum(self.broker.depth(q) for q in queues))
            calm = calm + 1 if pending == 0 else 0
            time.sleep(0.2)

    def close(self) -> None:
        try:
            self.proxy.stop()
        finally:
            self.runner.stop()


# ---- setup ------------------------------------------------------------------------------------


def seed_hours(index: int) -> int:
    """Hours put on volunteer `index`'s ledger before the first repetition: it crosses the
    first star on its first served line in repetition index % 3."""
    return STAR_HOURS - HOURS - 2 * HOURS * (index % 3)


def register_volunteers(platform: Platform, count: int) -> list[str]:
    volunteers = platform.volunteers
    registrations = []
    for i in range(count):
        born = date(1950 + i % 12, 1 + (i // 12) % 12, 1 + (i // 144) % 28)
        registrations.append({
            "name": f"志愿者{i}", "gender": "男" if i % 2 else "女", "birth_year": born.year,
            "id_number": make_id_number(TINGHU, born, (i % 500) * 2 + i % 2),
            "phone": f"139{i:08d}", "county_code": TINGHU, "retirement_status": "退休",
        })
    ids = [v["volunteer_id"] for v in pipelined(volunteers.register_volunteer, registrations)]
    if len(set(ids)) != count:
        raise RuntimeError(f"registered {len(set(ids))} distinct volunteers, want {count}")
    pipelined(volunteers.verify_volunteer,
              ({"volunteer_id": v, "county_code": TINGHU} for v in ids))
    served_on = (date.today() - timedelta(days=60)).isoformat()
    sheets = []
    for i, vid in enumerate(ids):
        left, entries = seed_hours(i), []
        while left > 0:
            hours = min(left, MAX_ENTRY)
            entries.append({"entry_id": str(uuid.uuid4()), "hours": hours,
                            "served_on": served_on, "source": "bureau"})
            left -= hours
        sheets.append({"volunteer_id": vid, "entries": entries})
    pipelined(volunteers.record_hours_batch, sheets)
    wait_for_directory(platform, count)
    return ids


def wait_for_directory(platform: Platform, count: int) -> None:
    """Sign-ups need the volunteers' events in the activities service's directory: first
    its size (RPC), then - read from its database, setup only - every one verified."""
    deadline = time.monotonic() + SETUP_TIMEOUT
    directory = platform.store.client[platform.activities_db]["volunteer_directory"]
    while (platform.activities.directory_size() < count
           or directory.count_documents({"verified": True}) < count):
        if time.monotonic() > deadline:
            raise TimeoutError("the activities service did not learn of every volunteer")
        time.sleep(0.2)


def prepare_activities(platform: Platform, volunteer_ids: list[str], count: int,
                       rep: int) -> list[dict[str, Any]]:
    """Publish `count` activities that ended an hour ago, issue each a code, sign up, check
    in and out SEATS volunteers each; return the completion commands (not yet sent)."""
    activities = platform.activities
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=HOURS + 1)
    end = start + timedelta(hours=HOURS)
    publications = [{
        "client_request_id": str(uuid.uuid4()),
        "theme": "party_story", "kind": "talk", "title": f"红色故事进社区 {rep}-{a}",
        "organiser": {"kind": "bureau", "id": f"county-{TINGHU}"},
        "county_code": TINGHU, "place": "亭湖区新时代文明实践站",
        "starts_at": start.isoformat(), "ends_at": end.isoformat(), "capacity": SEATS,
    } for a in range(count)]
    ids = [shown["activity_id"] for shown in pipelined(activities.publish_activity, publications)]
    code = "HONGSE2026"
    before = (start - timedelta(minutes=30)).isoformat()
    pipelined(activities.issue_check_in_code,
              ({"activity_id": aid, "code": code, "at": before} for aid in ids))
    seats = {aid: [volunteer_ids[(a * SEATS + s) % len(volunteer_ids)] for s in range(SEATS)]
             for a, aid in enumerate(ids)}
    everyone = [(aid, vid) for aid in ids for vid in seats[aid]]
    pipelined(activities.sign_up, ({"activity_id": aid, "volunteer_id": vid, "at": before}
                                   for aid, vid in everyone))
    for step, at in (("check_in", start), ("check_out", end)):
        pipelined(getattr(activities, step), (
            {"activity_id": aid, "volunteer_id": vid, "code": code, "at": at.isoformat()}
            for aid, vid in everyone))
    shown = pipelined(activities.get_activity, ids)
    for activity in shown:
        if len(activity["participants"]) != SEATS or len(activity["checked_in"]) != SEATS:
            raise RuntimeError(f"activity {activity['activity_id']} is not ready: "
                               f"{len(activity['participants'])} participants")
    return [{
        "activity_id": aid, "audience_reached": 120, "beneficiaries": 30,
        "served": [{"volunteer_id": vid, "hours": HOURS} for vid in seats[aid]],
        "outcome": "圆满完成",
    } for aid in ids]


# ---- the measurement ------------------------------------------------------------------------


def _epoch(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def measure(platform: Platform, completions: list[dict[str, Any]]) -> dict[str, Any]:
    """Send the completions (pipelined RPC) and wait until every served line is a commit
    on a volunteer's stream. The end is that last commit's `recorded_at` (ms), so the
    polling interval does not count."""
    lines = sum(len(c["served"]) for c in completions)
    commits = platform.commits("volunteers")
    base = platform.head("volunteers")
    after = {"position": {"$gt": base}}
    # each served line is one command, one commit; nothing else writes there meanwhile.
    # (count_documents is an aggregation that nx-27017 runs over every matching
    # document, ~100 ms under the database's lock: it would slow what it measures)
    target = commits.estimated_document_count() + lines
    started = time.time()
    shown = pipelined(platform.activities.complete_activity, completions)
    rpc_done = time.time()
    deadline = time.monotonic() + LEDGER_TIMEOUT
    while (done := commits.estimated_document_count()) < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{lines - target + done}/{lines} ledger entries "
                               f"after {LEDGER_TIMEOUT} s")
        time.sleep(POLL)
    seen = time.time()
    stamps = sorted(_epoch(doc["recorded_at"])
                    for doc in commits.find(after, {"recorded_at": 1}))
    if any(s["status"] != "completed" for s in shown):
        raise RuntimeError("an activity was not completed")
    return {"base": base, "lines": lines, "started": started, "rpc_done": rpc_done,
            "first_entry": stamps[0], "last_entry": stamps[-1], "seen": seen,
            "commits": len(stamps)}


def ledger_events(platform: Platform, base: int) -> Counter:
    """Event types the volunteers service appended after `base` (its own RPC: the log)."""
    types: Counter = Counter()
    position = base
    while True:
        page = platform.volunteers.events_after(position, 5000)
        if not page:
            return types
        types.update(e["type"] for e in page)
        position = max(int(e["position"]) for e in page)


def activity_hours(platform: Platform) -> Decimal:
    return sum((Decimal(row["activity_hours"]) for row in platform.volunteers.county_summary()),
               Decimal(0))


# ---- run ---------------------------------------------------------------------------------


def run(quick: bool) -> dict[str, Any]:
    size = SIZES["quick" if quick else "full"]
    reps = 1 if quick else REPS
    if size["activities"] * SEATS != 2 * size["volunteers"]:
        raise ValueError("each volunteer must serve exactly twice per repetition")
    samples: dict[str, list[float]] = {}
    loads: list[dict[str, float]] = []
    details: list[dict[str, Any]] = []
    load_before = os.getloadavg()
    started = time.time()
    store = Store()
    broker = platform = None
    try:
        broker = Broker()
        info = machine_info(store)
        cpu = CpuLoad([os.getpid(), store.embedded.pid if store.embedded else None,
                       rabbitmq_pid()])
        print(f"store: {store.kind} {store.uri}; broker vhost {broker.vhost}", flush=True)
        platform = Platform(broker, store)
        t0 = time.monotonic()
        volunteer_ids = register_volunteers(platform, size["volunteers"])
        print(f"setup: {len(volunteer_ids)} volunteers registered, verified, seeded and known "
              f"to the activities service ({time.monotonic() - t0:.1f} s)", flush=True)
        credited = Decimal(0)
        for rep in range(reps):
            t0 = time.monotonic()
            completions = prepare_activities(platform, volunteer_ids, size["activities"], rep)
            platform.quiet()
            print(f"rep {rep + 1}: setup of {len(completions)} activities "
                  f"({time.monotonic() - t0:.1f} s)", flush=True)
            with cpu.measure() as load:
                m = measure(platform, completions)
            elapsed = m["last_entry"] - m["started"]
            types = ledger_events(platform, m["base"])
            want_stars = sum(1 for i in range(size["volunteers"]) if i % 3 == rep % 3)
            if (types["HoursRecorded"] != m["lines"] or m["commits"] != m["lines"]
                    or set(types) - {"HoursRecorded", "StarLevelChanged"}
                    or (rep < 3 and types["StarLevelChanged"] != want_stars)):
                raise RuntimeError(f"ledger events {dict(types)}, {m['commits']} commits, "
                                   f"want {m['lines']} HoursRecorded, {want_stars} stars")
            credited += HOURS * m["lines"]
            on_ledgers = activity_hours(platform)
            if on_ledgers != credited:
                raise RuntimeError(f"{on_ledgers} activity hours on the ledgers, want {credited}")
            events = types["HoursRecorded"] + types["StarLevelChanged"]
            figures = {
                "completions_per_s": len(completions) / elapsed,
                "ledger_events_per_s": events / elapsed,
                "served_lines_per_s": m["lines"] / elapsed,
                "completion_rpc_per_s": len(completions) / (m["rpc_done"] - m["started"]),
            }
            for name, value in figures.items():
                samples.setdefault(name, []).append(value)
            loads.append(load)
            details.append({
                "completions": len(completions), "served_lines": m["lines"],
                "ledger_events": dict(types), "elapsed_s": round(elapsed, 3),
                "completion_rpcs_s": round(m["rpc_done"] - m["started"], 3),
                "first_ledger_entry_s": round(m["first_entry"] - m["started"], 3),
                "poll_saw_last_after_s": round(m["seen"] - m["started"], 3),
                "load": load,
            })
            print(f"  rep {rep + 1}: {len(completions)} completions, {m['lines']} lines, "
                  f"{events} ledger events in {elapsed:.2f} s -> "
                  f"{figures['ledger_events_per_s']:,.0f} ledger events/s "
                  f"(completion RPCs done after {m['rpc_done'] - m['started']:.2f} s; "
                  f"machine busy {load['busy_cores']:.2f} cores, "
                  f"not ours {load['other_cores']:.2f})", flush=True)
    finally:
        try:
            if platform is not None:
                platform.close()
        finally:
            if broker is not None:
                broker.close()
            store.close()

    figures = {name: summary(values) for name, values in samples.items()}
    other = round(statistics.fmean(load["other_cores"] for load in loads), 2)
    for figure in figures.values():
        figure["other_cores_mean"] = other
    return {
        "date": dt.date.today().isoformat(),
        "started_at": dt.datetime.fromtimestamp(started).isoformat(timespec="seconds"),
        "duration_s": round(time.time() - started, 1),
        "mode": "quick" if quick else "full",
        "sizes": {**size, "seats": SEATS, "hours_per_line": HOURS},
        "repetitions": reps,
        "machine": info,
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "figures": figures,
        "repetition_details": details,
    }


LABELS = {
    "completions_per_s": "completions (20 served lines each) to the last ledger entry",
    "ledger_events_per_s": "ledger events (HoursRecorded + StarLevelChanged) appended",
    "served_lines_per_s": "served lines on the ledgers",
    "completion_rpc_per_s": "(info) complete_activity RPCs answered",
}


def table(result: dict[str, Any]) -> str:
    rows = ["| figure | median /s | min | max | other load (cores) |",
            "| --- | ---: | ---: | ---: | ---: |"]
    for name, label in LABELS.items():
        fig = result["figures"][name]
        rows.append(f"| {label} | {fig['median']:,.1f} | {fig['min']:,.1f} | {fig['max']:,.1f} "
                    f"| {fig['other_cores_mean']:.2f} |")
    return "\n".join(rows)


def markdown_section(result: dict[str, Any]) -> str:
    m, s = result["machine"], result["sizes"]
    reps = result["repetition_details"]
    first = [round(d["first_ledger_entry_s"], 2) for d in reps]
    elapsed = [round(d["elapsed_s"], 2) for d in reps]
    lines = "/".join(str(d["ledger_events"].get("HoursRecorded", 0)) for d in reps)
    stars = "/".join(str(d["ledger_events"].get("StarLevelChanged", 0)) for d in reps)
    return "\n".join([
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
        f"Each figure: median of {result['repetitions']} repetitions (min, max), each "
        f"{s['activities']} completions of {s['seats']} served lines over "
        f"{s['volunteers']} volunteers (every volunteer on two of them): {lines} "
        f"HoursRecorded + {stars} StarLevelChanged per repetition, in {elapsed} s "
        f"(the first ledger entry after {first} s).",
        "",
        table(result),
        "",
        f"Raw samples: `results/activities-{result['date']}.json`.",
        f"<!-- /run {result['date']} -->",
        "",
    ])


def record(result: dict[str, Any]) -> Path:
    return kernel.record_results(
        result, "activities",
        "Activities benchmark results: completions into the volunteers' ledgers",
        markdown_section(result),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small repetition: a smoke run")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    kernel.log.setLevel(logging.WARNING)
    result = run(args.quick)
    print()
    print(table(result))
    path = record(result)
    print(f"\nwritten: {path.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
