"""The public form of the platform's events: what may leave it for partner agencies.

The public log keeps, per event type, only the fields named here (a whitelist, never a
blacklist): facts without free text, so nothing a person typed (a note, a reason, a
description) and no personal data can leave. A profile (profiles.py) narrows it further.
Every public type has its own schema version; a change to a type's public fields is a
new version, documented in docs/feeds.md.

An entry of the log, as a partner sees it:

    {"position": 42, "event_id": "…", "type": "HoursRecorded", "schema_version": 1,
     "stream": "volunteer-…", "stream_version": 7, "occurred_at": "…", "data": {…}}
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, fields

from yinfa.events.registry import SchemaRegistry

# event type -> (the source service, the schema version of its public form, its fields)
PUBLIC: dict[str, tuple[str, int, tuple[str, ...]]] = {
    # volunteers
    "VolunteerRegistered": ("volunteers", 1, ("county_code", "retirement_status",
                                              "party_member", "skills")),
    "VolunteerVerified": ("volunteers", 1, ("county_code",)),
    "VolunteerSuspended": ("volunteers", 1, ()),
    "VolunteerReinstated": ("volunteers", 1, ()),
    "VolunteerWithdrawn": ("volunteers", 1, ("reason_code",)),
    "VolunteerReturned": ("volunteers", 1, ()),  # the reason is free text
    # which fields, on what authority; the values are personal data, never in an event
    "VolunteerRecordCorrected": ("volunteers", 1, ("fields_corrected", "authority")),
    "VolunteerErased": ("volunteers", 1, ("erased_on",)),
    # merging duplicates: which record went into which, which entries count for the
    # survivor and which once; never the reason (free text). The survivor's
    # VolunteerRecordsMerged / VolunteerRecordsUnmerged repeat it and are not public.
    "VolunteerMergedInto": ("volunteers", 1, ("merge_id", "survivor_id", "merged_at",
                                              "moved", "duplicates")),
    "VolunteerMergeUndone": ("volunteers", 1, ("merge_id", "survivor_id")),
    # moving between cities: the cities and counties, the hours and level carried; not
    # the carried history's details
    "VolunteerTransferredOut": ("volunteers", 1, ("to_city", "county_code")),
    "VolunteerTransferredIn": ("volunteers", 1, ("from_city", "county_code",
                                                 "carried_hours", "star_level")),
    # transfers between counties: the counties, the steps and their reason codes (catalog
    # codes, never free text)
    "VolunteerTransferRequested": ("volunteers", 1, ("transfer_id", "from_county",
                                                     "to_county", "to_city", "reason_code")),
    "VolunteerTransferAccepted": ("volunteers", 1, ("transfer_id", "decided_by")),
    "VolunteerTransferDeclined": ("volunteers", 1, ("transfer_id", "decided_by",
                                                    "reason_code")),
    "VolunteerTransferCancelled": ("volunteers", 1, ("transfer_id", "cancelled_by")),
    "VolunteerTransferred": ("volunteers", 1, ("transfer_id", "from_county", "to_county",
                                               "to_city", "effective_at")),
    "HoursRecorded": ("volunteers", 1, ("entry_id", "hours", "served_on", "source",
                                        "activity_id")),
    "HoursCorrected": ("volunteers", 1, ("entry_id", "hours", "previous_hours")),
    "StarLevelChanged": ("volunteers", 1, ("from_level", "to_level", "total_hours")),
    "StarLevelApproved": ("volunteers", 1, ("level", "authority")),
    "StarLevelReturned": ("volunteers", 1, ("level", "authority")),  # not the reason
    "TeamCreated": ("volunteers", 1, ("name", "category", "county_code")),
    "VolunteerJoinedTeam": ("volunteers", 1, ("volunteer_id",)),
    "VolunteerLeftTeam": ("volunteers", 1, ("volunteer_id",)),
    "VolunteerMovedTeam": ("volunteers", 1, ("volunteer_id", "from_team_id", "to_team_id",
                                             "side")),
    # branches
    "BranchEstablished": ("branches", 1, ("name", "branch_type", "level", "county_code",
                                          "parent_id", "established_on")),
    "BranchRenamed": ("branches", 1, ("name",)),
    "BranchMerged": ("branches", 1, ("into_branch_id", "merged_on")),
    "BranchDissolved": ("branches", 1, ("dissolved_on",)),
    "CertificationGranted": ("branches", 1, ("level", "previous_level", "granted_on",
                                             "valid_until")),
    "CertificationRevoked": ("branches", 1, ("level", "revoked_on")),
    "CertificationExpired": ("branches", 1, ("level", "valid_until")),
    "BrandSelected": ("branches", 1, ("year", "rank", "top_n")),
    # activities
    "ActivityPublished": ("activities", 1, ("theme", "kind", "title", "county_code",
                                            "starts_at", "ends_at", "capacity")),
    "ActivityCancelled": ("activities", 1, ()),
    "VolunteerSignedUp": ("activities", 1, ("volunteer_id",)),
    "VolunteerCheckedIn": ("activities", 1, ("volunteer_id",)),
    "ActivityCompleted": ("activities", 1, ("volunteers_credited", "total_hours",
                                            "audience_reached", "beneficiaries", "endorsed")),
    "WishPosted": ("activities", 1, ("county_code", "category")),  # the label names a person
    "WishFulfilled": ("activities", 1, ()),
    "WishConfirmed": ("activities", 1, ()),
    "WishExpired": ("activities", 1, ()),
}

SOURCES = ("volunteers", "branches", "activities")
PUBLIC_TYPES = frozenset(PUBLIC)
VOLUNTEER_STREAM = "volunteer-"
NAME_FIELD = "volunteer_name"  # added from the volunteers service where a profile allows


def types_of(source: str) -> frozenset[str]:
    return frozenset(t for t, (of, _, _) in PUBLIC.items() if of == source)


def fields_of(event_type: str) -> tuple[str, ...]:
    return PUBLIC[event_type][2]


def schema_version_of(event_type: str) -> int:
    return PUBLIC[event_type][1]


def public_data(event_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The whitelisted fields of an event's data (absent ones are null)."""
    return {name: data.get(name) for name in fields_of(event_type)}


def volunteer_of(stream: str, data: Mapping[str, Any]) -> str | None:
    """The volunteer an entry is about: its stream's, or the one its data names."""
    if stream.startswith(VOLUNTEER_STREAM):
        return stream[len(VOLUNTEER_STREAM):]
    named = data.get("volunteer_id")
    return named if isinstance(named, str) else None


def _schema(event_type: str) -> type[Schema]:
    """The public form's schema: exactly the whitelisted fields; any other is refused
    (marshmallow's default, `RAISE`)."""
    return Schema.from_dict({name: fields.Raw(allow_none=True)
                             for name in fields_of(event_type)}, name=f"{event_type}Public")


def build_registry() -> SchemaRegistry:
    """The public log's registry: a field outside the whitelist cannot be appended."""
    return SchemaRegistry().register_module(
        {(event_type, version): _schema(event_type)
         for event_type, (_, version, _) in PUBLIC.items()})
