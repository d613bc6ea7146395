"""Handlers of a volunteer's transfer between counties: each decision on the volunteer's
own stream (transfer.py decides), so two bureaus deciding at once conflict there and the
second finds the transfer decided. Also a team member's move to another team."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from contracts.volunteers.streams import team_stream, volunteer_stream
from services.volunteers.domain import commands, team_moves, transfer
from services.volunteers.domain.team import replay as fold_team
from services.volunteers.domain.volunteer import replay as fold_volunteer
from yinfa.events.envelope import derived_event_id
from yinfa.service.dependencies import EventSourcedStreams


def _on_volunteer(decide: Callable[..., list], streams: EventSourcedStreams,
                  command: Any) -> str:
    streams.execute(volunteer_stream(command.volunteer_id), fold_volunteer,
                    lambda state: decide(state, command))
    return command.transfer_id


def release(streams: EventSourcedStreams, command: commands.ReleaseTransfer) -> str:
    """Released now: the volunteer belongs to the receiving county from this instant."""
    dated = replace(command, released_at=datetime.now(UTC).isoformat())
    return _on_volunteer(transfer.release, streams, dated)


def move_team_member(streams: EventSourcedStreams, command: commands.MoveTeamMember) -> str:
    """Out of the team, then into the target (`receive_team_member`); a crash between the
    two is completed by `complete_team_moves`."""
    target, _ = streams.load(team_stream(command.to_team_id), fold_team)
    member, _ = streams.load(volunteer_stream(command.volunteer_id), fold_volunteer)
    county = None if member is None else member.county_code
    recorded = streams.execute(team_stream(command.team_id), fold_team, lambda state:
                               team_moves.move_member(state, command, target, county))
    if recorded:
        receive_team_member(streams, command)
    return command.team_id


def receive_team_member(streams: EventSourcedStreams, command: commands.MoveTeamMember
                        ) -> int:
    """The target's end: its event id derives from the move, so a second attempt (a
    retry, the sweep) appends nothing new."""
    event_id = derived_event_id("volunteers.move_team_member", command.move_id)
    return len(streams.execute(team_stream(command.to_team_id), fold_team,
                               partial(_received, command, event_id)))


def _received(command: commands.MoveTeamMember, event_id: str, state: Any) -> list:
    return [replace(e, event_id=event_id) for e in team_moves.receive_member(state, command)]


def complete_team_moves(streams: EventSourcedStreams) -> int:
    """Receive every move out of a team that its target has not received (a crash
    between the two appends of a move); run by a timer."""
    views = streams.views["team_view"]
    completed = 0
    for doc in list(views.find({"has_moves_out": True}, {"team_id": 1, "moves_out": 1})):
        for move_id, volunteer_id, to in doc["moves_out"]:
            target = views.find_one({"team_id": to}, {"moves_in": 1})
            if target is None or move_id in target.get("moves_in", ()):
                continue
            completed += receive_team_member(streams, commands.MoveTeamMember(
                doc["team_id"], volunteer_id, to, move_id))
    return completed


COMMAND_HANDLERS: dict[type, Callable[..., Any]] = {
    commands.RequestTransfer: partial(_on_volunteer, transfer.request),
    commands.AcceptTransfer: partial(_on_volunteer, transfer.accept),
    commands.DeclineTransfer: partial(_on_volunteer, transfer.decline),
    commands.ReleaseTransfer: release,
    commands.CancelTransfer: partial(_on_volunteer, transfer.cancel),
    commands.MoveTeamMember: move_team_member,
}
