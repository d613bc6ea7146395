"""Personal data out of scoring's journal (part of `yinfa migrate personal-data`): the
journal kept source events as they came, so events of versions that carried people's
names, phones or masked ID numbers left copies here. Those fields go; nothing scoring
folds is among them."""
from __future__ import annotations

import json
from typing import Any

from pymongo.database import Database

from services.scoring.engine.journal import COLLECTION

# fields of source events, by type, that named a person in earlier versions
PERSONAL_FIELDS: dict[str, tuple[str, ...]] = {
    "VolunteerRegistered": ("name", "phone", "id_number_masked"),
    "VolunteerProfileUpdated": ("phone",),
    "BranchEstablished": ("secretary", "liaison"),
    "BranchOfficersChanged": ("secretary", "liaison"),
    "CertificationApplied": ("applicant",),
    "ItemReviewed": ("reviewer",),
    "BrandReviewed": ("reviewer",),
    "WishPosted": ("description",),
}


def migrate(db: Database) -> dict[str, int]:
    rewritten = 0
    for entry in db[COLLECTION].find():
        events = [_stripped(stored) for stored in entry["events"]]
        if events != entry["events"]:
            db[COLLECTION].update_one({"_id": entry["_id"]}, {"$set": {"events": events}})
            rewritten += 1
    return {"journal": rewritten}


def _stripped(stored: dict[str, Any]) -> dict[str, Any]:
    packed = stored.get("data", {}).get("packed")
    if not packed:
        return stored
    rows = json.loads(packed)
    changed = False
    for row in rows:
        personal = PERSONAL_FIELDS.get(row[1], ())
        if any(name in row[5] for name in personal):
            row[5] = {k: v for k, v in row[5].items() if k not in personal}
            changed = True
    if not changed:
        return stored
    return {**stored, "data": {**stored["data"], "packed": json.dumps(
        rows, ensure_ascii=False, separators=(",", ":"))}}
