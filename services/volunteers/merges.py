"""Handlers of merging duplicate records and undoing a merge (decisions in domain/merge.py).

A merge appends to two streams, the duplicate's first: the duplicate's stream is where two
admins merging the same record meet (the second finds it merged: a 409), and where every
other service learns which entries count for whom. A crash before the survivor's side is
recorded is finished by a retry of the merge (or of its undo), which finds the duplicate
merged into that survivor and the survivor without it. Memberships of teams move last; a
move that finds a membership changed meanwhile leaves it as it is.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts.volunteers.catalog import load_volunteer_catalog
from contracts.volunteers.merge_events import VOLUNTEER_MERGED_INTO
from contracts.volunteers.streams import team_stream, volunteer_stream
from services.volunteers import dependencies as personal
from services.volunteers.domain import commands, merge, team, volunteer
from services.volunteers.domain.team import replay as fold_team
from services.volunteers.domain.volunteer import replay as fold_volunteer
from yinfa.config import settings
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound
from yinfa.service.dependencies import EventSourcedStreams

MOVED_BY_MERGE = "合并重复记录"  # the reason on the team events a merge or its undo records
MAX_HOPS = 8  # a chain of merges is followed this far (none is made: see merge.py)


def merge_volunteers(streams: EventSourcedStreams, command: commands.MergeVolunteers
                     ) -> dict[str, Any]:
    catalog = load_volunteer_catalog()
    survivor_stream = volunteer_stream(command.volunteer_id)
    duplicate_stream = volunteer_stream(command.duplicate_id)
    survivor, _ = streams.load(survivor_stream, fold_volunteer)
    before, _ = streams.load(duplicate_stream, fold_volunteer)
    if (before is not None and before.merged_into == command.volunteer_id
            and not merge.completes(survivor, before.merge_id or "")):
        return _finish(streams, command.duplicate_id)  # a retry after a crash
    if before is not None:  # refused whatever the pair: no personal data read for it
        merge.mergeable("duplicate_id", before)
    people = personal.people(streams.views, [command.volunteer_id, command.duplicate_id])
    pair = merge.Pair(
        survivor_number=people.get(command.volunteer_id, {}).get("id_number"),
        duplicate_number=people.get(command.duplicate_id, {}).get("id_number"),
        survivor_teams=set(_teams_of(streams, command.volunteer_id)),
        duplicate_teams=_teams_of(streams, command.duplicate_id))
    at = datetime.now(UTC)
    seen: list[volunteer.Volunteer | None] = []

    def on_duplicate(state: volunteer.Volunteer | None) -> list:
        seen[:] = [state]  # as it stood before the merge, for the survivor's side
        fresh, _ = streams.load(survivor_stream, fold_volunteer)
        return merge.merge(fresh, state, command, pair, at, catalog).duplicate

    recorded = streams.execute(duplicate_stream, fold_volunteer, on_duplicate)
    merged_into = recorded[0].data
    _on_survivor(streams, command.volunteer_id, seen[0], command.duplicate_id, merged_into)
    _move_teams(streams, merged_into["teams"], command.duplicate_id, command.volunteer_id)
    _leave_teams(streams, merged_into["teams_left"], command.duplicate_id)
    return _outcome(command.merge_id, command.volunteer_id, command.duplicate_id,
                    merged_into)


def _finish(streams: EventSourcedStreams, duplicate_id: str) -> dict[str, Any]:
    """Record the survivor's side of the merge the duplicate's stream holds last."""
    events = streams.store.read_stream(volunteer_stream(duplicate_id))
    last = max(i for i, e in enumerate(events) if e.type == VOLUNTEER_MERGED_INTO)
    before = fold_volunteer(events[:last])
    data = events[last].data
    _on_survivor(streams, data["survivor_id"], before, duplicate_id, data)
    _move_teams(streams, data["teams"], duplicate_id, data["survivor_id"])
    _leave_teams(streams, data["teams_left"], duplicate_id)
    return _outcome(data["merge_id"], data["survivor_id"], duplicate_id, data)


def _on_survivor(streams: EventSourcedStreams, survivor_id: str,
                 before: volunteer.Volunteer | None, duplicate_id: str,
                 merged_into: Any) -> None:
    assert before is not None  # the duplicate existed: it was just merged
    catalog = load_volunteer_catalog()

    def decide(state: volunteer.Volunteer | None) -> list:
        if state is None:
            raise NotFound("no such volunteer", field="volunteer_id")
        return merge.take_over(state, before, duplicate_id, merged_into, catalog)

    streams.execute(volunteer_stream(survivor_id), fold_volunteer, decide)


def _outcome(merge_id: str, survivor_id: str, duplicate_id: str, data: Any
             ) -> dict[str, Any]:
    return {"merge_id": merge_id, "survivor_id": survivor_id, "duplicate_id": duplicate_id,
            "merged_at": data["merged_at"], "entries_moved": len(data["moved"]),
            "entries_counted_once": len(data["duplicates"]), "teams_moved": data["teams"],
            "undo_until": (datetime.fromisoformat(data["merged_at"]) + _window()
                           ).isoformat()}


def _window() -> timedelta:
    return timedelta(days=settings().merge_undo_days)


def undo_merge(streams: EventSourcedStreams, command: commands.UndoMerge) -> dict[str, Any]:
    """Both records as they were: the duplicate stands again, with its entries and its
    teams; the survivor gives back what the merge handed it, and keeps what came since."""
    duplicate_id, survivor_id = _merge_of(streams, command.merge_id)
    duplicate_stream = volunteer_stream(duplicate_id)
    events = streams.store.read_stream(duplicate_stream)
    merged_into = next((e.data for e in reversed(events) if e.type == VOLUNTEER_MERGED_INTO
                        and e.data["merge_id"] == command.merge_id), None)
    state = fold_volunteer(events)
    undone = []
    if state is not None and state.merge_id == command.merge_id:
        undone = streams.execute(duplicate_stream, fold_volunteer, lambda state: merge.undo(
            state, command, datetime.now(UTC), _window()))
    catalog = load_volunteer_catalog()
    streams.execute(volunteer_stream(survivor_id), fold_volunteer,
                    lambda state: merge.give_back(state, command, duplicate_id, catalog))
    if undone and merged_into is not None:
        _move_teams(streams, merged_into["teams"], survivor_id, duplicate_id)
        _join_teams(streams, merged_into["teams_left"], duplicate_id)
    return {"merge_id": command.merge_id, "survivor_id": survivor_id,
            "duplicate_id": duplicate_id, "undone": True}


def _merge_of(streams: EventSourcedStreams, merge_id: str) -> tuple[str, str]:
    """(duplicate, survivor) of a merge in force: from the duplicate's view, or from the
    survivor's when the duplicate stands again already (an undo a crash cut short)."""
    views = streams.views["volunteer_view"]
    doc = views.find_one({"merge_id": merge_id}, {"volunteer_id": 1, "merged_into": 1})
    if doc is not None:
        return doc["volunteer_id"], doc["merged_into"]
    held = views.find_one({"merges_held": merge_id}, {"volunteer_id": 1, "merged_from": 1})
    if held is None:
        raise NotFound("no such merge in force", field="merge_id")
    return str(dict(held.get("merged_from") or {}).get(merge_id)), held["volunteer_id"]


