"""The one sanctioned rewrite of the log: personal data out of stores written before it
left the events (`yinfa migrate personal-data`).

Events of older versions carried a volunteer's name and phone (and a masked ID number),
and the personal data collection held the ID number and phone in clear. This moves each
person's data into the encrypted store, rewrites those events in place at their current
version (as the upcasters read them, so every reader sees what it saw before) and drops
the copies other services kept: the directory replicas (scoring's journal and the branches
service have migrations of their own, run by the same command). It can be
run again: a migrated store has nothing left to change. What it did is logged and kept
in the volunteers database's `migrations` collection, with counts and no personal data.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import partial
from typing import Any

from pymongo.database import Database

from contracts.volunteers import events as ev
from services.volunteers import dependencies as personal
from yinfa.store.rewrite import rewrite_stored_events

log = logging.getLogger(__name__)

MIGRATION = "personal-data-out-of-events"
OLD_VERSIONS = {ev.VOLUNTEER_REGISTERED: 3, ev.VOLUNTEER_PROFILE_UPDATED: 2}
VOLUNTEER_VIEW = "volunteer_view"


def migrate(volunteers: Database) -> dict[str, int]:
    counts = {"commits": 0, "people": 0, "views": 0}
    met: dict[str, dict[str, Any]] = {}  # volunteer id -> name and latest phone met
    counts["commits"] = rewrite_stored_events(volunteers["commits"], partial(_current, met))
    counts["people"] = _seal_clear_personal_data(volunteers, met)
    counts["views"] = volunteers[VOLUNTEER_VIEW].update_many(
        {"name": {"$exists": True}},
        {"$unset": {"name": "", "id_number_masked": "", "phone_masked": ""}}).modified_count
    volunteers["migrations"].update_one(
        {"_id": MIGRATION},
        {"$set": {"last_run_at": datetime.now(UTC), "counts": counts},
         "$inc": {"runs": 1}}, upsert=True)
    log.warning("rewrote the event log to take personal data out of it: %s", counts)
    return counts


def _current(met: dict[str, dict[str, Any]], stream_id: str, stored: dict[str, Any]
             ) -> dict[str, Any]:
    """The stored event at its current version; the name and phone it carried noted in
    `met`, for sealing."""
    current = OLD_VERSIONS.get(stored["type"])
    if current is None or stored["schema_version"] >= current:
        return stored
    data = stored["data"]
    seen = met.setdefault(stream_id.split("-", 1)[1], {})
    seen.update({name: data[name] for name in ("name", "phone") if data.get(name)})
    return {**stored, "schema_version": current,
            "data": ev.upcast(stored["type"], stored["schema_version"], data)}


def _seal_clear_personal_data(db: Database, met: dict[str, dict[str, Any]]) -> int:
    """Documents still in clear become sealed, with the name from the old events."""
    sealed = 0
    master = personal.master_key()
    for document in db[personal.COLLECTION].find({"seal": {"$exists": False}}):
        volunteer_id = document["_id"]
        person = {"name": met.get(volunteer_id, {}).get("name"),
                  "phone": document.get("phone") or met.get(volunteer_id, {}).get("phone"),
                  "id_number": document.get("id_number")}
        db[personal.COLLECTION].replace_one({"_id": volunteer_id},
                                            personal.seal_person(volunteer_id, person, master))
        sealed += 1
    return sealed


def current_message(envelope: dict[str, Any]) -> dict[str, Any]:
    """An event as a message carried it (`to_message`), at its current version if it is
    one of ours of a version that carried personal data; unchanged otherwise."""
    current = OLD_VERSIONS.get(envelope.get("type", ""))
    version = envelope.get("schema_version", current)
    if current is None or not isinstance(version, int) or version >= current:
        return envelope
    return {**envelope, "schema_version": current,
            "data": ev.upcast(envelope["type"], version, envelope.get("data") or {})}
