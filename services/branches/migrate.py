"""Personal data out of the branches service's log (part of `yinfa migrate personal-data`):
names of officers, applicants and reviewers in events of version 1 are sealed
(`dependencies.py`) and the events rewritten at version 2 with references; the views are
folded again from the rewritten events."""
from __future__ import annotations

from typing import Any

from pymongo.database import Database

from contracts.branches.events import CURRENT_VERSIONS, NAMED_FIELDS, upcast
from contracts.branches.streams import build_registry
from services.branches import dependencies as people
from services.branches.directory import unnamed_directory
from services.branches.views import VIEWS
from yinfa.projections import Projector
from yinfa.store.event_store import EventStore
from yinfa.store.rewrite import rewrite_stored_events


def migrate(db: Database) -> dict[str, int]:
    rewritten = rewrite_stored_events(db["commits"], lambda _, stored: _current(db, stored))
    if rewritten:
        Projector(EventStore(db, build_registry()), VIEWS, db).rebuild()
    return {"branch_commits": rewritten, "branches_directory": unnamed_directory(db)}


def _current(db: Database, stored: dict[str, Any]) -> dict[str, Any]:
    named = NAMED_FIELDS.get(stored["type"])
    if named is None or stored["schema_version"] >= CURRENT_VERSIONS[stored["type"]]:
        return stored
    data = {key: value for key, value in stored["data"].items() if key not in named}
    data.update({f"{name}_ref": people.refer(db, stored["data"].get(name))
                 for name in named if name in stored["data"]})
    return {**stored, "schema_version": CURRENT_VERSIONS[stored["type"]], "data": data}


def current_message(envelope: dict[str, Any]) -> dict[str, Any]:
    """An event as a message carried it, upcast past the versions that named people (in a
    queue, names are dropped rather than sealed: the stored event keeps the reference)."""
    event_type = envelope.get("type", "")
    version = envelope.get("schema_version")
    if event_type not in NAMED_FIELDS or not isinstance(version, int) or (
            version >= CURRENT_VERSIONS[event_type]):
        return envelope
    return {**envelope, "schema_version": CURRENT_VERSIONS[event_type],
            "data": upcast(event_type, version, envelope.get("data") or {})}
