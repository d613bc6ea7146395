"""Imports of partners' files: the kinds of record, their columns, and the outcomes.

A file holds one kind of record, one per row (CSV, XLSX) or line (JSON lines), each
with the partner's own `external_id`: an import is idempotent by (source, kind, external
id), so the same file imported twice, or an import cut short and run again, creates
nothing twice. The services check the records themselves (the volunteers' roster
registration and hours ledger, the activities' publication): a row they refuse is
reported with its line and their reason, and the import goes on.
"""
from __future__ import annotations

KINDS = ("volunteers", "hours", "activities")
# the columns of which a row names exactly one: an hours row names the volunteer by the id
# the feed gives or by ID number (looked up, never reported or kept)
ONE_OF: dict[str, tuple[str, ...]] = {"hours": ("volunteer_id", "id_number")}
EXTERNAL_ID = "external_id"

# kind -> (required columns, optional columns), external_id first
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "volunteers": (
        (EXTERNAL_ID, "name", "gender", "birth_year", "id_number", "phone", "county_code",
         "retirement_status"),
        ("party_member", "former_employer", "branch_id", "skills", "insurance"),
    ),
    "hours": (
        (EXTERNAL_ID, "hours", "served_on"),
        ("volunteer_id", "id_number", "activity_id"),
    ),
    "activities": (
        (EXTERNAL_ID, "theme", "kind", "title", "county_code", "place", "starts_at",
         "ends_at", "capacity"),
        ("description",),
    ),
}

FORMATS = ("csv", "xlsx", "jsonl")
ACCEPTED, REJECTED = "accepted", "rejected"
RECEIVING, QUEUED, RUNNING, DONE, REFUSED = "receiving", "queued", "running", "done", "refused"
