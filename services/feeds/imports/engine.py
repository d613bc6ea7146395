"""An import run: a file's rows, a batch of 500 at a time, into the services, with the
ledger and the report kept in the feeds service's database.

- `import_ledger`: one document per (source, kind, external id) the services accepted. A
  row found there is not sent again ("already imported"): the same file twice, or a run
  cut short and started again, creates nothing twice. A row accepted by a service whose
  ledger write was lost (a kill between the two) is sent again, and the service answers
  that it has it already (the same person; the same ledger entry or activity id, derived
  from the row): accepted once all the same.
- `import_report`: one document per batch of the job (500 rows), holding each line's
  outcome, accepted or rejected with the reason: one write a batch, not one a line.
- `import_jobs`: the job, its status and counts.

Memory stays flat: the file is read as a stream, a batch at a time; only the external
ids seen so far are kept (to reject one repeated in the file).
"""
from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.database import Database

from contracts.feeds.imports import ACCEPTED, DONE, QUEUED, RECEIVING, REFUSED, REJECTED, RUNNING
from services.feeds.domain.rows import FirstSeen, Rejected, Row, row_of
from services.feeds.imports.files import FileRefused, Read, open_rows
from yinfa.errors import AlreadyExists, NotFound, YinfaError
from yinfa.store.new_documents import insert_new

JOBS, LEDGER, REPORT = "import_jobs", "import_ledger", "import_report"
BATCH = 500  # rows sent at once: the volunteers' roster takes up to 500

Outcome = tuple[int, str | None, str, str]  # line, external id, accepted/rejected, reason
Finish = Callable[[], list[Outcome]]  # waits for a batch's answers


class Calls:
    """RPC to the services over one standalone proxy: `calls(service, method, *args)`
    answers; `calls.start(...)` sends and answers later (`.result()`), so the next batch
    is with the service while this one's report is written."""

    def __init__(self, cluster: Any) -> None:
        self.cluster = cluster

    def __call__(self, service: str, method: str, *args: Any) -> Any:
        return getattr(getattr(self.cluster, service), method)(*args)

    def start(self, service: str, method: str, *args: Any) -> Any:
        return getattr(getattr(self.cluster, service), method).call_async(*args)


def now() -> datetime:
    return datetime.now(UTC)


