"""Turning another service's `VolunteerServed` event into a ledger entry.

The entry id is derived from the source event id, so a redelivered or replayed event
finds its entry already on the ledger and records nothing twice.
"""
from __future__ import annotations

from typing import Any

from yinfa.events.envelope import RecordedEvent, derived_event_id


def hours_from_service(event: RecordedEvent) -> dict[str, Any]:
    data = event.data
    return {
        "volunteer_id": data["volunteer_id"],
        "entry_id": derived_event_id("volunteers.hours", event.event_id),
        "hours": data["hours"],
        "served_on": data["served_on"],
        "source": "activity",
        "activity_id": data.get("activity_id"),
    }
