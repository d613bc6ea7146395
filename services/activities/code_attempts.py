"""Wrong check-in codes are limited per activity and person, in the store (so the limit
holds across replicas): a six-character code cannot be guessed by trying."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pymongo import ReturnDocument
from pymongo.database import Database

from yinfa.errors import TooManyAttempts

COLLECTION = "check_in_code_attempts"
MAX_WRONG = 5
LOCKED_FOR = timedelta(minutes=15)


def _key(activity_id: str, volunteer_id: str) -> str:
    return f"{activity_id}:{volunteer_id}"


def refuse_if_locked(db: Database, activity_id: str, volunteer_id: str) -> None:
    doc = db[COLLECTION].find_one({"_id": _key(activity_id, volunteer_id)})
    if doc and doc.get("wrong", 0) >= MAX_WRONG and _aware(doc["since"]) + LOCKED_FOR > _now():
        raise TooManyAttempts(f"{MAX_WRONG} wrong codes: try again in "
                              f"{int(LOCKED_FOR.total_seconds() // 60)} minutes", field="code")


def count_wrong(db: Database, activity_id: str, volunteer_id: str) -> None:
    key = _key(activity_id, volunteer_id)
    doc = db[COLLECTION].find_one_and_update({"_id": key}, {"$inc": {"wrong": 1}},
                                             return_document=ReturnDocument.AFTER)
    if doc is None or _aware(doc["since"]) + LOCKED_FOR <= _now():  # a new streak
        db[COLLECTION].replace_one({"_id": key}, {"_id": key, "wrong": 1, "since": _now()},
                                   upsert=True)


def forget(db: Database, activity_id: str, volunteer_id: str) -> None:
    db[COLLECTION].delete_one({"_id": _key(activity_id, volunteer_id)})


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
