"""Personal data out of the activities service's log (part of `yinfa migrate
personal-data`): the description of a wish posted at version 1 is sealed apart
(`dependencies.py`) and the event rewritten at version 2 without it."""
from __future__ import annotations

from functools import partial
from typing import Any

from pymongo.database import Database

from contracts.activities.events import CURRENT_VERSIONS, WISH_POSTED, upcast
from services.activities.dependencies import keep_wish_text
from services.activities.directory import unnamed_directory
from yinfa.store.rewrite import rewrite_stored_events

VIEW = "wish_view"


def migrate(db: Database) -> dict[str, int]:
    rewritten = rewrite_stored_events(db["commits"], partial(_current, db))
    db[VIEW].update_many({"description": {"$exists": True}}, {"$unset": {"description": ""}})
    return {"wish_commits": rewritten, "activities_directory": unnamed_directory(db)}


def _current(db: Database, stream_id: str, stored: dict[str, Any]) -> dict[str, Any]:
    if stored["type"] != WISH_POSTED or stored["schema_version"] >= CURRENT_VERSIONS[
            WISH_POSTED]:
        return stored
    description = stored["data"].get("description")
    if description:
        keep_wish_text(db, stream_id.split("-", 1)[1], description)
    return {**stored, "schema_version": CURRENT_VERSIONS[WISH_POSTED],
            "data": upcast(WISH_POSTED, stored["schema_version"], stored["data"])}


def current_message(envelope: dict[str, Any]) -> dict[str, Any]:
    """A WishPosted of version 1 waiting in a queue, without its description."""
    version = envelope.get("schema_version")
    if envelope.get("type") != WISH_POSTED or not isinstance(version, int) or (
            version >= CURRENT_VERSIONS[WISH_POSTED]):
        return envelope
    return {**envelope, "schema_version": CURRENT_VERSIONS[WISH_POSTED],
            "data": upcast(WISH_POSTED, version, envelope.get("data") or {})}
