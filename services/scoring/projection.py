"""Scoring's store: the facts of each county as one document, and which county each source
stream counts for (for the events that carry no `county_code`).

`apply` is what the inbox calls, once per event and in stream order: resolve the county,
load that county's facts, fold the event in (`domain.facts.apply`), save. Within a process
a lock per county makes workers take turns; across instances the save is a replace guarded
by the document's version, retried on conflict.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.scoring.domain import facts as domain
from services.scoring.domain.facts import CountyFacts
from yinfa.errors import ConcurrencyError
from yinfa.events.envelope import RecordedEvent
from yinfa.service.dependencies import StreamLocks

FACTS = "county_facts"
STREAM_COUNTIES = "stream_counties"
SAVE_RETRIES = 30
BRANCH_SIDE_STREAMS = frozenset({"certification", "brand"})

_locks = StreamLocks()


def to_document(f: CountyFacts) -> dict[str, Any]:
    """Lists of pairs rather than sub-documents: entity ids never become field names."""
    return {
        "volunteers": [[k, v] for k, v in sorted(f.volunteers.items())],
        "hour_entries": [[k, vid, str(h), day.isoformat()]
                         for k, (vid, h, day) in sorted(f.hour_entries.items())],
        "formal_branches": [[k, v] for k, v in sorted(f.formal_branches.items())],
        "certifications": [[k, v] for k, v in sorted(f.certifications.items())],
        "activities": [[k, theme, day.isoformat()]
                       for k, (theme, day) in sorted(f.activities.items())],
        "completed": sorted(f.completed),
        "audience": [[k, v] for k, v in sorted(f.audience.items())],
        "endorsed": [[k, v] for k, v in sorted(f.endorsed.items())],
        "wishes_fulfilled": [[k, s, day.isoformat()]
                             for k, (s, day) in sorted(f.wishes_fulfilled.items())],
    }


def from_document(county_code: str, doc: Mapping[str, Any] | None) -> CountyFacts:
    f = CountyFacts(county_code)
    if not doc:
        return f
    f.volunteers = {k: bool(v) for k, v in doc.get("volunteers", [])}
    f.hour_entries = {k: (vid, Decimal(h), date.fromisoformat(day))
                      for k, vid, h, day in doc.get("hour_entries", [])}
    f.formal_branches = {k: bool(v) for k, v in doc.get("formal_branches", [])}
    f.certifications = {k: v for k, v in doc.get("certifications", [])}
    f.activities = {k: (theme, date.fromisoformat(day))
                    for k, theme, day in doc.get("activities", [])}
    f.completed = set(doc.get("completed", []))
    f.audience = {k: int(v) for k, v in doc.get("audience", [])}
    f.endorsed = {k: bool(v) for k, v in doc.get("endorsed", [])}
    f.wishes_fulfilled = {k: (int(s), date.fromisoformat(day))
                          for k, s, day in doc.get("wishes_fulfilled", [])}
    return f


class ScoringFacts:
    def __init__(self, db: Database) -> None:
        self.facts = db[FACTS]
        self.stream_counties = db[STREAM_COUNTIES]

    # ---- writing -------------------------------------------------------------------

    def apply(self, event: RecordedEvent) -> None:
        """Fold one source event in. UnknownCounty (not an infrastructure error) makes the
        inbox dead-letter the event with the reason."""
        county = event.data.get("county_code")
        if county:
            self.stream_counties.update_one(
                {"_id": event.stream_id}, {"$set": {"county_code": county}}, upsert=True)
        if event.type not in domain.HANDLERS:
            return
        county = county or self.county_of(event.stream_id)
        if not county:
            raise domain.UnknownCounty(event.type, event.stream_id)
        with _locks.holding(county):
            for _ in range(SAVE_RETRIES):
                if self._apply_to(county, event):
                    return
        raise ConcurrencyError(f"county {county}: facts changed under {SAVE_RETRIES} tries")

    def _apply_to(self, county: str, event: RecordedEvent) -> bool:
        doc = self.facts.find_one({"_id": county})
        version = 0 if doc is None else int(doc["version"])
        by_county = {county: from_document(county, doc)}
        domain.apply(by_county, event.type, event.data, event.stream_id, lambda _: county)
        new = {"_id": county, "version": version + 1, **to_document(by_county[county])}
        if doc is None:
            try:
                self.facts.insert_one(new)
                return True
            except DuplicateKeyError:
                return False
        result = self.facts.replace_one({"_id": county, "version": version}, new)
        return result.matched_count == 1

    # ---- reading -------------------------------------------------------------------

    def county_of(self, stream_id: str) -> str | None:
        """The county a stream's registration-like event named; a branch's certification
        and brand streams count for the county of the branch itself."""
        doc = self.stream_counties.find_one({"_id": stream_id})
        if doc is None:
            kind, _, entity = stream_id.partition("-")
            if kind in BRANCH_SIDE_STREAMS and entity:
                doc = self.stream_counties.find_one({"_id": f"branch-{entity}"})
        return None if doc is None else doc.get("county_code")

    def all(self) -> dict[str, CountyFacts]:
        return {doc["_id"]: from_document(doc["_id"], doc) for doc in self.facts.find()}
