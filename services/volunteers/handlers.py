"""Command handlers: fold the stream → the domain decides → append.

Plain functions over `EventSourcedStreams` and a command object the service's entrypoint
has loaded once with its published schema; `COMMANDS` names the handler of each command
type. Also here: the ledger entries the activities service's completion events announce,
and a roster registered in a few store round trips.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from contracts.volunteers import commands as published
from contracts.volunteers.catalog import load_volunteer_catalog
from contracts.volunteers.streams import certificate_stream, team_stream, volunteer_stream
from services.volunteers import (
    city_transfers,
    deeds,
    dependencies as personal,
    merges,
    nominations,
    recognition_queries,
    talent,
    transfers,
)
from services.volunteers.domain import certificate, commands, team, volunteer
from services.volunteers.domain.team import replay as fold_team
from services.volunteers.domain.volunteer import replay as fold_volunteer
from yinfa import failpoints
from yinfa.city_time import local_day
from yinfa.errors import (
    AlreadyExists,
    ConcurrencyError,
    DomainRuleViolated,
    NotFound,
    ValidationFailed,
)
from yinfa.events.envelope import NewEvent, RecordedEvent
from yinfa.reference import load_city
from yinfa.service.commands import CommandTable
from yinfa.service.dependencies import EventSourcedStreams


@dataclass(frozen=True)
class Registration:
    volunteer_id: str
    events: list[RecordedEvent]  # the new stream's every event
    person: Mapping[str, Any] | None  # the personal data kept, if it is the data given


def register(streams: EventSourcedStreams, command: commands.RegisterVolunteer,
             within_county: str | None = None) -> Registration:
    volunteer_id = personal.record_of(
        streams.views, volunteer.volunteer_id_for(command.id_number, personal.id_secret()))
    catalog = load_volunteer_catalog()
    given = asdict(command)
    # Nobody kept data under this id, so almost surely a new person: their stream is
    # begun without reading it first. Else (or if it exists after all: an erased person,
    # whose data must not come back) the stream decides, as for any command.
    first = volunteer.register(None, command, catalog)
    if personal.keep(streams.views, volunteer_id, given):
        try:
            return Registration(volunteer_id,
                                streams.start(volunteer_stream(volunteer_id), first), given)
        except ConcurrencyError:
            personal.erase(streams.views, volunteer_id)
    kept = []

    def decide(state: volunteer.Volunteer | None) -> list:
        if state is not None and within_county and state.county_code != within_county:
            raise ValidationFailed({"county_code": ["Not a county in your scope."]})
        decided = volunteer.register(state, command, catalog)
        # personal data before the registration: a crash between the two leaves data
        # that a retry finds, never a registered person whose data is gone
        kept.append(personal.keep(streams.views, volunteer_id, given))
        return decided

    recorded = streams.execute(volunteer_stream(volunteer_id), fold_volunteer, decide)
    return Registration(volunteer_id, recorded, given if all(kept) else None)


def _on_volunteer(decide: Callable[..., list], streams: EventSourcedStreams,
                  command: Any) -> int:
    """A decision on one volunteer's stream; how many events it recorded."""
    catalog = load_volunteer_catalog()
    recorded = streams.execute(volunteer_stream(command.volunteer_id), fold_volunteer,
                               lambda state: decide(state, command, catalog))
    return len(recorded)


def erase(streams: EventSourcedStreams, command: commands.EraseVolunteer) -> int:
    """Destroy the person's data key and data, then record the erasure: a crash between
    the two leaves a person without data and not yet marked erased, which a retry (or
    the reconciliation) finishes; never data kept after the erasure was recorded."""
    command = replace(command, erased_on=command.erased_on or _today())
    catalog = load_volunteer_catalog()
    erased = 0
    # the same person's records merged into this one hold their data too: erased first,
    # so that a retry after a crash finds the survivor still to erase
    for duplicate_id in merges.held_duplicates(streams, command.volunteer_id):
        duplicate, _ = streams.load(volunteer_stream(duplicate_id), fold_volunteer)
        if duplicate is not None and duplicate.status != volunteer.ERASED:
            erased += erase(streams, replace(command, volunteer_id=duplicate_id))

    def decide(state: volunteer.Volunteer | None) -> list:
        decided = volunteer.erase(state, command, catalog)
        personal.erase(streams.views, command.volunteer_id)
        deeds.erase_of(streams.views, command.volunteer_id)  # free text about them
        return decided

    return erased + len(streams.execute(volunteer_stream(command.volunteer_id),
                                        fold_volunteer, decide))


