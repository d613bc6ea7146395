"""Reads of transfers between counties, from the transfers view."""
from __future__ import annotations

from typing import Any

from pymongo.database import Database

from services.volunteers.transfer_view import PENDING
from yinfa.errors import NotFound

SIDES = ("sending", "receiving")
FIELD_OF_SIDE = {"sending": "from_county", "receiving": "to_county"}
_HIDDEN = {"_id": 0}


def get_transfer(db: Database, transfer_id: str) -> dict[str, Any]:
    doc = db["transfer_view"].find_one({"transfer_id": transfer_id}, _HIDDEN)
    if doc is None:
        raise NotFound("no such transfer", field="transfer_id")
    return doc


def list_transfers(db: Database, county_code: str | None = None, side: str | None = None,
                   status: str | None = None, limit: int = 100, offset: int = 0
                   ) -> dict[str, Any]:
    """Transfers of a county, as the sending or receiving side (or either); by default
    those under way, oldest request first."""
    query: dict[str, Any] = {"status": status} if status else {"status": {"$in": PENDING}}
    queries = [query]
    if county_code is not None:  # the city's list names no county: a side means nothing
        queries = [{**query, FIELD_OF_SIDE[s]: county_code} for s in ([side] if side else SIDES)]
    found = {doc["transfer_id"]: doc for q in queries
             for doc in db["transfer_view"].find(q, _HIDDEN)}
    ordered = sorted(found.values(), key=lambda doc: (doc["requested_at"], doc["transfer_id"]))
    return {"total": len(ordered), "items": ordered[offset:offset + limit]}
