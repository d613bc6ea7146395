"""The Team aggregate (志愿服务团队): a named group in one category and county, and its members.

Membership lives on the team's stream. Whether a volunteer may join depends on the
volunteer's own stream, so `join_team` receives that volunteer's status from the caller.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from contracts.volunteers import events as ev
from contracts.volunteers.catalog import VolunteerCatalog
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound
from yinfa.events import fold
from yinfa.events.envelope import NewEvent

from .commands import CreateTeam, JoinTeam, LeaveTeam
from .volunteer import SUSPENDED, WITHDRAWN


@dataclass(frozen=True)
class Team:
    name: str
    category: str
    county_code: str
    leader_id: str | None = None
    description: str | None = None
    members: frozenset[str] = field(default_factory=frozenset)
    # member moves (team_moves.py): out of this team (move id -> volunteer, target), into it
    moves_out: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    moves_in: frozenset[str] = field(default_factory=frozenset)


def create_team(state: Team | None, command: CreateTeam, catalog: VolunteerCatalog
                ) -> list[NewEvent]:
    if state is not None:
        raise AlreadyExists("this team already exists", field="team_id")
    return [ev.new_event(ev.TEAM_CREATED, {
        "name": command.name,
        "category": command.category,
        "county_code": command.county_code,
        "leader_id": command.leader_id,
        "description": command.description,
    })]


def join_team(state: Team | None, command: JoinTeam, volunteer_status: str | None,
              volunteer_county: str | None = None) -> list[NewEvent]:
    """`volunteer_status` is the joining volunteer's current status, None if unknown;
    `volunteer_county` their county: a team takes members of its own county only."""
    team = _existing(state)
    volunteer_id = command.volunteer_id
    if volunteer_status is None:
        raise NotFound("no such volunteer", field="volunteer_id")
    if volunteer_county is not None and volunteer_county != team.county_code:
        raise DomainRuleViolated("a team takes members of its own county",
                                 field="volunteer_id")
    if volunteer_status in (WITHDRAWN, SUSPENDED):
        raise DomainRuleViolated(f"a {volunteer_status} volunteer cannot join a team",
                                 field="volunteer_id")
    if volunteer_id in team.members:
        raise AlreadyExists("the volunteer is already a member", field="volunteer_id")
    return [ev.new_event(ev.VOLUNTEER_JOINED_TEAM, {"volunteer_id": volunteer_id})]


def leave_team(state: Team | None, command: LeaveTeam) -> list[NewEvent]:
    team = _existing(state)
    if command.volunteer_id not in team.members:
        raise NotFound("the volunteer is not a member", field="volunteer_id")
    return [ev.new_event(ev.VOLUNTEER_LEFT_TEAM, {
        "volunteer_id": command.volunteer_id, "reason": command.reason,
    })]


_FOLD = fold.Fold("team", ev.TEAM_CREATED, {
    ev.TEAM_CREATED: lambda _state, data: Team(
        name=data["name"], category=data["category"], county_code=data["county_code"],
        leader_id=data.get("leader_id"), description=data.get("description")),
    ev.VOLUNTEER_JOINED_TEAM: lambda state, data: replace(
        state, members=state.members | {data["volunteer_id"]}),
    ev.VOLUNTEER_LEFT_TEAM: lambda state, data: replace(
        state, members=state.members - {data["volunteer_id"]}),
    ev.TEAM_MEMBER_MOVED: lambda state, data: _member_moved(state, data),
})
evolve, replay = _FOLD.evolve, _FOLD.replay


def _member_moved(state: Team, data: Mapping[str, Any]) -> Team:
    volunteer, move = data["volunteer_id"], data["move_id"]
    if data["side"] == "in":
        return replace(state, members=state.members | {volunteer},
                       moves_in=state.moves_in | {move})
    return replace(state, members=state.members - {volunteer},
                   moves_out={**state.moves_out, move: (volunteer, data["to_team_id"])})


def _existing(state: Team | None) -> Team:
    if state is None:
        raise NotFound("no such team", field="team_id")
    return state
