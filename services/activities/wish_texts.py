"""A wish's description is the words of the person in need: sealed apart, one document per
wish (`yinfa.sealed`), never in an event. Reads put it back; erasing it leaves the wish
and its facts (category, county, times) as they were."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pymongo.database import Database

from yinfa.sealed import destroy, keep_once, open_many, open_one

COLLECTION = "wish_texts"
ERASED = "已注销"


def keep(db: Database, wish_id: str, description: str) -> None:
    """Kept once, before the wish is posted: a retry finds it there."""
    keep_once(db[COLLECTION], wish_id, {"description": description})


def description_of(db: Database, wish_id: str) -> str | None:
    text = open_one(db[COLLECTION], wish_id)
    return None if text is None else text["description"]


def with_descriptions(db: Database, wishes: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    found = list(wishes)
    texts = open_many(db[COLLECTION], (w["wish_id"] for w in found))
    for wish in found:
        wish["description"] = texts[wish["wish_id"]]["description"] if (
            wish["wish_id"] in texts) else ERASED
    return found


def erase(db: Database, wish_id: str) -> bool:
    return destroy(db[COLLECTION], wish_id)
