"""Sealed documents: personal data kept encrypted per document, outside the event log.

Each document is sealed with AES-256-GCM under a data key of its own; the data key is
stored wrapped (AES key wrap, RFC 3394) by the master key from `YINFA_MASTER_KEY`, and
the document's id is bound in as associated data, so a sealed document moved to another
id does not open. The store, its backups and its replicas hold only ciphertext; deleting
a document destroys the only copy of its data key, and with it the data (PIPL art. 47).
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
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from yinfa.secrets import MASTER_KEY, key_material, secret_text

SEAL_VERSION = 1


@lru_cache(maxsize=4)
def _master_from(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"yinfa personal data master key").derive(key_material(secret))


def master_key() -> bytes:
    return _master_from(secret_text(MASTER_KEY))


def seal(document_id: str, fields: Mapping[str, Any], master: bytes,
         data_key: bytes | None = None) -> dict[str, Any]:
    """The stored form: the id, the wrapped data key, a nonce and the ciphertext."""
    data_key = data_key or AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    plain = json.dumps(dict(fields), ensure_ascii=False).encode()
    return {
        "_id": document_id, "seal": SEAL_VERSION,
        "key": _text(aes_key_wrap(master, data_key)), "nonce": _text(nonce),
        "data": _text(AESGCM(data_key).encrypt(nonce, plain, document_id.encode())),
    }


def unseal(document: Mapping[str, Any], master: bytes) -> dict[str, Any]:
    plain = AESGCM(data_key_of(document, master)).decrypt(
        base64.b64decode(document["nonce"]), base64.b64decode(document["data"]),
        str(document["_id"]).encode())
    return json.loads(plain)


def data_key_of(document: Mapping[str, Any], master: bytes) -> bytes:
    return aes_key_unwrap(master, base64.b64decode(document["key"]))


def _text(raw: bytes) -> str:
    # base64 text rather than BSON binary: every store the platform runs on keeps it alike
    return base64.b64encode(raw).decode()


def rewrap(document: Mapping[str, Any], old_master: bytes, new_master: bytes
           ) -> dict[str, Any]:
    """The document with its data key wrapped by `new_master` instead of `old_master`;
    the sealed data itself is not touched (nor ever decrypted)."""
    data_key = data_key_of(document, old_master)
    return {**document, "key": _text(aes_key_wrap(new_master, data_key))}


def master_from_text(secret: str) -> bytes:
    """The master key that a secret's text derives (as `master_key` does for the set one)."""
    return _master_from(secret)


# ---- a collection of sealed documents ----------------------------------------------------


def keep_once(collection: Collection, document_id: str, fields: Mapping[str, Any]) -> bool:
    """Seal and insert, unless a document with this id is kept already (a retry): whether
    these fields are the ones kept."""
    try:
        collection.insert_one(seal(document_id, fields, master_key()))
    except DuplicateKeyError:
        return False
    return True


def open_one(collection: Collection, document_id: str) -> dict[str, Any] | None:
    document = collection.find_one({"_id": document_id})
    return None if document is None else unseal(document, master_key())


def open_many(collection: Collection, document_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The opened fields of each of these documents that is kept (one read)."""
    ids = list(dict.fromkeys(document_ids))
    if not ids:
        return {}
    master = master_key()
    return {doc["_id"]: unseal(doc, master) for doc in collection.find({"_id": {"$in": ids}})}


def destroy(collection: Collection, document_id: str) -> bool:
    """Delete the document, and with it the only copy of its data key."""
    return collection.delete_one({"_id": document_id}).deleted_count == 1
