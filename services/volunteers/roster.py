"""Registering many volunteers at once (a roster import from a partner or county bureau).

Each item is judged on its own, exactly as `handlers.register` judges one: the command
schema, then the domain's `volunteer.register`. What costs store round trips is done for
the whole roster at once: one query for the streams that exist, one insert of the new
streams' commits, one insert of the personal data, one refresh of their views.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from contracts.volunteers import commands
from contracts.volunteers.catalog import load_volunteer_catalog
from contracts.volunteers.streams import volunteer_stream
from services.volunteers import personal
from services.volunteers.domain import volunteer
from yinfa import failpoints
from yinfa.errors import ValidationFailed
from yinfa.events.envelope import NewEvent
from yinfa.service.dependencies import EventSourcedStreams

CREATED, EXISTS, INVALID, REFUSED = "created", "exists", "invalid", "refused"


@dataclass
class Item:
    index: int
    command: dict[str, Any]
    volunteer_id: str
    events: list[NewEvent]


def register_many(streams: EventSourcedStreams, payloads: Sequence[Any]
                  ) -> list[dict[str, Any]]:
    """One result per payload, in order: {index, status, volunteer_id?, errors?}."""
    results: dict[int, dict[str, Any]] = {}
    candidates = _valid_items(payloads, results)
    existing = streams.store.existing_streams(volunteer_stream(i.volunteer_id)
                                              for i in candidates)
    decided, catalog = [], load_volunteer_catalog()
    for item in candidates:
        if volunteer_stream(item.volunteer_id) in existing:
            results[item.index] = _result(item.index, EXISTS, item.volunteer_id)
            continue
        item.events = volunteer.register(None, item.command, catalog)  # a new stream
        decided.append(item)
    # personal data first (kept only where none is): a kill before the commits leaves
    # data that the rerun finds, never a registered person without it
    personal.keep_many(streams.views, [
        (i.volunteer_id, i.command) for i in decided])
    failpoints.hit("roster.after_personal_data")
    recorded = streams.start_streams(
        [(volunteer_stream(i.volunteer_id), i.events) for i in decided])
    failpoints.hit("roster.after_commits")
    for item, events in zip(decided, recorded, strict=True):
        status = CREATED if events else EXISTS  # None: registered meanwhile by another
        results[item.index] = _result(item.index, status, item.volunteer_id)
    return [results[index] for index in range(len(payloads))]


def register_roster(streams: EventSourcedStreams, command: Mapping[str, Any],
                    within_county: str | None = None) -> dict[str, Any]:
    """Each item registered or answered on its own, in order. With `within_county`, a
    person registered in another county is answered refused."""
    results = register_many(streams, command["items"])
    if within_county is not None:
        results = refuse_other_counties(streams.views, results, within_county)
    return {"results": results, "created": sum(r["status"] == CREATED for r in results)}


def refuse_other_counties(db: Any, results: list[dict[str, Any]], county: str
                          ) -> list[dict[str, Any]]:
    """"exists" for a person of another county would tell a county bureau that someone
    it may not see is registered: such items are answered "refused", like any item that
    names another county."""
    existing = [r["volunteer_id"] for r in results if r["status"] == EXISTS]
    elsewhere = {doc["volunteer_id"] for doc in db["volunteer_view"].find(
        {"volunteer_id": {"$in": existing}, "county_code": {"$ne": county}},
        {"volunteer_id": 1})} if existing else set()
    return [{"index": r["index"], "status": REFUSED,
             "errors": {"county_code": ["Not a county in your scope."]}}
            if r.get("volunteer_id") in elsewhere and r["status"] == EXISTS else r
            for r in results]


def _valid_items(payloads: Sequence[Any], results: dict[int, dict[str, Any]]) -> list[Item]:
    """Items that pass the command schema, each person once (a repeat is "exists")."""
    secret, schema = personal.id_secret(), commands.RegisterVolunteer()
    items: dict[str, Item] = {}
    for index, payload in enumerate(payloads):
        try:
            command = commands.load_command(schema, payload)
        except ValidationFailed as error:
            results[index] = _invalid(index, error.errors)
            continue
        volunteer_id = volunteer.volunteer_id_for(command["id_number"], secret)
        if volunteer_id in items:
            results[index] = _result(index, EXISTS, volunteer_id)
            continue
        items[volunteer_id] = Item(index, command, volunteer_id, [])
    return list(items.values())


def _result(index: int, status: str, volunteer_id: str) -> dict[str, Any]:
    return {"index": index, "status": status, "volunteer_id": volunteer_id}


def _invalid(index: int, errors: Mapping[str, Any]) -> dict[str, Any]:
    return {"index": index, "status": INVALID, "errors": dict(errors)}
