"""The activities service's replica of who may serve, from the volunteers service's
events: a volunteer's standing (verified, suspended, withdrawn) and team memberships,
for sign-ups and wish claims, without reading the volunteers database.

A volunteer's facts live in the document that is also the stream's inbox cursor (an
`InboxLayout` whose state rides on the cursor): an event's facts and its version are one
conditional write that only moves forward, so a batch of registrations is one insert and
needs no claims. Team memberships are documents of their own, written at once per batch.
"""
from __future__ import annotations

from typing import Any

from nameko.timer import timer
from pymongo import DeleteOne, ReplaceOne
from pymongo.database import Database

from contracts.volunteers.standing import (
    STANDING_EVENTS,
    TEAM_EVENTS,
    is_volunteer_stream,
    standing_facts,
    standing_of,
)
from contracts.volunteers.streams import volunteer_stream
from yinfa.events.envelope import RecordedEvent
from yinfa.messaging.inbox import CarriedByCursor, Inbox, InboxLayout
from yinfa.service.dependencies import InboxProvider
from yinfa.service.subscriptions import every_event_of

WANTED = STANDING_EVENTS | TEAM_EVENTS
COLLECTION = "volunteer_directory"  # a volunteer's facts, and every stream's cursor
MEMBERSHIPS = "volunteer_directory_teams"
VOLUNTEER_DIRECTORY = InboxLayout(
    cursors=COLLECTION, parked="volunteer_directory_parked",
    carried=CarriedByCursor(is_volunteer_stream, standing_facts))


class DirectoryWrites:
    """The membership writes of many events, made at once (`flush`) in one ordered bulk
    write. A volunteer's own facts ride on the stream's cursor instead."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.memberships: list[ReplaceOne | DeleteOne] = []

    def add(self, event: RecordedEvent) -> None:
        stream_kind, _, team_id = event.stream_id.partition("-")
        volunteer_id = event.data.get("volunteer_id")
        if stream_kind != "team" or not volunteer_id:
            return
        key = {"_id": f"{team_id}:{volunteer_id}"}
        side = event.data.get("side") if event.type == "VolunteerMovedTeam" else None
        if event.type == "VolunteerJoinedTeam" or side == "in":
            member = {**key, "team_id": team_id, "volunteer_id": volunteer_id}
            self.memberships.append(ReplaceOne(key, member, upsert=True))
        elif event.type == "VolunteerLeftTeam" or side == "out":
            self.memberships.append(DeleteOne(key))

    def flush(self) -> None:
        memberships, self.memberships = self.memberships, []
        if memberships:
            self.db[MEMBERSHIPS].bulk_write(memberships, ordered=True)


def unnamed_directory(db: Database) -> int:
    """`yinfa migrate personal-data`: names an older replica kept are dropped."""
    return db[COLLECTION].update_many({"name": {"$exists": True}},
                                      {"$unset": {"name": ""}}).modified_count


class VolunteerDirectory:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.volunteers = db[COLLECTION]
        self.memberships = db[MEMBERSHIPS]

    def status(self, volunteer_id: str) -> str | None:
        """None if unknown; else withdrawn, suspended, verified or registered."""
        return standing_of(self.volunteers.find_one({"_id": volunteer_stream(volunteer_id)}))

    def insured(self, volunteer_id: str) -> bool:
        """Whether the volunteer's accident insurance is in place, as last declared."""
        facts = self.volunteers.find_one({"_id": volunteer_stream(volunteer_id)},
                                         {"insured": 1})
        return bool(facts and facts.get("insured"))

    def uninsured_among(self, volunteer_ids: list[str]) -> set[str]:
        """Which of these volunteers have no insurance in place (unknown ones too)."""
        insured = {doc["_id"] for doc in self.volunteers.find(
            {"_id": {"$in": [volunteer_stream(v) for v in volunteer_ids]}, "insured": True},
            {"_id": 1})}
        return {v for v in volunteer_ids if volunteer_stream(v) not in insured}

    def teams_of(self, volunteer_id: str) -> set[str]:
        return {m["team_id"] for m in self.memberships.find({"volunteer_id": volunteer_id})}


class KnowsVolunteers:
    """Mixin for the service: keeps the replica fed from the volunteers service's events
    through its `inbox` (laid out for the replica), and sweeps events parked out of order."""

    inbox: Inbox = InboxProvider(layout=VOLUNTEER_DIRECTORY, source="volunteers")

    @every_event_of("volunteers")
    def on_volunteers_event(self, payloads: list[dict[str, Any]]) -> list[str]:
        writes = DirectoryWrites(self.inbox.db)  # the batch's replica writes, made at once
        return self.inbox.handle(payloads, writes.add, WANTED.__contains__, writes.flush)

    @timer(interval=5)
    def sweep_parked_volunteer_events(self) -> None:
        writes = DirectoryWrites(self.inbox.db)
        self.inbox.sweep(writes.add, WANTED.__contains__, writes.flush)

    def _directory(self) -> VolunteerDirectory:
        return VolunteerDirectory(self.inbox.db)
