"""A team's member moves to another team (of the volunteer's county), keeping their
history: one event type on both teams' streams, out of the first, into the second."""
from __future__ import annotations

from contracts.volunteers import events as ev
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound
from yinfa.events.envelope import NewEvent

from .commands import MoveTeamMember
from .team import Team, _existing


def move_member(state: Team | None, command: MoveTeamMember, target: Team | None,
                volunteer_county: str | None) -> list[NewEvent]:
    team = _existing(state)
    if command.volunteer_id not in team.members:
        raise NotFound("the volunteer is not a member", field="volunteer_id")
    if command.to_team_id == command.team_id:
        raise DomainRuleViolated("the member is in this team already", field="to_team_id")
    if target is None:
        raise NotFound("no such team to move to", field="to_team_id")
    if target.county_code != (volunteer_county or team.county_code):
        raise DomainRuleViolated("a team takes members of its own county",
                                 field="to_team_id")
    if command.volunteer_id in target.members:
        raise AlreadyExists("the volunteer is a member of that team already",
                            field="to_team_id")
    return [_moved(command, "out")]


def receive_member(state: Team | None, command: MoveTeamMember) -> list[NewEvent]:
    """The target's side; a move received already records nothing (a retry, the sweep)."""
    if command.move_id in _existing(state).moves_in:
        return []
    return [_moved(command, "in")]


def _moved(command: MoveTeamMember, side: str) -> NewEvent:
    return ev.new_event(ev.TEAM_MEMBER_MOVED, {
        "move_id": command.move_id, "volunteer_id": command.volunteer_id,
        "from_team_id": command.team_id, "to_team_id": command.to_team_id, "side": side})
