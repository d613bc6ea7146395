"""Events of merging two records of one person (a duplicate into a survivor), and of
undoing a merge. A merge is recorded on both streams: the duplicate's says where it went
and which of its ledger entries now count for the survivor (or not at all: an activity
both records were credited for counts once); the survivor's lists what it took over.
Only ids, hours and days: no personal data (the two records' personal data stay sealed,
each under its own id, so an undo finds both as they were).
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from yinfa.events.payloads import Hours, Id

VOLUNTEER_MERGED_INTO = "VolunteerMergedInto"  # on the duplicate's stream
VOLUNTEER_RECORDS_MERGED = "VolunteerRecordsMerged"  # on the survivor's stream
VOLUNTEER_MERGE_UNDONE = "VolunteerMergeUndone"  # on the duplicate's stream
VOLUNTEER_RECORDS_UNMERGED = "VolunteerRecordsUnmerged"  # on the survivor's stream
# on the survivor's stream: an entry it took over was corrected on the duplicate's
MERGED_HOURS_CORRECTED = "VolunteerMergedHoursCorrected"
MERGE_EVENTS = frozenset({VOLUNTEER_MERGED_INTO, VOLUNTEER_RECORDS_MERGED,
                          VOLUNTEER_MERGE_UNDONE, VOLUNTEER_RECORDS_UNMERGED,
                          MERGED_HOURS_CORRECTED})


def _reason() -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=200))


def _ids(**kwargs: object) -> fields.List:
    return fields.List(Id(), required=True, **kwargs)


class VolunteerMergedIntoV1(Schema):
    """This record is a duplicate of `survivor_id`'s person: it is retired, reads and
    lookups of it lead to the survivor. `moved` ledger entries count for the survivor,
    `duplicates` (an activity the survivor was credited for too) count no more; `teams`
    the memberships handed to the survivor, `teams_left` those given up (the survivor
    held them already, or the team is of another county: a team takes its own county's).
    `merged_at` (UTC) starts the window in which the merge can be undone."""

    merge_id = Id(required=True)
    survivor_id = Id(required=True)
    merged_at = fields.String(required=True, validate=validate.Length(min=20, max=40))
    moved = _ids()
    duplicates = _ids()
    teams = _ids()
    teams_left = _ids()
    reason = _reason()


class AdoptedEntry(Schema):
    entry_id = Id(required=True)
    hours = Hours(required=True)
    activity_id = Id(allow_none=True, load_default=None)


class VolunteerRecordsMergedV1(Schema):
    """The survivor took over the duplicate `retired_id`'s ledger entries in `adopted`
    (its star levels count them from now on; a level they reach waits for approval)."""

    merge_id = Id(required=True)
    retired_id = Id(required=True)
    adopted = fields.List(fields.Nested(AdoptedEntry), required=True)
    duplicates = _ids()
    teams = _ids()
    reason = _reason()


class VolunteerMergeUndoneV1(Schema):
    """The merge is compensated: this record stands again as it stood before it (its
    entries count for it again)."""

    merge_id = Id(required=True)
    survivor_id = Id(required=True)
    reason = _reason()


class VolunteerRecordsUnmergedV1(Schema):
    """The survivor gives back what the merge handed it; what it recorded since stays."""

    merge_id = Id(required=True)
    retired_id = Id(required=True)
    reason = _reason()


class VolunteerMergedHoursCorrectedV1(Schema):
    """An entry the survivor took over was corrected where it is kept, on the duplicate's
    stream (its `HoursCorrected` is what every other service reads): the survivor counts
    the corrected hours, and its star levels follow."""

    merge_id = Id(required=True)
    entry_id = Id(required=True)
    hours = Hours(required=True)
    previous_hours = Hours(required=True)


MERGE_SCHEMAS: dict[tuple[str, int], type[Schema]] = {
    (VOLUNTEER_MERGED_INTO, 1): VolunteerMergedIntoV1,
    (VOLUNTEER_RECORDS_MERGED, 1): VolunteerRecordsMergedV1,
    (VOLUNTEER_MERGE_UNDONE, 1): VolunteerMergeUndoneV1,
    (VOLUNTEER_RECORDS_UNMERGED, 1): VolunteerRecordsUnmergedV1,
    (MERGED_HOURS_CORRECTED, 1): VolunteerMergedHoursCorrectedV1,
}
