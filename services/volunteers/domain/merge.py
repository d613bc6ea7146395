"""Merging a duplicate record into its survivor, and undoing a merge: pure decisions.

A merge decides events for two streams: the duplicate's (`VolunteerMergedInto`: it is
retired and names its survivor) and the survivor's (`VolunteerRecordsMerged`: the ledger
entries it takes over, and a star level their hours reach, pending approval). Nothing
counts twice: a duplicate's entry for an activity the survivor is credited for already
is listed as a duplicate and counts no more; team memberships both records hold are kept
once. An undo within the window gives each record back what it was.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from contracts.volunteers import events as ev, merge_events as mev
from contracts.volunteers.catalog import VolunteerCatalog
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound
from yinfa.events.envelope import NewEvent

from . import commands as c
from .volunteer import (
    DECEASED,
    ERASED,
    MERGED,
    WITHDRAWN,
    Volunteer,
    _with_star_change,
    record_hours as volunteer_record_hours,
)


@dataclass(frozen=True)
class Pair:
    """What the service knows of the two records beyond their streams."""

    survivor_number: str | None  # the ID numbers kept sealed (None once erased)
    duplicate_number: str | None
    survivor_teams: Collection[str] = ()
    duplicate_teams: Mapping[str, str] = field(default_factory=dict)  # team -> county


@dataclass(frozen=True)
class Decided:
    duplicate: list[NewEvent]
    survivor: list[NewEvent]


def merge(survivor: Volunteer | None, duplicate: Volunteer | None,
          command: c.MergeVolunteers, pair: Pair, at: datetime, catalog: VolunteerCatalog
          ) -> Decided:
    if survivor is None:
        raise NotFound("no such volunteer", field="volunteer_id")
    if duplicate is None:
        raise NotFound("no such volunteer", field="duplicate_id")
    for name, record in (("volunteer_id", survivor), ("duplicate_id", duplicate)):
        mergeable(name, record)
    if survivor.status == WITHDRAWN:
        raise DomainRuleViolated("a withdrawn record cannot survive a merge: return it "
                                 "first, or merge it into the other", field="volunteer_id")
    if duplicate.adopted:
        raise DomainRuleViolated(
            "the duplicate holds records merged into it: merge the other way round",
            field="duplicate_id", merges=sorted(duplicate.adopted))
    if duplicate.verified and not survivor.verified:
        raise DomainRuleViolated("the duplicate is verified and the survivor is not: "
                                 "merge into the verified record", field="volunteer_id")
    numbers = (pair.survivor_number, pair.duplicate_number)
    if (survivor.verified and duplicate.verified and None not in numbers
            and numbers[0] != numbers[1] and command.id_number != numbers[0]):
        raise DomainRuleViolated(
            "both records are verified and their ID numbers differ: two people, not one "
            "(if the duplicate's number is the mistake, give the person's number, "
            "`id_number`, which must be the survivor's)", field="duplicate_id")
    counted = survivor.activities_counted
    moved: list[str] = []
    duplicates: list[str] = []
    for entry_id in sorted(duplicate.ledger):
        activity = duplicate.activity_of.get(entry_id)
        (duplicates if activity and activity in counted else moved).append(entry_id)
        if activity:
            counted = counted | {activity}  # the duplicate's own repeat counts once too
    # a team takes members of its own county: the survivor takes over the duplicate's
    # memberships there; the others (held already, or another county's) are given up
    teams = sorted(team for team, county in pair.duplicate_teams.items()
                   if county == survivor.county_code and team not in pair.survivor_teams)
    teams_left = sorted(set(pair.duplicate_teams) - set(teams))
    merged_into = ev.new_event(mev.VOLUNTEER_MERGED_INTO, {
        "merge_id": command.merge_id, "survivor_id": command.volunteer_id,
        "merged_at": at.isoformat(), "moved": moved, "duplicates": duplicates,
        "teams": teams, "teams_left": teams_left, "reason": command.reason})
    return Decided([merged_into], take_over(survivor, duplicate, command.duplicate_id,
                                                   merged_into.data, catalog))


def take_over(survivor: Volunteer, duplicate: Volunteer, duplicate_id: str,
              merged_into: Mapping[str, Any], catalog: VolunteerCatalog) -> list[NewEvent]:
    """The survivor's side of a merge the duplicate's `VolunteerMergedInto` recorded
    (`duplicate` as it stood before it): nothing if the survivor has it already."""
    merge_id = merged_into["merge_id"]
    if merge_id in survivor.adopted:
        return []
    adopted = [{"entry_id": e, "hours": str(duplicate.ledger[e]),
                "activity_id": duplicate.activity_of.get(e)} for e in merged_into["moved"]]
    merged = ev.new_event(mev.VOLUNTEER_RECORDS_MERGED, {
        "merge_id": merge_id, "retired_id": duplicate_id,
        "adopted": adopted, "duplicates": list(merged_into["duplicates"]),
        "teams": list(merged_into["teams"]), "reason": merged_into["reason"]})
    return _with_star_change(survivor, [merged], catalog)


def mergeable(name: str, record: Volunteer) -> None:
    """Refused whatever the other record: erased, deceased, merged already."""
    if record.status == ERASED:
        raise DomainRuleViolated("an erased record cannot be merged", field=name)
    if record.status == WITHDRAWN and record.withdrawal_reason == DECEASED:
        raise DomainRuleViolated("the record of a deceased person cannot be merged",
                                 field=name)
    if record.status == MERGED:
        raise DomainRuleViolated("the record is merged already", field=name,
                                 merged_into=record.merged_into, merge_id=record.merge_id)


def completes(survivor: Volunteer | None, merge_id: str) -> bool:
    """Whether the survivor has recorded its side of the merge."""
    return survivor is not None and merge_id in survivor.adopted


def undo(duplicate: Volunteer | None, command: c.UndoMerge, at: datetime,
         window: timedelta) -> list[NewEvent]:
    """The duplicate's side of an undo (the survivor's is `give_back`)."""
    if duplicate is None or duplicate.merge_id != command.merge_id:
        raise NotFound("no such merge in force", field="merge_id")
    if duplicate.status != MERGED:  # erased since: nothing of it may come back
        raise DomainRuleViolated(f"the merged record is {duplicate.status} since",
                                 field="merge_id")
    merged_at = datetime.fromisoformat(duplicate.merged_at or "")
    if at - merged_at > window:
        raise DomainRuleViolated(
            f"the merge can be undone within {window.days} days of it; this one was on "
            f"{merged_at.date().isoformat()}", field="merge_id",
            merged_at=duplicate.merged_at)
    return [ev.new_event(mev.VOLUNTEER_MERGE_UNDONE, {
        "merge_id": command.merge_id, "survivor_id": duplicate.merged_into,
        "reason": command.reason})]


def give_back(survivor: Volunteer | None, command: c.UndoMerge, retired_id: str,
              catalog: VolunteerCatalog) -> list[NewEvent]:
    """The survivor's side of an undo: nothing if it holds nothing of this merge."""
    if survivor is None or command.merge_id not in survivor.adopted:
        return []
    unmerged = ev.new_event(mev.VOLUNTEER_RECORDS_UNMERGED, {
        "merge_id": command.merge_id, "retired_id": retired_id, "reason": command.reason})
    return _with_star_change(survivor, [unmerged], catalog)


