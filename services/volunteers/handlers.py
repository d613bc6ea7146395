"""Command handlers: boundary schema → fold the stream → domain decides → append.

Plain functions over `EventSourcedStreams`, so the nameko service stays a thin shell.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from services.volunteers import personal, schemas
from services.volunteers.domain import team, volunteer
from services.volunteers.streams import (
    fold_team,
    fold_volunteer,
    team_stream,
    volunteer_stream,
)
from yinfa.config import load_settings
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound
from yinfa.reference import load_volunteer_catalog
from yinfa.service.dependencies import EventSourcedStreams

VolunteerDecision = Callable[..., list]


def register(streams: EventSourcedStreams, payload: Mapping[str, Any]) -> str:
    command = schemas.load_command(schemas.RegisterVolunteer, payload)
    volunteer_id = volunteer.volunteer_id_for(command["id_number"], load_settings().id_secret)
    catalog = load_volunteer_catalog()
    streams.execute(
        volunteer_stream(volunteer_id),
        fold_volunteer,
        lambda state: volunteer.register(state, command, catalog),
    )
    personal.keep(streams.views, volunteer_id, command["id_number"], command["phone"])
    return volunteer_id


_VOLUNTEER_COMMANDS: dict[str, tuple[type, VolunteerDecision]] = {
    "verify": (schemas.VerifyVolunteer, volunteer.verify),
    "suspend": (schemas.SuspendVolunteer, volunteer.suspend),
    "reinstate": (schemas.ReinstateVolunteer, volunteer.reinstate),
    "withdraw": (schemas.WithdrawVolunteer, volunteer.withdraw),
    "update_profile": (schemas.UpdateProfile, volunteer.update_profile),
    "record_hours": (schemas.RecordHours, volunteer.record_hours),
    "correct_hours": (schemas.CorrectHours, volunteer.correct_hours),
}


def on_volunteer(streams: EventSourcedStreams, action: str, payload: Mapping[str, Any]) -> int:
    """Run one of the volunteer commands above; return how many events it recorded."""
    schema, decide = _VOLUNTEER_COMMANDS[action]
    command = schemas.load_command(schema, payload)
    catalog = load_volunteer_catalog()
    recorded = streams.execute(
        volunteer_stream(command["volunteer_id"]),
        fold_volunteer,
        lambda state: decide(state, command, catalog),
    )
    if action == "update_profile" and "phone" in command:
        personal.update_phone(streams.views, command["volunteer_id"], command["phone"])
    return len(recorded)


def record_hours_batch(streams: EventSourcedStreams, payload: Mapping[str, Any]) -> int:
    command = schemas.load_command(schemas.RecordHoursBatch, payload)
    catalog = load_volunteer_catalog()
    recorded = streams.execute(
        volunteer_stream(command["volunteer_id"]),
        fold_volunteer,
        lambda state: volunteer.record_hours_batch(state, command["entries"], catalog),
    )
    return len(recorded)


def apply_ledger_command(streams: EventSourcedStreams, action: str,
                         payload: Mapping[str, Any]) -> int:
    """A ledger change announced by another service; a repeat of one already made is a
    no-op (the entry exists, or already has these hours)."""
    try:
        return on_volunteer(streams, action, payload)
    except AlreadyExists as error:
        if error.field == "entry_id":
            return 0
        raise
    except DomainRuleViolated as error:
        if action == "correct_hours" and error.field == "hours":
            return 0
        raise


def create_team(streams: EventSourcedStreams, payload: Mapping[str, Any]) -> str:
    command = schemas.load_command(schemas.CreateTeam, payload)
    catalog = load_volunteer_catalog()
    streams.execute(
        team_stream(command["team_id"]),
        fold_team,
        lambda state: team.create_team(state, command, catalog),
    )
    return command["team_id"]


def join_team(streams: EventSourcedStreams, payload: Mapping[str, Any]) -> int:
    command = schemas.load_command(schemas.JoinTeam, payload)
    member, _ = streams.load(volunteer_stream(command["volunteer_id"]), fold_volunteer)
    status = None if member is None else member.status
    return _on_team(streams, command, partial(team.join_team, volunteer_status=status))


def leave_team(streams: EventSourcedStreams, payload: Mapping[str, Any]) -> int:
    command = schemas.load_command(schemas.LeaveTeam, payload)
    return _on_team(streams, command, team.leave_team)


def _on_team(streams: EventSourcedStreams, command: dict, decide: Callable) -> int:
    def decision(state: team.Team | None) -> list:
        if state is None:
            raise NotFound("no such team", field="team_id")
        return decide(state, command)

    return len(streams.execute(team_stream(command["team_id"]), fold_team, decision))