def update_profile(streams: EventSourcedStreams, command: commands.UpdateProfile) -> int:
    catalog = load_volunteer_catalog()
    volunteer_id = command.volunteer_id
    kept = personal.reveal(streams.views, volunteer_id) or {}
    changed = {name: value for name, value in command.changes.items()
               if name in volunteer.PERSONAL_FIELDS and value != kept.get(name)}
    recorded = streams.execute(
        volunteer_stream(volunteer_id), fold_volunteer,
        lambda state: volunteer.update_profile(state, command, catalog, changed))
    if changed:
        personal.update(streams.views, volunteer_id, changed)
    return len(recorded)


def correct_record(streams: EventSourcedStreams, command: commands.CorrectRecord) -> int:
    """Correct a record's name, gender, birth date or ID number; the volunteer id stays.
    A corrected number that is another record's is refused: the two are one person's,
    for the merge flow. The event first, then the encrypted values: a retry after a crash
    between the two records the correction again (a repeated audit line), never values
    changed without one."""
    catalog = load_volunteer_catalog()
    volunteer_id = command.volunteer_id
    kept = personal.reveal(streams.views, volunteer_id)

    def decide(state: volunteer.Volunteer | None) -> list:
        decided = volunteer.correct_record(state, command, catalog, kept)
        if command.id_number and "id_number" in decided[0].data["fields_corrected"]:
            _claim_number(streams, command.id_number, volunteer_id)
        return decided

    recorded = streams.execute(volunteer_stream(volunteer_id), fold_volunteer, decide)
    corrected = recorded[0].data["fields_corrected"] if recorded else []
    changes = {name: getattr(command, name) for name in ("name", "id_number")
               if name in corrected}
    if changes:
        personal.update(streams.views, volunteer_id, changes)
    return len(recorded)


def _claim_number(streams: EventSourcedStreams, id_number: str, volunteer_id: str) -> None:
    derived = volunteer.volunteer_id_for(id_number, personal.id_secret())
    if derived == volunteer_id:  # back to the number the record was registered with
        return
    registered = streams.store.existing_streams([volunteer_stream(derived)])
    owner = derived if registered else personal.claim_number(streams.views, derived,
                                                             volunteer_id)
    if owner != volunteer_id:
        raise AlreadyExists(
            f"the corrected ID number is the number of another record (volunteer {owner}): "
            "the two records are one person's, to be merged, not corrected: merge this "
            f"record into it (POST /volunteers/{owner}/merge with duplicate_id "
            f"{volunteer_id} and this id_number)",
            field="id_number", merge_with=owner, duplicate_id=volunteer_id)


def issue_certificate(streams: EventSourcedStreams, command: commands.IssueCertificate
                      ) -> str:
    """A certificate of what the holder's record says now, on a stream of its own; its
    code, which a repeat of the same command finds taken (never two papers, one code)."""
    holder, _ = streams.load(volunteer_stream(command.volunteer_id), fold_volunteer)
    titles = recognition_queries.titles_of(streams.views, command.volunteer_id)
    decided = certificate.issue(None, command, holder, _today(), titles)
    try:
        streams.start(certificate_stream(command.code), decided)
    except ConcurrencyError:
        raise AlreadyExists("this certificate code is taken", field="code") from None
    return command.code


def adopt_certificate(streams: EventSourcedStreams, command: commands.AdoptCertificate
                      ) -> str:
    """Once: adopting a code adopted already changes nothing (the move may be retried)."""
    try:
        streams.start(certificate_stream(command.code), certificate.adopt(None, command))
    except ConcurrencyError:
        pass  # adopted before
    return command.code


def revoke_certificate(streams: EventSourcedStreams, command: commands.RevokeCertificate
                       ) -> int:
    return len(streams.execute(certificate_stream(command.code), certificate.replay,
                               lambda state: certificate.revoke(state, command, _today())))


def _today() -> date:
    return local_day(datetime.now(UTC), load_city().zone)


def create_team(streams: EventSourcedStreams, command: commands.CreateTeam) -> str:
    catalog = load_volunteer_catalog()
    streams.execute(team_stream(command.team_id), fold_team,
                    lambda state: team.create_team(state, command, catalog))
    return command.team_id


def join_team(streams: EventSourcedStreams, command: commands.JoinTeam) -> int:
    member, _ = streams.load(volunteer_stream(command.volunteer_id), fold_volunteer)
    status = None if member is None else member.status
    county = None if member is None else member.county_code
    return _on_team(streams, command, partial(team.join_team, volunteer_status=status,
                                              volunteer_county=county))


def leave_team(streams: EventSourcedStreams, command: commands.LeaveTeam) -> int:
    return _on_team(streams, command, team.leave_team)