# ---- following a merged record ----------------------------------------------------------


class _Merged(Exception):
    def __init__(self, survivor_id: str) -> None:
        super().__init__(survivor_id)
        self.survivor_id = survivor_id


def record_hours(streams: EventSourcedStreams, command: commands.RecordHours) -> int:
    """Hours for a merged record are the survivor's, and an activity counts once on it.
    The record's own stream says whether it is merged: no read more in the usual case."""
    catalog = load_volunteer_catalog()
    followed = False
    for _ in range(MAX_HOPS):
        def decide(state: volunteer.Volunteer | None, entry: commands.RecordHours = command,
                   followed: bool = followed) -> list:
            if state is not None and state.status == volunteer.MERGED and state.merged_into:
                raise _Merged(state.merged_into)
            return merge.record_hours(state, entry, catalog, followed)

        try:
            return len(streams.execute(volunteer_stream(command.volunteer_id),
                                       fold_volunteer, decide))
        except _Merged as merged:
            command, followed = replace(command, volunteer_id=merged.survivor_id), True
    raise DomainRuleViolated("the record's merges lead too far", field="volunteer_id")


class _Held(Exception):
    def __init__(self, duplicate_id: str) -> None:
        super().__init__(duplicate_id)
        self.duplicate_id = duplicate_id


