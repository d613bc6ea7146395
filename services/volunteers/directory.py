"""A replica of who may serve, for services that consume the volunteers service's events.

Branches (members) and activities (sign-ups) must know whether a volunteer is verified,
suspended or withdrawn, and which teams they are in, without reading the volunteers
database. They keep this replica in their own database, fed through their inbox (which
applies each volunteer's events once and in order).

A volunteer's facts live in one document keyed by the volunteer's stream, which is also
that stream's inbox cursor (`VOLUNTEER_DIRECTORY`, an `InboxLayout`): an event's facts
and its version are one conditional write that only moves forward, so a batch of
registrations is one insert and needs no claims. Team memberships are documents of their
own, written at once per batch (`DirectoryWrites`).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nameko.timer import timer
from pymongo import DeleteOne, ReplaceOne
from pymongo.database import Database

from yinfa.events.envelope import RecordedEvent
from yinfa.messaging.inbox import CarriedByCursor, Inbox, InboxLayout
from yinfa.service.dependencies import InboxProvider
from yinfa.service.subscriptions import every_event_of

SOURCE = "volunteers"
WANTED = frozenset({
    "VolunteerRegistered", "VolunteerVerified", "VolunteerSuspended", "VolunteerReinstated",
    "VolunteerWithdrawn", "VolunteerJoinedTeam", "VolunteerLeftTeam", "VolunteerErased",
})
COLLECTION = "volunteer_directory"  # a volunteer's facts, and every stream's cursor
MEMBERSHIPS = "volunteer_directory_teams"
VOLUNTEER_STREAM = "volunteer-"

Membership = ReplaceOne | DeleteOne


def volunteer_key(volunteer_id: str) -> str:
    """The `_id` of a volunteer's directory document: the volunteer's stream id."""
    return VOLUNTEER_STREAM + volunteer_id


def volunteer_facts(event: RecordedEvent) -> Mapping[str, Any]:
    """The facts one event of a volunteer's stream sets (none for the types not used)."""
    if event.type == "VolunteerRegistered":
        data = event.data
        return {"county_code": data["county_code"], "registered": True}
    return {
        "VolunteerVerified": {"verified": True},
        "VolunteerSuspended": {"suspended": True},
        "VolunteerReinstated": {"suspended": False},
        "VolunteerWithdrawn": {"withdrawn": True},
        # the replica holds no personal data; an erased person serves no more
        "VolunteerErased": {"withdrawn": True, "erased": True},
    }.get(event.type, {})


VOLUNTEER_DIRECTORY = InboxLayout(
    cursors=COLLECTION, parked="volunteer_directory_parked",
    carried=CarriedByCursor(lambda stream_id: stream_id.startswith(VOLUNTEER_STREAM),
                            volunteer_facts))


def _membership_writes(team_id: str, event: RecordedEvent) -> list[Membership]:
    volunteer_id = event.data.get("volunteer_id")
    if not volunteer_id:
        return []
    key = {"_id": f"{team_id}:{volunteer_id}"}
    if event.type == "VolunteerJoinedTeam":
        member = {**key, "team_id": team_id, "volunteer_id": volunteer_id}
        return [ReplaceOne(key, member, upsert=True)]
    if event.type == "VolunteerLeftTeam":
        return [DeleteOne(key)]
    return []


class DirectoryWrites:
    """The membership writes of many events, made at once (`flush`) in one ordered bulk
    write. A volunteer's own facts are not written here: they ride on the stream's
    cursor (`VOLUNTEER_DIRECTORY`)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.memberships: list[Membership] = []

    def add(self, event: RecordedEvent) -> None:
        stream_kind, _, entity_id = event.stream_id.partition("-")
        if stream_kind == "team":
            self.memberships += _membership_writes(entity_id, event)

    def flush(self) -> None:
        memberships, self.memberships = self.memberships, []
        if memberships:
            self.db[MEMBERSHIPS].bulk_write(memberships, ordered=True)


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
        doc = self.volunteers.find_one({"_id": volunteer_key(volunteer_id)})
        if doc is None or not doc.get("registered"):
            return None
        for flag in ("withdrawn", "suspended", "verified"):
            if doc.get(flag):
                return flag
        return "registered"

    def county_of(self, volunteer_id: str) -> str | None:
        doc = self.volunteers.find_one({"_id": volunteer_key(volunteer_id)},
                                       {"county_code": 1})
        return None if doc is None else doc.get("county_code")

    def teams_of(self, volunteer_id: str) -> set[str]:
        return {m["team_id"] for m in self.memberships.find({"volunteer_id": volunteer_id})}


class KnowsVolunteers:
    """Mixin for a nameko service: keeps the directory replica fed from the volunteers
    service's events through its `inbox` (laid out for the replica), and sweeps events
    parked out of order."""

    inbox: Inbox = InboxProvider(layout=VOLUNTEER_DIRECTORY)

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