class ImportBook:
    """Jobs, ledger and report in the feeds service's database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.jobs, self.ledger, self.report = db[JOBS], db[LEDGER], db[REPORT]

    def ensure_indexes(self) -> None:
        self.report.create_index([("job_id", ASCENDING), ("last_line", ASCENDING)],
                                 name="job_last_line")
        self.report.create_index("job_id", name="job_id")
        self.jobs.create_index([("created_at", DESCENDING)], name="created_at")

    # ---- jobs ------------------------------------------------------------------------

    def create(self, job_id: str, partner: str, source: str, kind: str, file_name: str,
               status: str = RECEIVING) -> dict[str, Any]:
        job = {"_id": job_id, "job_id": job_id, "partner": partner, "source": source,
               "kind": kind, "file_name": file_name, "status": status, "rows": 0,
               "accepted": 0, "rejected": 0, "refused": None, "bytes": 0,
               "created_at": now(), "finished_at": None}
        self.jobs.insert_one(job)
        return shown(job)

    def job(self, job_id: str) -> dict[str, Any]:
        found = self.jobs.find_one({"_id": job_id})
        if found is None:
            raise NotFound("no such import", field="job_id")
        return shown(found)

    def listed(self, partner: str | None, limit: int, offset: int) -> dict[str, Any]:
        query = {"partner": partner} if partner else {}
        found = self.jobs.find(query).sort("created_at", DESCENDING).skip(offset).limit(limit)
        return {"total": self.jobs.count_documents(query), "items": [shown(j) for j in found]}

    def claim(self, lease_seconds: float) -> dict[str, Any] | None:
        """A queued job, or a running one whose runner stopped renewing its lease."""
        moment = now()
        return self.jobs.find_one_and_update(
            {"$or": [{"status": QUEUED},
                     {"status": RUNNING, "lease_until": {"$lt": moment.timestamp()}}]},
            {"$set": {"status": RUNNING, "lease_until": moment.timestamp() + lease_seconds},
             "$inc": {"attempts": 1}},
            sort=[("created_at", ASCENDING)], return_document=ReturnDocument.AFTER)

    def progress(self, job_id: str, rows: int, lease_seconds: float) -> None:
        self.jobs.update_one({"_id": job_id}, {"$set": {
            "rows": rows, "lease_until": now().timestamp() + lease_seconds}})

    def finish(self, job_id: str, refused: str | None = None) -> dict[str, Any]:
        counts = {ACCEPTED: 0, REJECTED: 0}
        for batch in self.report.find({"job_id": job_id}, {ACCEPTED: 1, REJECTED: 1}):
            counts = {outcome: n + batch[outcome] for outcome, n in counts.items()}
        self.jobs.update_one({"_id": job_id}, {"$set": {
            "status": REFUSED if refused else DONE, "refused": refused,
            "rows": counts[ACCEPTED] + counts[REJECTED], **counts, "finished_at": now()}})
        return self.job(job_id)

    # ---- ledger and report -----------------------------------------------------------

    def imported(self, source: str, kind: str, external_ids: Iterable[str]) -> set[str]:
        keys = [_key(source, kind, e) for e in external_ids]
        if not keys:
            return set()
        return {doc["external_id"] for doc in self.ledger.find({"_id": {"$in": keys}},
                                                                {"external_id": 1})}

    def record(self, job: dict[str, Any], outcomes: list[Outcome]) -> None:
        """A batch's report lines and its accepted rows in the ledger, as plain inserts
        (cheaper for the store than upserts); a line or row there already (a run taken
        over after its runner died) keeps what it says."""
        job_id, source, kind = job["job_id"], job["source"], job["kind"]
        if outcomes:
            lines = sorted(outcomes, key=lambda outcome: outcome[0])
            insert_new(self.report, [{
                "_id": f"{job_id}:{lines[0][0]}", "job_id": job_id, "last_line": lines[-1][0],
                "lines": [list(outcome) for outcome in lines],
                **{o: sum(1 for line in lines if line[2] == o) for o in (ACCEPTED, REJECTED)}}])
        insert_new(self.ledger, [
            {"_id": _key(source, kind, external_id), "source": source, "kind": kind,
             "external_id": external_id, "job_id": job_id, "line": line, "at": now()}
            for line, external_id, outcome, _ in outcomes if outcome == ACCEPTED and external_id])

    def report_lines(self, job_id: str, after_line: int, limit: int) -> list[dict[str, Any]]:
        """The outcomes of the job's lines after `after_line`, in line order, up to `limit`
        (whole batches are read)."""
        found: list[dict[str, Any]] = []
        for batch in self.report.find({"job_id": job_id, "last_line": {"$gt": after_line}},
                                      {"lines": 1}).sort("last_line", ASCENDING):
            found += [dict(zip(("line", "external_id", "outcome", "reason"), line,
                               strict=True)) for line in batch["lines"] if line[0] > after_line]
            if len(found) >= limit:
                break
        return found[:limit]


def _key(source: str, kind: str, external_id: str) -> str:
    return f"{source}|{kind}|{external_id}"


def shown(job: dict[str, Any]) -> dict[str, Any]:
    visible = {k: v for k, v in job.items()
               if k not in ("_id", "lease_until", "bytes", "attempts")}
    for moment in ("created_at", "finished_at"):
        if isinstance(visible.get(moment), datetime):
            value = visible[moment]
            visible[moment] = (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    return visible


# ---- the run ---------------------------------------------------------------------------


def run_import(book: ImportBook, job: dict[str, Any], path: Path, max_bytes: int,
               calls: Calls, progress: Callable[[int], None] | None = None,
               lease_seconds: float = 60.0) -> dict[str, Any]:
    """Import the file of `job` (its kind, source and file name); the job as it ends."""
    try:
        reads = open_rows(path, job["file_name"], job["kind"], max_bytes)
    except FileRefused as refused:
        return book.finish(job["job_id"], refused=str(refused))
    seen, done = FirstSeen(), 0
    waiting: tuple[list[Outcome], Finish, int] | None = None  # the batch with the services
    for batch in _batches(reads):
        outcomes, rows = _shaped(job, batch, seen)
        already = book.imported(job["source"], job["kind"], [r.external_id for r in rows])
        outcomes += [(r.line, r.external_id, ACCEPTED, "already imported")
                     for r in rows if r.external_id in already]
        finish = SINKS[job["kind"]](calls, [r for r in rows if r.external_id not in already])
        if waiting is not None:  # the previous batch: answered meanwhile, most likely
            done += _settle(book, job, *waiting, progress, lease_seconds, done)
        waiting = (outcomes, finish, len(batch))
    if waiting is not None:
        _settle(book, job, *waiting, progress, lease_seconds, done)
    return book.finish(job["job_id"])


def _settle(book: ImportBook, job: dict[str, Any], outcomes: list[Outcome], finish: Finish,
            rows: int, progress: Callable[[int], None] | None, lease_seconds: float,
            done: int) -> int:
    """Record a batch once the services have answered; its row count."""
    book.record(job, outcomes + finish())
    book.progress(job["job_id"], done + rows, lease_seconds)
    if progress is not None:
        progress(rows)
    return rows


def _batches(reads: Iterator[Read]) -> Iterator[list[Read]]:
    while batch := list(itertools.islice(reads, BATCH)):
        yield batch


def _shaped(job: dict[str, Any], batch: list[Read], seen: FirstSeen
            ) -> tuple[list[Outcome], list[Row]]:
    outcomes: list[Outcome] = []
    rows: list[Row] = []
    for read in batch:
        shaped = read if isinstance(read, Rejected) else row_of(job["kind"], *read,
                                                                source=job["source"])
        if isinstance(shaped, Row):
            shaped = seen.duplicate(shaped) or shaped
        if isinstance(shaped, Rejected):
            outcomes.append((shaped.line, shaped.external_id, REJECTED, shaped.reason))
        else:
            rows.append(shaped)
    return outcomes, rows


# ---- the services ----------------------------------------------------------------------


def reason_of(error: YinfaError) -> str:
    errors = getattr(error, "errors", None) or error.context.get("errors")
    detail = f": {json.dumps(errors, ensure_ascii=False)}" if errors else ""
    return f"{error.message}{detail}"


def _registrations(calls: Calls, rows: list[Row]) -> Finish:
    """The volunteers' roster registration, up to 500 at once, each answered alone; sent
    now, answered when `finish` is called."""
    if not rows:
        return list
    reply = calls.start("volunteers", "register_volunteers", [row.payload for row in rows])

    def finish() -> list[Outcome]:
        outcomes: list[Outcome] = []
        for row, result in zip(rows, reply.result()["results"], strict=True):
            if result["status"] in ("created", "exists"):
                note = "" if result["status"] == "created" else "already registered"
                outcomes.append((row.line, row.external_id, ACCEPTED, note))
            else:
                errors = result.get("errors")
                reason = json.dumps(errors, ensure_ascii=False) if errors else result["status"]
                outcomes.append((row.line, row.external_id, REJECTED, reason))
        return outcomes

    return finish


def _hours(calls: Calls, rows: list[Row]) -> Finish:
    """The ledger's batch per volunteer; a batch it refuses is tried row by row, to say
    which row is wrong (an entry it has already counts as accepted)."""
    outcomes: list[Outcome] = []
    by_volunteer: dict[str, list[Row]] = {}
    for row in rows:
        volunteer_id, unfound = row.payload.get("volunteer_id"), ""
        if volunteer_id is None:
            volunteer_id, unfound = _volunteer_of(calls, row)
        if volunteer_id is None:
            outcomes.append((row.line, row.external_id, REJECTED, unfound))
            continue
        row.payload.pop("id_number", None)
        row.payload["volunteer_id"] = volunteer_id
        by_volunteer.setdefault(str(volunteer_id), []).append(row)
    for volunteer_id, group in by_volunteer.items():
        entries = [{k: v for k, v in row.payload.items() if k != "volunteer_id"}
                   for row in group]
        try:
            calls("volunteers", "record_hours_batch",
                  {"volunteer_id": volunteer_id, "entries": entries})
        except YinfaError:
            outcomes += [_one(calls, "volunteers", "record_hours", row) for row in group]
            continue
        outcomes += [(row.line, row.external_id, ACCEPTED, "") for row in group]
    return lambda: outcomes


def _volunteer_of(calls: Calls, row: Row) -> tuple[str | None, str]:
    """The volunteer an hours row names by ID number (also one a record was corrected
    to), or why there is none; the number goes no further than this call."""
    try:
        found = calls("volunteers", "find_volunteer", row.payload["id_number"])
    except NotFound:
        return None, "no volunteer with this ID number"
    except YinfaError:
        return None, "id_number: not a valid ID number"
    return str(found["volunteer_id"]), ""


def _activities(calls: Calls, rows: list[Row]) -> Finish:
    outcomes = [_one(calls, "activities", "publish_activity", row) for row in rows]
    return lambda: outcomes


def _one(calls: Calls, service: str, method: str, row: Row) -> Outcome:
    try:
        calls(service, method, row.payload)
    except AlreadyExists:
        return row.line, row.external_id, ACCEPTED, "already there"
    except YinfaError as refused:
        return row.line, row.external_id, REJECTED, reason_of(refused)
    return row.line, row.external_id, ACCEPTED, ""


SINKS: dict[str, Callable[[Calls, list[Row]], Finish]] = {
    "volunteers": _registrations, "hours": _hours, "activities": _activities}
