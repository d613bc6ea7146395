"""What the volunteers service's events say of a volunteer's standing, for the services
that keep a replica of who may serve (activities' sign-ups, branches' members).

Each consumer keeps its own replica in its own database; this module is the published
meaning of the events, so the consumers agree on it."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.volunteers.streams import VOLUNTEER_PREFIX
from yinfa.events.envelope import RecordedEvent

STANDING_EVENTS = frozenset({
    "VolunteerRegistered", "VolunteerVerified", "VolunteerSuspended", "VolunteerReinstated",
    "VolunteerWithdrawn", "VolunteerReturned", "VolunteerErased",
    "VolunteerProfileUpdated",  # accident insurance declared or lapsed
    "VolunteerMergedInto", "VolunteerMergeUndone",  # a duplicate merged, and undone
    "VolunteerTransferred",  # released to another county: the county changes
    "VolunteerTransferredOut",  # released to another city: serves here no more
    "VolunteerTransferredIn",  # from another city: a newcomer, or back on their record
})
TEAM_EVENTS = frozenset({"VolunteerJoinedTeam", "VolunteerLeftTeam",
                         "VolunteerMovedTeam"})  # moved: "side" says in or out


def is_volunteer_stream(stream_id: str) -> bool:
    return stream_id.startswith(VOLUNTEER_PREFIX)


def standing_facts(event: RecordedEvent) -> Mapping[str, Any]:
    """The facts one event of a volunteer's stream sets (none for the other types)."""
    if event.type == "VolunteerRegistered":
        return {"county_code": event.data["county_code"], "registered": True,
                "insured": bool(event.data.get("insurance"))}
    if event.type == "VolunteerProfileUpdated":  # insured: a sign-up's rule may ask for it
        return {"insured": event.data["insurance"]} if "insurance" in event.data else {}
    if event.type == "VolunteerTransferred":
        to_county = event.data.get("to_county")
        return {"county_code": to_county} if to_county else {}
    return {
        "VolunteerVerified": {"verified": True},
        "VolunteerSuspended": {"suspended": True},
        "VolunteerReinstated": {"suspended": False},
        "VolunteerWithdrawn": {"withdrawn": True},
        # back as they stood: verified and suspended are as the withdrawal left them
        "VolunteerReturned": {"withdrawn": False},
        # a replica holds no personal data; an erased person serves no more
        "VolunteerErased": {"withdrawn": True, "erased": True},
        # a duplicate merged into its survivor serves as the survivor only, until undone
        "VolunteerMergedInto": _merged(event, True),
        "VolunteerMergeUndone": _merged(event, False),
        # moved to another city: the record stays, read-only; nobody signs them up here
        "VolunteerTransferredOut": {"withdrawn": True},
        "VolunteerTransferredIn": {"withdrawn": False},
    }.get(event.type, {})



def _merged(event: RecordedEvent, merged: bool) -> dict[str, Any]:
    """A merged record's facts: merged, into which record and by which merge (none once
    undone): a consumer that carries the duplicate's belongings over names the merge."""
    return {"merged": merged, "merged_into": event.data.get("survivor_id") if merged else None,
            "merge_id": event.data.get("merge_id") if merged else None}

def standing_of(facts: Mapping[str, Any] | None) -> str | None:
    """None if unknown; else withdrawn, suspended, verified or registered."""
    if facts is None or not facts.get("registered"):
        return None
    if facts.get("merged"):
        return "withdrawn"  # the consumers' word for a record that serves no more
    for flag in ("withdrawn", "suspended", "verified"):
        if facts.get(flag):
            return flag
    return "registered"
