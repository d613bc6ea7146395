"""Ledger entries from the activities service's completion events.

`ActivityCompleted` lists who served and how long, each line with the entry id of that
volunteer's ledger entry for the activity; `CompletionCorrected` corrects those entries
(or adds one). Recording an entry that is on the ledger already, or correcting an entry
to the hours it already has, is a repeat and changes nothing: a redelivered or replayed
event never counts twice.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from contracts.volunteers.commands import CorrectHours, RecordHours
from yinfa.events.envelope import RecordedEvent

COMPLETED, CORRECTED = "ActivityCompleted", "CompletionCorrected"


def ledger_commands(event: RecordedEvent) -> Iterator[tuple[type, dict[str, Any]]]:
    """(command schema, payload) pairs for the volunteers' command handlers."""
    activity_id = event.stream_id.split("-", 1)[1]
    if event.type == COMPLETED:
        for line in event.data.get("served", []):
            yield RecordHours, _entry(line, activity_id)
    elif event.type == CORRECTED:
        for line in event.data.get("corrections", []):
            if line.get("new_entry"):
                yield RecordHours, _entry(line, activity_id)
            else:
                yield CorrectHours, {
                    "volunteer_id": line["volunteer_id"],
                    "entry_id": line["entry_id"],
                    "hours": line["hours"],
                    "reason": event.data["reason"],
                }


def _entry(line: dict[str, Any], activity_id: str) -> dict[str, Any]:
    return {
        "volunteer_id": line["volunteer_id"],
        "entry_id": line["entry_id"],
        "hours": line["hours"],
        "served_on": line["served_on"],
        "source": "activity",
        "activity_id": activity_id,
    }
