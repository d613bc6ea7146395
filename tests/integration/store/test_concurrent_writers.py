"""Writers racing on one store, as scaled service instances do.

Every test runs its writers twice: as threads, and as separate processes (this file
run as a script), each writer with its own MongoClient and EventStore. Processes
stay real under `nameko test`, where eventlet turns threads into greenthreads.
"""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import cycle
from typing import Any

import pytest
from pymongo import MongoClient

from yinfa.errors import ConcurrencyError
from yinfa.events.envelope import NewEvent
from yinfa.store.event_store import EventStore

pytestmark = pytest.mark.integration

SECONDS = 20  # each writer stops by then, whatever its count
HALL = "activity-重阳节义诊-seats"

Ready = Callable[[], None]

# ---- the writers: each gets its own store, waits for "go", races, returns JSON ------


def take_seats(store: EventStore, ready: Ready, writer: int, attempts: int) -> dict:
    """Read the hall's version, append on it; a loser gets ConcurrencyError, nothing else."""
    ready()
    won, lost, deadline = [], 0, time.monotonic() + SECONDS
    for n in range(attempts):
        if time.monotonic() > deadline:
            break
        version = store.stream_version(HALL)
        command = [NewEvent("SeatTaken", {"writer": writer, "n": n}) for _ in range(1 + n % 3)]
        try:
            store.append(HALL, command, expected_version=version)
        except ConcurrencyError:
            lost += 1
            continue
        won.append([event.event_id for event in command])
    return {"won": won, "lost": lost, "tried": len(won) + lost}


def log_hours(
    store: EventStore, ready: Ready, writer: int, streams: list[str], events: int
) -> dict:
    """Commands of 1–4 events spread over streams the other writers also use."""
    ready()
    written: list[str] = []
    sizes, deadline = cycle([1, 3, 1, 2, 1, 4]), time.monotonic() + SECONDS
    for n in range(events):
        if len(written) >= events or time.monotonic() > deadline:
            break
        size = min(next(sizes), events - len(written))
        command = [
            NewEvent("HoursLogged", {"writer": writer, "n": n, "part": k}) for k in range(size)
        ]
        store.append(streams[(writer + n) % len(streams)], command)
        written += [event.event_id for event in command]
    return {"written": written}


def retry_commands(store: EventStore, ready: Ready, commands: list[dict]) -> dict:
    """Append commands another instance is appending too (a retry racing the original)."""
    ready()
    answers = []
    for command in commands:
        events = [
            NewEvent(**{**event, "occurred_at": datetime.fromisoformat(event["occurred_at"])})
            for event in command["events"]
        ]
        answers.append([e.to_message() for e in store.append(command["stream_id"], events)])
    return {"answers": answers}


TASKS = {task.__name__: task for task in (take_seats, log_hours, retry_commands)}


def run_task(uri: str, db: str, task: str, job: dict, ready: Ready) -> dict:
    client: MongoClient = MongoClient(uri, tz_aware=True)
    try:
        store = EventStore(client[db])
        store.ensure_indexes()  # as every service instance does when it starts
        return TASKS[task](store, ready, **job)
    finally:
        client.close()


def in_a_process() -> None:
    """`python this_file.py '<json>'`: print "ready", wait for a line, print the result."""
    args = json.loads(sys.argv[1])

    def ready() -> None:
        print("ready", flush=True)
        sys.stdin.readline()

    print(json.dumps(run_task(**args, ready=ready)), flush=True)


# ---- starting writers ------------------------------------------------------------


class ThreadWriters:
    def __init__(self, uri: str, db: str, task: str, jobs: list[dict]) -> None:
        self.go = threading.Event()
        self.outcomes: list[Any] = [None] * len(jobs)
        self.threads = [
            threading.Thread(target=self._run, args=(i, uri, db, task, job), daemon=True)
            for i, job in enumerate(jobs)
        ]
        for thread in self.threads:
            thread.start()
        self.go.set()

    def _run(self, i: int, uri: str, db: str, task: str, job: dict) -> None:
        try:
            self.outcomes[i] = run_task(uri, db, task, job, self.go.wait)
        except BaseException as error:  # reported by results()
            self.outcomes[i] = error

    def running(self) -> bool:
        return any(thread.is_alive() for thread in self.threads)

    def results(self) -> list[dict]:
        for thread in self.threads:
            thread.join(SECONDS + 10)
        for outcome in self.outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return self.outcomes

    def stop(self) -> None:
        pass  # daemon threads end with their deadline


