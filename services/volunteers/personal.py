"""Personal data kept outside the event log ("forgettable payload").

The full ID number and phone live in one collection keyed by volunteer id. Events carry
only masked forms, so the log and the bus never spread them, and erasing a person's
data is one delete here, with no event rewritten.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pymongo import ReplaceOne
from pymongo.database import Database

from yinfa.store.new_documents import insert_new

COLLECTION = "personal_data"


def keep(db: Database, volunteer_id: str, id_number: str, phone: str) -> None:
    db[COLLECTION].replace_one(
        {"_id": volunteer_id},
        {"_id": volunteer_id, "id_number": id_number, "phone": phone},
        upsert=True,
    )


def keep_many(db: Database, people: Iterable[tuple[str, str, str]]) -> None:
    """`keep` for many (volunteer id, ID number, phone) just registered: one insert, as
    none of them should have a document yet; one that has is replaced, as `keep` does."""
    documents = [{"_id": volunteer_id, "id_number": id_number, "phone": phone}
                 for volunteer_id, id_number, phone in people]
    there_already = insert_new(db[COLLECTION], documents)
    if there_already:
        db[COLLECTION].bulk_write([ReplaceOne({"_id": doc["_id"]}, doc, upsert=True)
                                   for doc in there_already], ordered=False)


def update_phone(db: Database, volunteer_id: str, phone: str) -> None:
    db[COLLECTION].update_one({"_id": volunteer_id}, {"$set": {"phone": phone}})


def reveal(db: Database, volunteer_id: str) -> dict[str, Any] | None:
    doc = db[COLLECTION].find_one({"_id": volunteer_id})
    return None if doc is None else {"id_number": doc["id_number"], "phone": doc["phone"]}
