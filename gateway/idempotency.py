"""`Idempotency-Key` on POST: the same key with the same body answers what the first
request answered, without a second write; the same key with another body is refused.

Records live in the gateway's database, scoped by caller, so two clients cannot collide.
Only successful answers are kept: after a failure the client may try the key again.
"""
from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from gateway.problem import Problem, bad_request

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_:\-]{1,100}$")
PENDING_LEASE = timedelta(seconds=60)  # a claim older than this was left by a crash


def check_key(key: str) -> str:
    if not KEY_PATTERN.match(key):
        raise bad_request("Idempotency-Key must be 1-100 letters, digits, '-', '_' or ':'.",
                          {"Idempotency-Key": ["Invalid key."]})
    return key


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps([method, path, body], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


KEPT_FOR = 24 * 3600  # a client retries within minutes; a day of answers is plenty


class IdempotencyRecords:
    def __init__(self, db: Database) -> None:
        self.records = db["idempotency_keys"]

    def ensure_indexes(self) -> None:
        self.records.create_index("claimed_at", expireAfterSeconds=KEPT_FOR)

    def claim(self, scope: str, key: str, request_hash: str) -> dict[str, Any] | None:
        """None: go ahead. A dict: the stored answer to replay."""
        record_id = f"{scope}|{key}"
        now = datetime.now(UTC)
        try:
            self.records.insert_one({"_id": record_id, "hash": request_hash,
                                     "state": "pending", "claimed_at": now})
            return None
        except DuplicateKeyError:
            pass
        record = self.records.find_one({"_id": record_id})
        if record is None:  # released in between: claim again
            return self.claim(scope, key, request_hash)
        if record["hash"] != request_hash:
            raise Problem(422, "idempotency_key_reused",
                          "This Idempotency-Key was used with another request.")
        if record["state"] == "done":
            return record["response"]
        claimed_at = record["claimed_at"]
        if claimed_at.tzinfo is None:
            claimed_at = claimed_at.replace(tzinfo=UTC)
        if now - claimed_at > PENDING_LEASE:
            self.records.update_one({"_id": record_id}, {"$set": {"claimed_at": now}})
            return None
        raise Problem(409, "idempotency_in_progress",
                      "A request with this Idempotency-Key is still being processed.",
                      headers={"Retry-After": "1"})

    def complete(self, scope: str, key: str, response: dict[str, Any]) -> None:
        self.records.update_one({"_id": f"{scope}|{key}"},
                                {"$set": {"state": "done", "response": response}})

    def release(self, scope: str, key: str) -> None:
        self.records.delete_one({"_id": f"{scope}|{key}", "state": "pending"})
