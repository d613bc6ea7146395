"""Personal data, encrypted per person, outside the event log.

A volunteer's name, phone and full ID number live in one document keyed by volunteer id,
sealed with AES-256-GCM under a data key of that person alone; the data key is stored
wrapped (AES key wrap, RFC 3394) by the master key from `YINFA_MASTER_KEY`. Events and
views never hold these fields, so the log, the bus and backups carry only ciphertext,
and erasing a person is deleting this one document: with it goes the only copy of their
data key (PIPL art. 47).
"""
from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from yinfa.secrets import MASTER_KEY, key_material, secret_text
from yinfa.store.new_documents import insert_new

COLLECTION = "personal_data"
FIELDS = ("name", "phone", "id_number")
SEAL_VERSION = 1


@lru_cache(maxsize=4)
def _master_from(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"yinfa personal data master key").derive(key_material(secret))


def master_key() -> bytes:
    return _master_from(secret_text(MASTER_KEY))


def seal(volunteer_id: str, person: Mapping[str, Any], master: bytes,
         data_key: bytes | None = None) -> dict[str, Any]:
    """The stored document of a person: only ciphertext and the wrapped data key."""
    data_key = data_key or AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    plain = json.dumps({name: person.get(name) for name in FIELDS}, ensure_ascii=False)
    return {
        "_id": volunteer_id, "seal": SEAL_VERSION,
        "key": _text(aes_key_wrap(master, data_key)), "nonce": _text(nonce),
        # the volunteer id is bound in: a sealed document moved to another id won't open
        "data": _text(AESGCM(data_key).encrypt(nonce, plain.encode(), volunteer_id.encode())),
    }


def _text(raw: bytes) -> str:
    # base64 text rather than BSON binary: every store the platform runs on keeps it alike
    return base64.b64encode(raw).decode()


def unseal(document: Mapping[str, Any], master: bytes) -> dict[str, Any]:
    data_key = _data_key(document, master)
    plain = AESGCM(data_key).decrypt(base64.b64decode(document["nonce"]),
                                     base64.b64decode(document["data"]),
                                     str(document["_id"]).encode())
    return json.loads(plain)


def _data_key(document: Mapping[str, Any], master: bytes) -> bytes:
    return aes_key_unwrap(master, base64.b64decode(document["key"]))


def keep(db: Database, volunteer_id: str, person: Mapping[str, Any]) -> None:
    """Keep a person's data unless it is kept already: a registration writes it first, so
    a retry after a crash finds it there and a second registration changes nothing."""
    try:
        db[COLLECTION].insert_one(seal(volunteer_id, person, master_key()))
    except DuplicateKeyError:
        pass


def keep_many(db: Database, people: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
    """`keep` for many (volunteer id, personal data) in a few inserts."""
    master = master_key()
    insert_new(db[COLLECTION], [seal(vid, person, master) for vid, person in people])


def update(db: Database, volunteer_id: str, changes: Mapping[str, Any]) -> None:
    """Change some fields of a person's data, under the same data key."""
    document = db[COLLECTION].find_one({"_id": volunteer_id})
    if document is None:
        return
    master = master_key()
    person = {**unseal(document, master), **changes}
    db[COLLECTION].replace_one({"_id": volunteer_id},
                               seal(volunteer_id, person, master, _data_key(document, master)))


def reveal(db: Database, volunteer_id: str) -> dict[str, Any] | None:
    document = db[COLLECTION].find_one({"_id": volunteer_id})
    return None if document is None else unseal(document, master_key())


def people(db: Database, volunteer_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The personal data of each of these volunteers that still has it."""
    ids = list(dict.fromkeys(volunteer_ids))
    if not ids:
        return {}
    master = master_key()
    return {doc["_id"]: unseal(doc, master)
            for doc in db[COLLECTION].find({"_id": {"$in": ids}})}


def erase(db: Database, volunteer_id: str) -> bool:
    """Destroy the person's data key with their data; True if there was any."""
    return db[COLLECTION].delete_one({"_id": volunteer_id}).deleted_count == 1


def without_personal_data(db: Database, volunteer_ids: Iterable[str]) -> list[str]:
    """Which of these volunteers have no personal data kept (reconciliation)."""
    ids = list(volunteer_ids)
    kept = {doc["_id"] for doc in db[COLLECTION].find({"_id": {"$in": ids}}, {"_id": 1})}
    return [vid for vid in ids if vid not in kept]
