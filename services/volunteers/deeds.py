"""A nominee's deeds (事迹): free text about a person, so kept sealed like their personal
data (`yinfa.sealed`), one document per nomination, never in an event. The document names
the volunteer in the clear (an id, no personal data) so that erasing the person destroys
their deeds with their data."""
from __future__ import annotations

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from yinfa.sealed import master_key, open_many, seal

COLLECTION = "nomination_deeds"


def keep(db: Database, nomination_id: str, volunteer_id: str, deeds: str) -> None:
    """Before the nomination's event: a retry finds them kept and changes nothing."""
    document = {**seal(nomination_id, {"deeds": deeds}, master_key()),
                "volunteer_id": volunteer_id}
    try:
        db[COLLECTION].insert_one(document)
    except DuplicateKeyError:
        pass


def deeds_of(db: Database, nomination_ids: list[str]) -> dict[str, str]:
    return {nid: fields["deeds"] for nid, fields in
            open_many(db[COLLECTION], nomination_ids).items()}


def erase_of(db: Database, volunteer_id: str) -> int:
    """Destroy every deeds document of a person (erasure, PIPL art. 47)."""
    return db[COLLECTION].delete_many({"volunteer_id": volunteer_id}).deleted_count
