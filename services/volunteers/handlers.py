"""Command handlers: fold the stream → the domain decides → append.

Plain functions over `EventSourcedStreams` and a command the service's entrypoint has
loaded once with its published schema; `COMMANDS` names the handler of each schema.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any

from contracts.volunteers import commands
from contracts.volunteers.catalog import load_volunteer_catalog
from contracts.volunteers.streams import team_stream, volunteer_stream
from services.volunteers import personal, roster
from services.volunteers.domain import team, volunteer
from services.volunteers.domain.team import replay as fold_team
from services.volunteers.domain.volunteer import replay as fold_volunteer
from yinfa.city_time import local_day
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound, ValidationFailed
from yinfa.reference import load_city
from yinfa.service.commands import CommandTable
from yinfa.service.dependencies import EventSourcedStreams

VolunteerDecision = Callable[..., list]


def register(streams: EventSourcedStreams, command: Mapping[str, Any],
             within_county: str | None = None) -> str:
    volunteer_id = volunteer.volunteer_id_for(command["id_number"], personal.id_secret())
    catalog = load_volunteer_catalog()

    def decide(state: volunteer.Volunteer | None) -> list:
        if state is not None and within_county and state.county_code != within_county:
            raise ValidationFailed({"county_code": ["Not a county in your scope."]})
        decided = volunteer.register(state, command, catalog)
        # personal data before the registration: a crash between the two leaves data
        # that a retry finds, never a registered person whose data is gone
        personal.keep(streams.views, volunteer_id, command)
        return decided

    streams.execute(volunteer_stream(volunteer_id), fold_volunteer, decide)
    return volunteer_id


def _on_volunteer(decide: VolunteerDecision, streams: EventSourcedStreams,
                  command: Mapping[str, Any]) -> int:
    """A decision on one volunteer's stream; how many events it recorded."""
    catalog = load_volunteer_catalog()
    recorded = streams.execute(volunteer_stream(command["volunteer_id"]), fold_volunteer,
                               lambda state: decide(state, command, catalog))
    return len(recorded)


def erase(streams: EventSourcedStreams, command: Mapping[str, Any]) -> int:
    """Destroy the person's data key and data, then record the erasure: a crash between
    the two leaves a person without data and not yet marked erased, which a retry (or
    the reconciliation) finishes; never data kept after the erasure was recorded."""
    command = dict(command)
    command["erased_on"] = command["erased_on"] or local_day(datetime.now(UTC),
                                                             load_city().zone)
    catalog = load_volunteer_catalog()

    def decide(state: volunteer.Volunteer | None) -> list:
        decided = volunteer.erase(state, command, catalog)
        personal.erase(streams.views, command["volunteer_id"])
        return decided

    return len(streams.execute(volunteer_stream(command["volunteer_id"]), fold_volunteer,
                               decide))


def update_profile(streams: EventSourcedStreams, command: Mapping[str, Any]) -> int:
    catalog = load_volunteer_catalog()
    volunteer_id = command["volunteer_id"]
    kept = personal.reveal(streams.views, volunteer_id) or {}
    changed = {name: command[name] for name in volunteer.PERSONAL_FIELDS
               if name in command and command[name] != kept.get(name)}
    recorded = streams.execute(
        volunteer_stream(volunteer_id), fold_volunteer,
        lambda state: volunteer.update_profile(state, command, catalog, changed))
    if changed:
        personal.update(streams.views, volunteer_id, changed)
    return len(recorded)


def record_hours_batch(streams: EventSourcedStreams, command: Mapping[str, Any]) -> int:
    catalog = load_volunteer_catalog()
    recorded = streams.execute(
        volunteer_stream(command["volunteer_id"]),
        fold_volunteer,
        lambda state: volunteer.record_hours_batch(state, command["entries"], catalog),
    )
    return len(recorded)


def apply_ledger_command(streams: EventSourcedStreams, schema: type,
                         payload: Mapping[str, Any]) -> int:
    """A ledger change announced by another service; a repeat of one already made is a
    no-op (the entry exists, or already has these hours)."""
    try:
        return COMMANDS.handle(streams, schema, payload)
    except AlreadyExists as error:
        if error.field == "entry_id":
            return 0
        raise
    except DomainRuleViolated as error:
        if schema is commands.CorrectHours and error.field == "hours":
            return 0
        raise


def create_team(streams: EventSourcedStreams, command: Mapping[str, Any]) -> str:
    catalog = load_volunteer_catalog()
    streams.execute(
        team_stream(command["team_id"]),
        fold_team,
        lambda state: team.create_team(state, command, catalog),
    )
    return command["team_id"]


def join_team(streams: EventSourcedStreams, command: Mapping[str, Any]) -> int:
    member, _ = streams.load(volunteer_stream(command["volunteer_id"]), fold_volunteer)
    status = None if member is None else member.status
    county = None if member is None else member.county_code
    return _on_team(streams, command, partial(team.join_team, volunteer_status=status,
                                              volunteer_county=county))


def leave_team(streams: EventSourcedStreams, command: Mapping[str, Any]) -> int:
    return _on_team(streams, command, team.leave_team)


def _on_team(streams: EventSourcedStreams, command: Mapping[str, Any], decide: Callable) -> int:
    def decision(state: team.Team | None) -> list:
        if state is None:
            raise NotFound("no such team", field="team_id")
        return decide(state, command)

    return len(streams.execute(team_stream(command["team_id"]), fold_team, decision))


COMMANDS = CommandTable(commands, {
    commands.RegisterVolunteer: register,
    commands.RegisterVolunteers: roster.register_roster,
    commands.VerifyVolunteer: partial(_on_volunteer, volunteer.verify),
    commands.SuspendVolunteer: partial(_on_volunteer, volunteer.suspend),
    commands.ReinstateVolunteer: partial(_on_volunteer, volunteer.reinstate),
    commands.WithdrawVolunteer: partial(_on_volunteer, volunteer.withdraw),
    commands.UpdateProfile: update_profile,
    commands.RecordHours: partial(_on_volunteer, volunteer.record_hours),
    commands.RecordHoursBatch: record_hours_batch,
    commands.CorrectHours: partial(_on_volunteer, volunteer.correct_hours),
    commands.EraseVolunteer: erase,
    commands.CreateTeam: create_team,
    commands.JoinTeam: join_team,
    commands.LeaveTeam: leave_team,
})