def record_hours(state: Volunteer | None, command: c.LedgerEntry, catalog: VolunteerCatalog,
                 followed: bool = False) -> list[NewEvent]:
    """Record hours on a record that holds merges, or for a merged record on its survivor
    (`followed`): an activity counted on it already (its own or handed over) is a repeat,
    refused as the same entry twice is, so that a redelivery changes nothing."""
    if (state is not None and (followed or state.adopted) and command.activity_id
            and command.entry_id not in state.ledger
            and command.activity_id in state.activities_counted):
        raise AlreadyExists("this activity's hours are on the record already (merged)",
                            field="entry_id")
    return volunteer_record_hours(state, command, catalog)


def merge_holding(survivor: Volunteer, entry_id: str) -> str | None:
    """The merge in force that handed the survivor this entry, if one did."""
    return next((merge_id for merge_id, entries in survivor.adopted.items()
                 if entry_id in entries), None)


def correct_kept_entry(duplicate: Volunteer | None, command: c.CorrectHours
                       ) -> list[NewEvent]:
    """Correct an entry of a merged record's ledger, where it is kept (and where every
    other service reads it): the merge does not move an entry, it counts it elsewhere."""
    if duplicate is None or duplicate.status != MERGED:
        raise NotFound("no such merged record", field="volunteer_id")
    if command.entry_id not in duplicate.ledger:
        raise NotFound("no such ledger entry", field="entry_id")
    previous = duplicate.ledger[command.entry_id]
    if command.hours == previous:
        raise DomainRuleViolated("the correction changes nothing", field="hours")
    return [ev.new_event(ev.HOURS_CORRECTED, {
        "entry_id": command.entry_id, "hours": str(command.hours),
        "previous_hours": str(previous), "reason": command.reason})]


def follow_correction(survivor: Volunteer | None, merge_id: str, command: c.CorrectHours,
                      catalog: VolunteerCatalog) -> list[NewEvent]:
    """The survivor's side of a correction of an entry it took over: the hours it counts,
    and a star level they reach or no longer reach. Nothing if it has these hours."""
    entries = survivor.adopted.get(merge_id, {}) if survivor is not None else {}
    if survivor is None or command.entry_id not in entries:
        return []
    previous, _ = entries[command.entry_id]
    if previous == command.hours:
        return []
    corrected = ev.new_event(mev.MERGED_HOURS_CORRECTED, {
        "merge_id": merge_id, "entry_id": command.entry_id, "hours": str(command.hours),
        "previous_hours": str(previous)})
    return _with_star_change(survivor, [corrected], catalog)