def _on_team(streams: EventSourcedStreams, command: commands.JoinTeam | commands.LeaveTeam,
             decide: Callable) -> int:
    def decision(state: team.Team | None) -> list:
        if state is None:
            raise NotFound("no such team", field="team_id")
        return decide(state, command)

    return len(streams.execute(team_stream(command.team_id), fold_team, decision))


# ---- ledger entries from the activities service ------------------------------------------
# `ActivityCompleted` lists who served and how long, each line with the entry id of that
# volunteer's ledger entry for the activity; `CompletionCorrected` corrects those entries
# (or adds one). Recording an entry that is on the ledger already, or correcting an entry
# to the hours it already has, is a repeat and changes nothing: a redelivered or replayed
# event never counts twice.

COMPLETED, CORRECTED = "ActivityCompleted", "CompletionCorrected"


def record_served(streams: EventSourcedStreams, event: RecordedEvent) -> None:
    """Every line is tried; lines refused by a rule (e.g. a withdrawn volunteer) make
    the event a dead letter naming them, after the others are recorded."""
    refused = []
    for command_type, payload in ledger_commands(event):
        try:
            COMMANDS.handle(streams, command_type, payload)
        except AlreadyExists as error:
            if error.field != "entry_id":  # else a repeat: the entry is on the ledger
                raise
        except (DomainRuleViolated, NotFound, ValidationFailed) as error:
            repeat = (command_type is commands.CorrectHours and error.field == "hours"
                      and isinstance(error, DomainRuleViolated))  # these hours already
            if not repeat:
                refused.append(f"{payload['volunteer_id']}: {error}")
    if refused:
        raise DomainRuleViolated("ledger refused: " + "; ".join(refused))


def ledger_commands(event: RecordedEvent) -> Iterator[tuple[type, dict[str, Any]]]:
    """(command type, payload) pairs, loaded one by one so that a bad line refuses only
    itself."""
    activity_id = event.stream_id.split("-", 1)[1]
    if event.type == COMPLETED:
        for line in event.data.get("served", []):
            yield commands.RecordHours, _entry(line, activity_id)
    elif event.type == CORRECTED:
        for line in event.data.get("corrections", []):
            if line.get("new_entry"):
                yield commands.RecordHours, _entry(line, activity_id)
            else:
                yield commands.CorrectHours, {
                    "volunteer_id": line["volunteer_id"], "entry_id": line["entry_id"],
                    "hours": line["hours"], "reason": event.data["reason"]}


def _entry(line: dict[str, Any], activity_id: str) -> dict[str, Any]:
    return {"volunteer_id": line["volunteer_id"], "entry_id": line["entry_id"],
            "hours": line["hours"], "served_on": line["served_on"], "source": "activity",
            "activity_id": activity_id}


# ---- a roster: many registrations at once (from a partner or county bureau) ---------------
# Each item is judged on its own, exactly as `register` judges one: the command schema,
# then the domain's `volunteer.register`. What costs store round trips is done for the
# whole roster at once: one query for the streams that exist, one insert of the new
# streams' commits, one insert of the personal data, one refresh of their views.

CREATED, EXISTS, INVALID, REFUSED = "created", "exists", "invalid", "refused"


@dataclass
class Item:
    index: int
    command: commands.RegisterVolunteer
    volunteer_id: str
    events: list[NewEvent]


def register_roster(streams: EventSourcedStreams, command: commands.RegisterVolunteers,
                    within_county: str | None = None) -> dict[str, Any]:
    """Each item registered or answered on its own, in order. With `within_county`, a
    person registered in another county is answered refused."""
    results = register_many(streams, command.items)
    if within_county is not None:
        results = refuse_other_counties(streams.views, results, within_county)
    return {"results": results, "created": sum(r["status"] == CREATED for r in results)}


def register_many(streams: EventSourcedStreams, payloads: Sequence[Any]
                  ) -> list[dict[str, Any]]:
    """One result per payload, in order: {index, status, volunteer_id?, errors?}."""
    results: dict[int, dict[str, Any]] = {}
    candidates = _valid_items(streams.views, payloads, results)
    existing = streams.store.existing_streams(volunteer_stream(i.volunteer_id)
                                              for i in candidates)
    decided, catalog = [], load_volunteer_catalog()
    for item in candidates:
        if volunteer_stream(item.volunteer_id) in existing:
            results[item.index] = _result(item.index, EXISTS, item.volunteer_id)
            continue
        item.events = volunteer.register(None, item.command, catalog)  # a new stream
        decided.append(item)
    # personal data first (kept only where none is): a kill before the commits leaves
    # data that the rerun finds, never a registered person without it
    personal.keep_many(streams.views, [
        (i.volunteer_id, asdict(i.command)) for i in decided])
    failpoints.hit("roster.after_personal_data")
    recorded = streams.start_streams(
        [(volunteer_stream(i.volunteer_id), i.events) for i in decided])
    failpoints.hit("roster.after_commits")
    for item, events in zip(decided, recorded, strict=True):
        status = CREATED if events else EXISTS  # None: registered meanwhile by another
        results[item.index] = _result(item.index, status, item.volunteer_id)
    return [results[index] for index in range(len(payloads))]


