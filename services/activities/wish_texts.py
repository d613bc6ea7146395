"""A wish's description is the words of the person in need: sealed apart, one document per
wish (`yinfa.sealed`), never in an event. Reads put it back; erasing it leaves the wish
and its facts (category, county, times) as they were."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from yinfa.sealed import master_key, seal, unseal

COLLECTION = "wish_texts"
ERASED = "已注销"


def keep(db: Database, wish_id: str, description: str) -> None:
    """Kept once, before the wish is posted: a retry finds it there."""
    try:
        db[COLLECTION].insert_one(seal(wish_id, {"description": description}, master_key()))
    except DuplicateKeyError:
        pass


def description_of(db: Database, wish_id: str) -> str | None:
    document = db[COLLECTION].find_one({"_id": wish_id})
    return None if document is None else unseal(document, master_key())["description"]


def with_descriptions(db: Database, wishes: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    found = list(wishes)
    ids = [w["wish_id"] for w in found]
    master = master_key()
    texts = {doc["_id"]: unseal(doc, master)["description"]
             for doc in db[COLLECTION].find({"_id": {"$in": ids}})} if ids else {}
    for wish in found:
        wish["description"] = texts.get(wish["wish_id"], ERASED)
    return found


def erase(db: Database, wish_id: str) -> bool:
    return db[COLLECTION].delete_one({"_id": wish_id}).deleted_count == 1
