"""The volunteers service's own I/O beyond its event store: a volunteer's personal data
(name, phone and full ID number) in one sealed document per person keyed by volunteer id
(`yinfa.sealed`), the secret that names their stream, and the numbers corrected since.
Events and views never hold these fields; erasing a person is deleting this one document,
and with it their data key.

A volunteer's id is derived from the ID number they registered with, and stays when the
number is corrected (every event, replica and ledger line names it). The corrected
number's own derived id is then an alias of the record (`ALIASES`: derived id → volunteer
id, neither of which reveals the number), so that a registration or a lookup by the new
number finds the record.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from yinfa.sealed import (
    data_key_of,
    destroy,
    keep_once,
    master_key,
    open_many,
    open_one,
    seal,
    unseal,
)
from yinfa.secrets import ID_SECRET, secret_text
from yinfa.store.new_documents import insert_new

COLLECTION = "personal_data"
ALIASES = "id_number_aliases"
FIELDS = ("name", "phone", "id_number")


def seal_person(volunteer_id: str, person: Mapping[str, Any], master: bytes,
                data_key: bytes | None = None) -> dict[str, Any]:
    return seal(volunteer_id, _fields(person), master, data_key)


def id_secret() -> str:
    """The key of the HMAC that names a volunteer's stream after their ID number."""
    return secret_text(ID_SECRET)


def _fields(person: Mapping[str, Any]) -> dict[str, Any]:
    return {name: person.get(name) for name in FIELDS}


def keep(db: Database, volunteer_id: str, person: Mapping[str, Any]) -> bool:
    """Keep a person's data unless it is kept already: a registration writes it first, so
    a retry after a crash finds it there and a second registration changes nothing.
    Whether the data given is what is kept."""
    return keep_once(db[COLLECTION], volunteer_id, _fields(person))


def keep_many(db: Database, people: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
    """`keep` for many (volunteer id, personal data) in a few inserts."""
    master = master_key()
    insert_new(db[COLLECTION], [seal_person(vid, person, master) for vid, person in people])


def update(db: Database, volunteer_id: str, changes: Mapping[str, Any]) -> None:
    """Change some fields of a person's data, under the same data key."""
    document = db[COLLECTION].find_one({"_id": volunteer_id})
    if document is None:
        return
    master = master_key()
    person = {**unseal(document, master), **changes}
    db[COLLECTION].replace_one({"_id": volunteer_id},
                               seal_person(volunteer_id, person, master,
                                           data_key_of(document, master)))


def reveal(db: Database, volunteer_id: str) -> dict[str, Any] | None:
    return open_one(db[COLLECTION], volunteer_id)


def people(db: Database, volunteer_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The personal data of each of these volunteers that still has it."""
    return open_many(db[COLLECTION], volunteer_ids)


def erase(db: Database, volunteer_id: str) -> bool:
    """Destroy the person's data key with their data; True if there was any."""
    return destroy(db[COLLECTION], volunteer_id)


def without_personal_data(db: Database, volunteer_ids: Iterable[str]) -> list[str]:
    """Which of these volunteers have no personal data kept (reconciliation)."""
    ids = list(volunteer_ids)
    kept = {doc["_id"] for doc in db[COLLECTION].find({"_id": {"$in": ids}}, {"_id": 1})}
    return [vid for vid in ids if vid not in kept]


def record_of(db: Database, derived_id: str) -> str:
    """The volunteer id of the record an ID number's derived id names: its own, unless
    a record's number was corrected to that number."""
    alias = db[ALIASES].find_one({"_id": derived_id}, {"volunteer_id": 1})
    return derived_id if alias is None else alias["volunteer_id"]


def records_of(db: Database, derived_ids: Iterable[str]) -> dict[str, str]:
    """`record_of` for many, in one read: derived id -> volunteer id."""
    ids = list(dict.fromkeys(derived_ids))
    found = {doc["_id"]: doc["volunteer_id"]
             for doc in db[ALIASES].find({"_id": {"$in": ids}})} if ids else {}
    return {derived: found.get(derived, derived) for derived in ids}


def claim_number(db: Database, derived_id: str, volunteer_id: str) -> str:
    """Make a corrected number's derived id an alias of the record; the volunteer id it
    names afterwards (another's if another record claimed it first)."""
    try:
        db[ALIASES].insert_one({"_id": derived_id, "volunteer_id": volunteer_id})
    except DuplicateKeyError:
        return record_of(db, derived_id)
    return volunteer_id
