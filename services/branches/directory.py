"""The branches service's replica of who may join a branch, from the volunteers
service's events: a volunteer's standing and county, without reading the volunteers
database. A volunteer's facts live in the document that is also the stream's inbox
cursor, so each event is one conditional write that only moves forward."""
from __future__ import annotations

from typing import Any

from nameko.timer import timer
from pymongo.database import Database

from contracts.volunteers.standing import (
    STANDING_EVENTS,
    is_volunteer_stream,
    standing_facts,
    standing_of,
)
from contracts.volunteers.streams import volunteer_stream
from yinfa.messaging.inbox import CarriedByCursor, Inbox, InboxLayout
from yinfa.service.dependencies import InboxProvider
from yinfa.service.subscriptions import every_event_of

COLLECTION = "volunteer_directory"  # a volunteer's facts, and every stream's cursor
VOLUNTEER_DIRECTORY = InboxLayout(
    cursors=COLLECTION, parked="volunteer_directory_parked",
    carried=CarriedByCursor(is_volunteer_stream, standing_facts))


def unnamed_directory(db: Database) -> int:
    """`yinfa migrate personal-data`: names an older replica kept are dropped."""
    return db[COLLECTION].update_many({"name": {"$exists": True}},
                                      {"$unset": {"name": ""}}).modified_count


class VolunteerDirectory:
    def __init__(self, db: Database) -> None:
        self.volunteers = db[COLLECTION]

    def status(self, volunteer_id: str) -> str | None:
        """None if unknown; else withdrawn, suspended, verified or registered."""
        return standing_of(self.volunteers.find_one({"_id": volunteer_stream(volunteer_id)}))

    def county_of(self, volunteer_id: str) -> str | None:
        doc = self.volunteers.find_one({"_id": volunteer_stream(volunteer_id)},
                                       {"county_code": 1})
        return None if doc is None else doc.get("county_code")


def _facts_only(_event: Any) -> None:
    """A volunteer's facts ride on the cursor: nothing else is written."""


class KnowsVolunteers:
    """Mixin for the service: keeps the replica fed from the volunteers service's events
    through its `inbox` (laid out for the replica), and sweeps events parked out of order."""

    inbox: Inbox = InboxProvider(layout=VOLUNTEER_DIRECTORY, source="volunteers")

    @every_event_of("volunteers")
    def on_volunteers_event(self, payloads: list[dict[str, Any]]) -> list[str]:
        return self.inbox.handle(payloads, _facts_only, STANDING_EVENTS.__contains__)

    @timer(interval=5)
    def sweep_parked_volunteer_events(self) -> None:
        self.inbox.sweep(_facts_only, STANDING_EVENTS.__contains__)

    def _directory(self) -> VolunteerDirectory:
        return VolunteerDirectory(self.inbox.db)
