"""The activities service's own stores beside its event log, over its database.

Wish texts: a wish's description is the words of the person in need, sealed apart, one
document per wish (`yinfa.sealed`), never in an event. Reads put it back.

Wrong check-in codes are counted per activity and person, in the store (so the limit
holds across replicas): a six-character code cannot be guessed by trying.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.database import Database

from yinfa.errors import TooManyAttempts
from yinfa.sealed import keep_once, open_many, open_one

# --- wish texts -------------------------------------------------------------------------

WISH_TEXTS = "wish_texts"
ERASED = "已注销"


def keep_wish_text(db: Database, wish_id: str, description: str) -> None:
    """Kept once, before the wish is posted: a retry finds it there."""
    keep_once(db[WISH_TEXTS], wish_id, {"description": description})


def wish_description(db: Database, wish_id: str) -> str | None:
    text = open_one(db[WISH_TEXTS], wish_id)
    return None if text is None else text["description"]


def with_descriptions(db: Database, wishes: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    found = list(wishes)
    texts = open_many(db[WISH_TEXTS], (w["wish_id"] for w in found))
    for wish in found:
        wish["description"] = texts[wish["wish_id"]]["description"] if (
            wish["wish_id"] in texts) else ERASED
    return found


# --- wrong check-in codes ---------------------------------------------------------------

CODE_ATTEMPTS = "check_in_code_attempts"
MAX_WRONG = 5
LOCKED_FOR = timedelta(minutes=15)


def _key(activity_id: str, volunteer_id: str) -> str:
    return f"{activity_id}:{volunteer_id}"


def refuse_if_locked(db: Database, activity_id: str, volunteer_id: str) -> None:
    doc = db[CODE_ATTEMPTS].find_one({"_id": _key(activity_id, volunteer_id)})
    if doc and doc.get("wrong", 0) >= MAX_WRONG and _aware(doc["since"]) + LOCKED_FOR > _now():
        raise TooManyAttempts(f"{MAX_WRONG} wrong codes: try again in "
                              f"{int(LOCKED_FOR.total_seconds() // 60)} minutes", field="code")


def count_wrong_code(db: Database, activity_id: str, volunteer_id: str) -> None:
    key = _key(activity_id, volunteer_id)
    doc = db[CODE_ATTEMPTS].find_one_and_update({"_id": key}, {"$inc": {"wrong": 1}},
                                                return_document=ReturnDocument.AFTER)
    if doc is None or _aware(doc["since"]) + LOCKED_FOR <= _now():  # a new streak
        db[CODE_ATTEMPTS].replace_one({"_id": key}, {"_id": key, "wrong": 1, "since": _now()},
                                      upsert=True)


def forget_wrong_codes(db: Database, activity_id: str, volunteer_id: str) -> None:
    db[CODE_ATTEMPTS].delete_one({"_id": _key(activity_id, volunteer_id)})


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