class ProcessWriters:
    def __init__(self, uri: str, db: str, task: str, jobs: list[dict]) -> None:
        self.processes = [
            subprocess.Popen(
                [sys.executable, __file__, json.dumps({"uri": uri, "db": db, "task": task,
                                                       "job": job})],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True,
            )
            for job in jobs
        ]
        for process in self.processes:  # all connected before any writes
            line = process.stdout.readline()
            assert line == "ready\n", line + process.communicate()[1]
        for process in self.processes:
            process.stdin.write("go\n")
            process.stdin.flush()

    def running(self) -> bool:
        return any(process.poll() is None for process in self.processes)

    def results(self) -> list[dict]:
        results = []
        for process in self.processes:
            out, err = process.communicate(timeout=SECONDS + 10)
            assert process.returncode == 0, err
            results.append(json.loads(out))
        return results

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture(params=[ThreadWriters, ProcessWriters], ids=["threads", "processes"])
def start_writers(request, mongo_uri, mongo_db):
    """start_writers(task, jobs): one writer per job, all on the test's database."""
    started: list[ThreadWriters | ProcessWriters] = []

    def start(task: Callable, jobs: list[dict]) -> ThreadWriters | ProcessWriters:
        started.append(request.param(mongo_uri, mongo_db.name, task.__name__, jobs))
        return started[-1]

    yield start
    for writers in started:
        writers.stop()


def follow(store: EventStore, writers: ThreadWriters | ProcessWriters) -> dict:
    """Read everything after the last position seen, until the writers are done."""
    seen, live_reads, last, deadline = [], 0, 0, time.monotonic() + SECONDS + 10
    while time.monotonic() < deadline:
        still_writing = writers.running()
        batch = store.read_all(after_position=last, limit=40)
        if batch:
            seen += batch
            last = batch[-1].position
            live_reads += still_writing
        elif not still_writing:
            break
        else:
            time.sleep(0.005)
    return {"events": seen, "live_reads": live_reads}


def streams_of(store: EventStore, stream_ids: list[str]) -> dict[str, list[int]]:
    return {s: [e.version for e in store.read_stream(s)] for s in stream_ids}


# ---- the races ---------------------------------------------------------------------


def test_writers_racing_on_one_stream_leave_it_gapless_and_losers_get_a_conflict(
    event_store, start_writers
):
    writers = start_writers(take_seats, [{"writer": w, "attempts": 25} for w in range(8)])
    results = writers.results()

    commands = [command for result in results for command in result["won"]]
    stored = event_store.read_stream(HALL)
    assert [event.version for event in stored] == list(range(1, len(stored) + 1))
    assert len(stored) == sum(len(command) for command in commands)
    assert sorted(runs_of(stored, commands)) == sorted(map(tuple, commands))
    assert [event.position for event in event_store.read_all()] == list(
        range(1, len(stored) + 1)
    )
    assert all(result["tried"] == 25 for result in results)
    assert sum(result["lost"] for result in results) > 0  # they really raced


def runs_of(stored, commands) -> list[tuple[str, ...]]:
    """Split the stream into the commands that wrote it; each must be one contiguous run."""
    size = {command[0]: len(command) for command in commands}
    ids, runs, i = [event.event_id for event in stored], [], 0
    while i < len(ids):
        runs.append(tuple(ids[i : i + size.get(ids[i], 1)]))
        i += len(runs[-1])
    return runs


def test_a_reader_following_all_events_sees_each_once_in_order_while_writers_commit(
    event_store, start_writers
):
    streams = [f"county-{code}" for code in range(320902, 320912)]
    jobs = [{"writer": w, "streams": streams, "events": 150} for w in range(4)]
    writers = start_writers(log_hours, jobs)

    followed = follow(event_store, writers)
    written = [event_id for result in writers.results() for event_id in result["written"]]

    seen = followed["events"]
    assert [event.position for event in seen] == list(range(1, len(written) + 1))
    assert Counter(event.event_id for event in seen) == Counter(written)
    assert len(written) == 4 * 150
    assert followed["live_reads"] > 1  # it really read while they wrote
    for versions in streams_of(event_store, streams).values():
        assert versions == list(range(1, len(versions) + 1))
    assert writer_switches(seen) > 4  # their commits interleave


def writer_switches(events) -> int:
    order = [event.data["writer"] for event in events]
    return sum(1 for before, after in zip(order, order[1:], strict=False) if before != after)


def a_command(n: int) -> dict:
    """A command as JSON, with the ids and times a client would send again on a retry."""
    events = [
        {"type": "HoursLogged", "data": {"hours": 2.5, "n": n, "part": part},
         "event_id": str(uuid.uuid4()), "occurred_at": datetime.now(UTC).isoformat()}
        for part in range(1 + n % 2)
    ]
    return {"stream_id": f"volunteer-{n % 4}", "events": events}


def test_instances_appending_the_same_commands_at_once_store_each_once_and_agree(
    event_store, start_writers
):
    commands = [a_command(n) for n in range(20)]

    writers = start_writers(retry_commands, [{"commands": commands}] * 3)
    answers = [result["answers"] for result in writers.results()]

    assert answers[0] == answers[1] == answers[2]
    stored = [event.to_message() for event in event_store.read_all()]
    assert stored == [event for answer in answers[0] for event in answer]
    assert len(stored) == sum(len(command["events"]) for command in commands)


if __name__ == "__main__":
    in_a_process()
