"""`yinfa rotate-master-key`: every sealed document's data key re-wrapped under a new
master key. The sealed data is never decrypted and the data keys never change, so the
rotation is one short write per document and can be repeated: a document already under
the new key is recognised and left as it is."""
from __future__ import annotations

from collections.abc import Iterable

from cryptography.hazmat.primitives.keywrap import InvalidUnwrap
from pymongo.database import Database

from yinfa.sealed import data_key_of, rewrap

# (service database, collection) of every sealed store
SEALED = (("volunteers", "personal_data"), ("volunteers", "nomination_deeds"),
          ("branches", "people_named"), ("activities", "wish_texts"),
          ("feeds", "import_chunks"))


def rotate(databases: Iterable[tuple[Database, str]], old: bytes, new: bytes) -> dict[str, int]:
    """collection -> documents re-wrapped; raises if a document opens under neither key."""
    counts: dict[str, int] = {}
    for db, collection in databases:
        rewrapped = 0
        for document in db[collection].find({"seal": {"$exists": True}}):
            try:
                data_key_of(document, new)
                continue  # already under the new key (an earlier, interrupted run)
            except InvalidUnwrap:
                pass
            db[collection].replace_one({"_id": document["_id"]}, rewrap(document, old, new))
            rewrapped += 1
        counts[f"{db.name}.{collection}"] = rewrapped
    return counts
