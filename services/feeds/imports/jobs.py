"""Import jobs uploaded over HTTP: the gateway sends the file in chunks (kept in the feeds
service's database, sealed, until the job has run: a roster names people), then queues the
job; a timer of the service
claims queued jobs (and running ones whose runner stopped renewing its lease: a killed
process) and runs them from the first row again, which the ledger makes safe."""
from __future__ import annotations

import base64
import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo import ASCENDING
from pymongo.database import Database

from contracts.feeds.imports import KINDS, QUEUED, RECEIVING, REFUSED
from services.feeds.imports.engine import Calls, ImportBook, run_import
from services.feeds.imports.files import FileRefused, format_of
from yinfa.errors import DomainRuleViolated, NotFound, ValidationFailed
from yinfa.sealed import master_key, seal, unseal

CHUNKS = "import_chunks"
LEASE_SECONDS = 60.0
ATTEMPTS = 3  # runs of a job that stop on an error before it is given up
UNFINISHED_AFTER = timedelta(hours=1)  # an upload still receiving then was cut off

log = logging.getLogger(__name__)


def create(db: Database, job_id: str, partner: str, source: str, kind: str,
           file_name: str) -> dict[str, Any]:
    if kind not in KINDS:
        raise ValidationFailed({"kind": [f"One of {', '.join(KINDS)}."]}, "invalid import")
    try:
        format_of(file_name)
    except FileRefused as refused:
        raise ValidationFailed({"file_name": [str(refused)]}, "invalid import") from None
    return ImportBook(db).create(job_id, partner, source, kind, file_name)


def add_chunk(db: Database, job_id: str, seq: int, data: str, max_bytes: int) -> int:
    """Keep one chunk (base64); the bytes received so far. Beyond the limit the job is
    refused and its chunks dropped."""
    raw = base64.b64decode(data)
    job = db["import_jobs"].find_one_and_update(
        {"_id": job_id, "status": RECEIVING}, {"$inc": {"bytes": len(raw)}})
    if job is None:
        raise NotFound("no import receiving a file", field="job_id")
    received = int(job.get("bytes", 0)) + len(raw)
    if received > max_bytes:
        db[CHUNKS].delete_many({"job_id": job_id})
        db["import_jobs"].update_one({"_id": job_id}, {"$set": {
            "status": REFUSED, "refused": f"the file is more than the limit of {max_bytes} bytes"}})
        raise DomainRuleViolated(f"the file is more than {max_bytes} bytes", field="file")
    chunk_id = f"{job_id}:{seq:06d}"  # sealed: a roster names people (yinfa.sealed)
    db[CHUNKS].replace_one({"_id": chunk_id}, {
        **seal(chunk_id, {"data": data}, master_key()), "job_id": job_id, "seq": seq},
        upsert=True)
    return received


def queue(db: Database, job_id: str) -> dict[str, Any]:
    done = db["import_jobs"].update_one({"_id": job_id, "status": RECEIVING},
                                        {"$set": {"status": QUEUED}})
    if not done.matched_count:
        raise NotFound("no import receiving a file", field="job_id")
    return ImportBook(db).job(job_id)


def of_partner(db: Database, job_id: str, partner: str | None) -> dict[str, Any]:
    """The job; NotFound for a partner whose job it is not (as for one that does not exist)."""
    job = ImportBook(db).job(job_id)
    if partner is not None and job["partner"] != partner:
        raise NotFound("no such import", field="job_id")
    return job


def run_next(db: Database, calls: Callable[[], Any], max_bytes: int) -> dict[str, Any] | None:
    """Claim and run one job; None if none waits. `calls()` opens the services' RPC."""
    book = ImportBook(db)
    job = book.claim(LEASE_SECONDS)
    if job is None:
        return None
    try:
        with spooled(db, job) as path, calls() as call:
            ended = run_import(book, job, path, max_bytes, call, lease_seconds=LEASE_SECONDS)
    except Exception as error:  # a service or the store away: tried again once its
        if job.get("attempts", 1) < ATTEMPTS:  # lease has lapsed (LEASE_SECONDS)
            log.warning("import %s stopped (%r): it is tried again", job["_id"], error)
            raise
        log.exception("import %s stopped %d times: given up", job["_id"], ATTEMPTS)
        ended = book.finish(job["_id"], refused=f"stopped {ATTEMPTS} times: {error!r}")
    db[CHUNKS].delete_many({"job_id": job["_id"]})
    return ended


def drop_unfinished(db: Database, now: datetime) -> int:
    """Uploads cut off (the gateway stopped mid-file): refused, their chunks dropped."""
    book = ImportBook(db)
    dropped = 0
    for job in db["import_jobs"].find({"status": RECEIVING,
                                       "created_at": {"$lt": now - UNFINISHED_AFTER}},
                                      {"_id": 1}):
        db[CHUNKS].delete_many({"job_id": job["_id"]})
        book.finish(job["_id"], refused="the upload did not finish")
        dropped += 1
    return dropped


@contextmanager
def spooled(db: Database, job: dict[str, Any]) -> Iterator[Path]:
    """The uploaded file on disk (openpyxl seeks in it), a chunk at a time."""
    suffix = Path(job["file_name"]).suffix
    with tempfile.NamedTemporaryFile(suffix=suffix) as spool:
        master = master_key()
        for chunk in db[CHUNKS].find({"job_id": job["_id"]}).sort("seq", ASCENDING):
            spool.write(base64.b64decode(unseal(chunk, master)["data"]))
        spool.flush()
        yield Path(spool.name)


def ensure_indexes(db: Database) -> None:
    db[CHUNKS].create_index([("job_id", ASCENDING), ("seq", ASCENDING)], name="job_seq")
    ImportBook(db).ensure_indexes()


__all__ = ["Calls", "add_chunk", "create", "drop_unfinished", "ensure_indexes", "of_partner",
           "queue", "run_next"]