def refuse_other_counties(db: Any, results: list[dict[str, Any]], county: str
                          ) -> list[dict[str, Any]]:
    """"exists" for a person of another county would tell a county bureau that someone
    it may not see is registered: such items are answered "refused", like any item that
    names another county."""
    existing = [r["volunteer_id"] for r in results if r["status"] == EXISTS]
    elsewhere = {doc["volunteer_id"] for doc in db["volunteer_view"].find(
        {"volunteer_id": {"$in": existing}, "county_code": {"$ne": county}},
        {"volunteer_id": 1})} if existing else set()
    return [{"index": r["index"], "status": REFUSED,
             "errors": {"county_code": ["Not a county in your scope."]}}
            if r.get("volunteer_id") in elsewhere and r["status"] == EXISTS else r
            for r in results]


def _valid_items(db: Any, payloads: Sequence[Any], results: dict[int, dict[str, Any]]
                 ) -> list[Item]:
    """Items that pass the command schema, each person once (a repeat is "exists"), under
    their record's id (a corrected number names the record corrected to it)."""
    secret = personal.id_secret()
    loaded: list[tuple[int, commands.RegisterVolunteer, str]] = []
    for index, payload in enumerate(payloads):
        try:
            command = COMMANDS.load(commands.RegisterVolunteer, payload)
        except ValidationFailed as error:
            results[index] = _invalid(index, error.errors)
            continue
        loaded.append((index, command, volunteer.volunteer_id_for(command.id_number, secret)))
    record_of = personal.records_of(db, [derived for _, _, derived in loaded])
    items: dict[str, Item] = {}
    for index, command, derived in loaded:
        volunteer_id = record_of[derived]
        if volunteer_id in items:
            results[index] = _result(index, EXISTS, volunteer_id)
            continue
        items[volunteer_id] = Item(index, command, volunteer_id, [])
    return list(items.values())


def _result(index: int, status: str, volunteer_id: str) -> dict[str, Any]:
    return {"index": index, "status": status, "volunteer_id": volunteer_id}


def _invalid(index: int, errors: Mapping[str, Any]) -> dict[str, Any]:
    return {"index": index, "status": INVALID, "errors": dict(errors)}


COMMANDS = CommandTable(published, {
    commands.RegisterVolunteer: register,
    commands.RegisterVolunteers: register_roster,
    commands.VerifyVolunteer: partial(_on_volunteer, volunteer.verify),
    commands.SuspendVolunteer: partial(_on_volunteer, volunteer.suspend),
    commands.ReinstateVolunteer: partial(_on_volunteer, volunteer.reinstate),
    commands.WithdrawVolunteer: partial(_on_volunteer, volunteer.withdraw),
    commands.ReturnVolunteer: partial(_on_volunteer, volunteer.return_after_withdrawal),
    commands.UpdateProfile: update_profile,
    commands.CorrectRecord: correct_record,
    commands.MergeVolunteers: merges.merge_volunteers,
    commands.UndoMerge: merges.undo_merge,
    commands.RecordHours: merges.record_hours,  # a merged record's go to its survivor
    commands.RecordHoursBatch: partial(_on_volunteer, volunteer.record_hours_batch),
    commands.CorrectHours: merges.correct_hours,  # where the entry is kept (merges.py)
    commands.ApproveStarLevel: partial(_on_volunteer, volunteer.approve_star_level),
    commands.ReturnStarLevel: partial(_on_volunteer, volunteer.return_star_level),
    commands.EraseVolunteer: erase,
    commands.IssueCertificate: issue_certificate,
    commands.AdoptCertificate: adopt_certificate,
    commands.RevokeCertificate: revoke_certificate,
    commands.CreateTeam: create_team,
    commands.JoinTeam: join_team,
    commands.LeaveTeam: leave_team,
    **nominations.COMMAND_HANDLERS,
    **talent.COMMAND_HANDLERS,
    **transfers.COMMAND_HANDLERS,
    **city_transfers.COMMAND_HANDLERS,  # moving to another city
})
