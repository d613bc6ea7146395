"""A replica of who may serve, for services that consume the volunteers service's events.

Branches (members) and activities (sign-ups) must know whether a volunteer is verified,
suspended or withdrawn, and which teams they are in, without reading the volunteers
database. They keep this replica in their own database, fed through their inbox (which
applies each volunteer's events once and in order). Every write is a `$set` of a fact,
so applying an event twice changes nothing. A batch of events writes in one go
(`DirectoryWrites`): a registration is an insert, cheaper on the store than an upsert.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nameko.timer import timer
from pymongo import DeleteOne, ReplaceOne, UpdateOne
from pymongo.database import Database

from yinfa.events.envelope import RecordedEvent
from yinfa.messaging.inbox import Inbox
from yinfa.service.subscriptions import every_event_of
from yinfa.store.new_documents import insert_new

SOURCE = "volunteers"
WANTED = frozenset({
    "VolunteerRegistered", "VolunteerVerified", "VolunteerSuspended", "VolunteerReinstated",
    "VolunteerWithdrawn", "VolunteerJoinedTeam", "VolunteerLeftTeam",
})
COLLECTION = "volunteer_directory"
MEMBERSHIPS = "volunteer_directory_teams"

Membership = ReplaceOne | DeleteOne
Facts = dict[str, Any]

# With fewer volunteers than this in a flush, the read of which exist costs the store more
# than turning upserts into inserts saves (nx-27017, measured: even near 24 documents).
READ_FIRST_FROM = 24


def _volunteer_facts(event_type: str, data: Mapping[str, Any]) -> Facts | None:
    if event_type == "VolunteerRegistered":
        return {"county_code": data["county_code"], "name": data["name"], "registered": True}
    return {
        "VolunteerVerified": {"verified": True},
        "VolunteerSuspended": {"suspended": True},
        "VolunteerReinstated": {"suspended": False},
        "VolunteerWithdrawn": {"withdrawn": True},
    }.get(event_type)


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


def _set_facts(volunteer_id: str, facts: Facts) -> UpdateOne:
    return UpdateOne({"_id": volunteer_id}, {"$set": facts}, upsert=True)


class DirectoryWrites:
    """The replica's writes for many events, made at once (`flush`). Each volunteer's
    facts are merged in the order of its events, as `$set`s one after the other would
    leave them, and written in one write: an insert for a volunteer the replica does not
    hold yet (a registration), else a `$set`. Memberships go in one ordered bulk write.
    An event that cannot be read adds nothing."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.facts: dict[str, Facts] = {}
        self.memberships: list[Membership] = []

    def add(self, event: RecordedEvent) -> None:
        stream_kind, _, entity_id = event.stream_id.partition("-")
        if stream_kind == "team":
            self.memberships += _membership_writes(entity_id, event)
            return
        facts = _volunteer_facts(event.type, event.data)
        if facts is not None:
            self.facts.setdefault(entity_id, {}).update(facts)

    def flush(self) -> None:
        facts, self.facts = self.facts, {}
        memberships, self.memberships = self.memberships, []
        if facts:
            self._write_facts(facts)
        if memberships:
            self.db[MEMBERSHIPS].bulk_write(memberships, ordered=True)

    def _write_facts(self, facts: dict[str, Facts]) -> None:
        """Inserts for the volunteers not stored, `$set`s for the others. A volunteer that
        another writer stored between the read and the insert is refused by the insert and
        gets the `$set` instead: what it would have had without the read."""
        volunteers = self.db[COLLECTION]
        updated = list(facts)
        if len(facts) >= READ_FIRST_FROM:
            stored = {doc["_id"] for doc in volunteers.find(  # in one batch: one round trip
                {"_id": {"$in": list(facts)}}, {"_id": 1}, batch_size=len(facts))}
            refused = insert_new(volunteers, [{"_id": volunteer_id, **facts[volunteer_id]}
                                              for volunteer_id in facts
                                              if volunteer_id not in stored])
            updated = [v for v in facts if v in stored] + [doc["_id"] for doc in refused]
        if updated:
            volunteers.bulk_write([_set_facts(v, facts[v]) for v in updated], ordered=False)


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
