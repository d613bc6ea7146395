"""A replica of who may serve, for services that consume the volunteers service's events.

Branches (members) and activities (sign-ups) must know whether a volunteer is verified,
suspended or withdrawn, and which teams they are in, without reading the volunteers
database. They keep this replica in their own database, fed through their inbox (which
applies each volunteer's events once and in order). Every write is a `$set` of a fact,
so applying an event twice changes nothing. A batch of events writes in one go
(`DirectoryWrites`).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from nameko.timer import timer
from pymongo import DeleteOne, ReplaceOne, UpdateOne
from pymongo.database import Database

from yinfa.events.envelope import RecordedEvent
from yinfa.messaging.inbox import Inbox
from yinfa.service.subscriptions import every_event_of

SOURCE = "volunteers"
WANTED = frozenset({
    "VolunteerRegistered", "VolunteerVerified", "VolunteerSuspended", "VolunteerReinstated",
    "VolunteerWithdrawn", "VolunteerJoinedTeam", "VolunteerLeftTeam",
})
COLLECTION = "volunteer_directory"
MEMBERSHIPS = "volunteer_directory_teams"

Write = UpdateOne | ReplaceOne | DeleteOne


def _volunteer_facts(event_type: str, data: Mapping[str, Any]) -> dict[str, Any] | None:
    if event_type == "VolunteerRegistered":
        return {"county_code": data["county_code"], "name": data["name"], "registered": True}
    return {
        "VolunteerVerified": {"verified": True},
        "VolunteerSuspended": {"suspended": True},
        "VolunteerReinstated": {"suspended": False},
        "VolunteerWithdrawn": {"withdrawn": True},
    }.get(event_type)


def _writes_for(event: RecordedEvent) -> list[tuple[str, Write]]:
    """What the event changes in the replica, as (collection, write) pairs."""
    stream_kind, _, entity_id = event.stream_id.partition("-")
    if stream_kind == "team":
        return _team_writes(entity_id, event)
    facts = _volunteer_facts(event.type, event.data)
    if facts is None:
        return []
    return [(COLLECTION, UpdateOne({"_id": entity_id}, {"$set": facts}, upsert=True))]


def _team_writes(team_id: str, event: RecordedEvent) -> list[tuple[str, Write]]:
    volunteer_id = event.data.get("volunteer_id")
    if not volunteer_id:
        return []
    key = {"_id": f"{team_id}:{volunteer_id}"}
    if event.type == "VolunteerJoinedTeam":
        member = {**key, "team_id": team_id, "volunteer_id": volunteer_id}
        return [(MEMBERSHIPS, ReplaceOne(key, member, upsert=True))]
    if event.type == "VolunteerLeftTeam":
        return [(MEMBERSHIPS, DeleteOne(key))]
    return []


class DirectoryWrites:
    """The replica's writes for many events, made in one ordered bulk write per collection
    (`flush`). An event that cannot be read adds nothing."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.pending: dict[str, list[Write]] = defaultdict(list)

    def add(self, event: RecordedEvent) -> None:
        for collection, write in _writes_for(event):
            self.pending[collection].append(write)

    def flush(self) -> None:
        pending, self.pending = self.pending, defaultdict(list)
        for collection, writes in pending.items():
            self.db[collection].bulk_write(writes, ordered=True)


class VolunteerDirectory:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.volunteers = db[COLLECTION]
        self.memberships = db[MEMBERSHIPS]

    def apply(self, event: RecordedEvent) -> None:
        writes = self.writes()
        writes.add(event)
        writes.flush()

    def writes(self) -> DirectoryWrites:
        return DirectoryWrites(self.db)

    def status(self, volunteer_id: str) -> str | None:
        """None if unknown; else withdrawn, suspended, verified or registered."""
        doc = self.volunteers.find_one({"_id": volunteer_id})
        if doc is None or not doc.get("registered"):
            return None
        for flag in ("withdrawn", "suspended", "verified"):
            if doc.get(flag):
                return flag
        return "registered"

    def county_of(self, volunteer_id: str) -> str | None:
        doc = self.volunteers.find_one({"_id": volunteer_id}, {"county_code": 1})
        return None if doc is None else doc.get("county_code")

    def teams_of(self, volunteer_id: str) -> set[str]:
        return {m["team_id"] for m in self.memberships.find({"volunteer_id": volunteer_id})}


class KnowsVolunteers:
    """Mixin for a nameko service with an `inbox`: keeps the directory replica fed from
    the volunteers service's events, and sweeps events parked out of order."""

    inbox: Inbox

    @every_event_of(SOURCE, batched=True)
    def on_volunteers_event(self, payloads: list[dict[str, Any]]) -> list[str]:
        writes = self._directory().writes()  # the batch's replica writes, made at once
        return self.inbox.handle_batch(payloads, writes.add, WANTED.__contains__,
                                       flush=writes.flush)

    @timer(interval=5)
    def sweep_parked_volunteer_events(self) -> None:
        self.inbox.sweep(self._learn)

    def _learn(self, event: RecordedEvent) -> None:
        self._directory().apply(event)

    def _directory(self) -> VolunteerDirectory:
        return VolunteerDirectory(self.inbox.db)
