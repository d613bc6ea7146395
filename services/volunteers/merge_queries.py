"""Reads of merges: a merge in force by its id, and where a merged record's id leads."""
from __future__ import annotations

from typing import Any

from pymongo.database import Database

from contracts.volunteers.streams import volunteer_stream
from yinfa.errors import NotFound

MAX_HOPS = 8  # a survivor merged on later is followed this far (each hop one read)


def survivor_document(db: Database, doc: dict[str, Any] | None,
                      projection: dict[str, Any]) -> dict[str, Any] | None:
    """The view document a volunteer's leads to: its own, or its survivor's."""
    for _ in range(MAX_HOPS):
        if doc is None or not doc.get("merged_into"):
            return doc
        doc = db["volunteer_view"].find_one({"_id": volunteer_stream(doc["merged_into"])},
                                            projection)
    return doc


def get_merge(db: Database, merge_id: str) -> dict[str, Any]:
    """A merge in force: the duplicate names it; the survivor too, once an undo that a
    crash cut short has given the duplicate back (its county is then the duplicate's)."""
    views = db["volunteer_view"]
    fields = {"volunteer_id": 1, "county_code": 1, "merged_into": 1, "merged_at": 1,
              "merged_from": 1}
    duplicate = views.find_one({"merge_id": merge_id}, fields)
    survivor = (views.find_one({"_id": volunteer_stream(duplicate["merged_into"])}, fields)
                if duplicate else views.find_one({"merges_held": merge_id}, fields))
    if survivor is not None and duplicate is None:
        duplicate_id = dict(survivor.get("merged_from") or {}).get(merge_id)
        duplicate = views.find_one({"_id": volunteer_stream(duplicate_id or "")}, fields)
    if duplicate is None or survivor is None:
        raise NotFound("no such merge in force", field="merge_id")
    return {"merge_id": merge_id, "survivor_id": survivor["volunteer_id"],
            "duplicate_id": duplicate["volunteer_id"],
            "survivor_county": survivor.get("county_code"),
            "duplicate_county": duplicate["county_code"],
            "merged_at": duplicate.get("merged_at")}