def correct_hours(streams: EventSourcedStreams, command: commands.CorrectHours) -> int:
    """An entry stays on the ledger it was recorded on, also once its record is merged: a
    correction (a completion corrected, a bureau's) is recorded there, where every other
    service reads it, and the survivor that counts the entry follows. Addressed to the
    survivor, an entry it took over is corrected on the duplicate's stream all the same.
    Repeated, it changes nothing (a retry after a crash finishes the survivor's side)."""
    catalog = load_volunteer_catalog()
    kept: list[tuple[str, str]] = []

    def decide(state: volunteer.Volunteer | None) -> list:
        if state is not None and state.status == volunteer.MERGED and state.merged_into:
            kept[:] = [(state.merged_into, state.merge_id or "")]
            if state.ledger.get(command.entry_id) == command.hours:
                return []  # corrected before: the survivor's side may be left to do
            return merge.correct_kept_entry(state, command)
        if state is not None and command.entry_id not in state.ledger:
            held = merge.merge_holding(state, command.entry_id)
            if held is not None:
                raise _Held(state.merged_from[held])
        return volunteer.correct_hours(state, command, catalog)

    try:
        recorded = streams.execute(volunteer_stream(command.volunteer_id), fold_volunteer,
                                   decide)
    except _Held as held:
        return correct_hours(streams, replace(command, volunteer_id=held.duplicate_id))
    if kept:
        survivor_id, merge_id = kept[0]
        recorded += streams.execute(
            volunteer_stream(survivor_id), fold_volunteer,
            lambda state: merge.follow_correction(state, merge_id, command, catalog))
    return len(recorded)


def held_duplicates(streams: EventSourcedStreams, survivor_id: str) -> list[str]:
    """The records merged into this one now (an erasure of the person erases them too:
    they hold the same person's data)."""
    survivor, _ = streams.load(volunteer_stream(survivor_id), fold_volunteer)
    return sorted(survivor.merged_from.values()) if survivor is not None else []


# ---- team memberships ---------------------------------------------------------------------


def _teams_of(streams: EventSourcedStreams, volunteer_id: str) -> dict[str, str]:
    return {t["team_id"]: t["county_code"] for t in streams.views["team_view"].find(
        {"members": volunteer_id}, {"team_id": 1, "county_code": 1})}


def _move_teams(streams: EventSourcedStreams, teams: Iterable[str], from_id: str,
                to_id: str) -> None:
    _leave_teams(streams, teams, from_id)
    _join_teams(streams, teams, to_id)


def _leave_teams(streams: EventSourcedStreams, teams: Iterable[str], volunteer_id: str
                 ) -> None:
    for team_id in teams:
        leave = commands.LeaveTeam(team_id, volunteer_id, MOVED_BY_MERGE)
        _quietly(streams, team_id, lambda state, c=leave: team.leave_team(state, c))


def _join_teams(streams: EventSourcedStreams, teams: Iterable[str], volunteer_id: str
                ) -> None:
    member, _ = streams.load(volunteer_stream(volunteer_id), fold_volunteer)
    status = None if member is None else member.status
    for team_id in teams:
        join = commands.JoinTeam(team_id, volunteer_id)
        _quietly(streams, team_id, lambda state, c=join: team.join_team(
            state, c, volunteer_status=status))


def _quietly(streams: EventSourcedStreams, team_id: str, decide: Any) -> None:
    """A membership changed meanwhile (left, joined, the team gone) stays as it is."""
    try:
        streams.execute(team_stream(team_id), fold_team, decide)
    except (AlreadyExists, NotFound, DomainRuleViolated):
        pass

