"""The Volunteer aggregate: a retired cadre's lifecycle and hours ledger, as pure functions.

Lifecycle: registered → verified (by the volunteer's own county bureau) → active (once
hours are on the ledger); suspended ⇄ back where it was; withdrawn ⇄ back where it was
(returned by the county bureau with a reason), except after a death; erased is final.

Hours: every entry stays on the ledger, but hours count as *verified hours* (and earn
stars) only once the county bureau has verified the volunteer. Hours recorded while still
registered are pending and start counting at verification; suspension keeps past hours.

Stars: the verified hours *reach* a level; the level above the approved one that they
reach is *pending* until the level's authority (the catalog's, county or city) approves
it, or returns it with a reason (pending again once the ledger changes). Only approved
levels count (`star_level`). Levels are approved one at a time, in order; a level the
hours no longer reach is not held.
"""
from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from contracts.volunteers import events as ev
from contracts.volunteers.catalog import VolunteerCatalog
from contracts.volunteers.id_number import birth_date_of, gender_of, normalise
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound, ValidationFailed
from yinfa.events import fold
from yinfa.events.envelope import NewEvent

from . import (
    city_transfer_state as city_transfer_appliers,
    commands as c,
    merge_state as merge_appliers,
    transfer_state as transfer_appliers,
)
from .stars import star_level

REGISTERED, VERIFIED, ACTIVE = "registered", "verified", "active"
SUSPENDED, WITHDRAWN, ERASED = "suspended", "withdrawn", "erased"
MERGED = merge_appliers.MERGED  # a duplicate merged into its survivor (merge.py)
# released to another city (city_transfer.py): the record stays, read-only
TRANSFERRED_OUT = city_transfer_appliers.TRANSFERRED_OUT
PROFILE_FIELDS = ("former_employer", "party_member", "skills", "insurance")
PERSONAL_FIELDS = ("name", "phone")  # kept encrypted by the service, never in an event


@dataclass(frozen=True)
class Volunteer:
    gender: str
    birth_year: int
    county_code: str
    former_employer: str | None
    retirement_status: str
    party_member: bool
    branch_id: str | None
    skills: tuple[str, ...]
    insurance: bool
    status: str = REGISTERED
    verified: bool = False
    suspended_from: str | None = None
    withdrawal_reason: str | None = None
    withdrawn_from: str | None = None  # the status a return restores
    ledger: Mapping[str, Decimal] = field(default_factory=dict)  # entry_id -> current hours
    star_level: int = 0  # approved: what counts
    star_level_reached: int = 0  # by the verified hours
    star_level_returned: int | None = None  # sent back, until the ledger changes
    activity_of: Mapping[str, str] = field(default_factory=dict)  # entry_id -> activity
    # merging duplicates (merge.py): on a duplicate, where it went and what it was;
    # on a survivor, the entries each merge in force handed it (merge id -> entries)
    merged_into: str | None = None
    merge_id: str | None = None
    merged_at: str | None = None
    merged_from_status: str | None = None
    adopted: Mapping[str, Mapping[str, tuple[Decimal, str | None]]] = field(
        default_factory=dict)
    merged_from: Mapping[str, str] = field(default_factory=dict)  # merge id -> duplicate
    # moving between cities (city_transfer.py): hours served in the city they came from
    # count for their stars, not in any ranking here; the level that city approved stays
    carried_hours: Decimal = Decimal(0)
    star_level_floor: int = 0
    transferred_from: str | None = None  # a city code
    transferred_to: str | None = None
    arrived_with: str | None = None  # the package id they came with
    released_with: str | None = None  # the package id they left with
    released_from: str | None = None  # the status a return from that city restores
    # a transfer between counties under way (transfer.py); the release changes the county
    transfer: transfer_appliers.PendingTransfer | None = None

    @property
    def star_level_pending(self) -> int | None:
        """The next level, if the hours reach it and it is not sent back."""
        following = self.star_level + 1
        if following <= self.star_level_reached and following != self.star_level_returned:
            return following
        return None

    @property
    def total_hours(self) -> Decimal:
        own = sum(self.ledger.values(), Decimal(0))
        return own + sum((hours for entries in self.adopted.values()
                          for hours, _ in entries.values()), Decimal(0))

    @property
    def activities_counted(self) -> set[str]:
        """The activities whose hours count on this record, its own or handed over."""
        return {*self.activity_of.values(),
                *(activity for entries in self.adopted.values()
                  for _, activity in entries.values() if activity)}

    @property
    def verified_hours(self) -> Decimal:
        """What earns stars: the hours served here and those carried from another city."""
        return self.total_hours + self.carried_hours if self.verified else Decimal(0)


def volunteer_id_for(id_number: str, secret: str) -> str:
    """The volunteer's stream id: a keyed hash of the ID number, so that registering the
    same person twice lands on the same stream without the ID number being recoverable."""
    if not secret:
        raise ValueError("a secret is required to derive volunteer ids")
    digest = bytearray(
        hmac.new(secret.encode(), normalise(id_number).encode(), hashlib.sha256).digest()[:16]
    )
    digest[6] = (digest[6] & 0x0F) | 0x80  # version 8: custom, RFC 9562
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC variant
    return str(uuid.UUID(bytes=bytes(digest)))


# --- commands ---------------------------------------------------------------------------


def register(state: Volunteer | None, command: c.RegisterVolunteer, catalog: VolunteerCatalog
             ) -> list[NewEvent]:
    if state is not None and state.status == WITHDRAWN:
        raise AlreadyExists("this person is registered and withdrawn: their county bureau "
                            "can return them, with their history", field="id_number",
                            withdrawal_reason=state.withdrawal_reason)
    if state is not None:
        raise AlreadyExists("this person is already registered", field="id_number")
    return [ev.new_event(ev.VOLUNTEER_REGISTERED, {
        "gender": command.gender,
        "birth_year": command.birth_year,
        "county_code": command.county_code,
        "former_employer": command.former_employer,
        "retirement_status": command.retirement_status,
        "party_member": command.party_member,
        "branch_id": command.branch_id,
        "skills": list(command.skills),
        "insurance": command.insurance,
    })]


def verify(state: Volunteer | None, command: c.VerifyVolunteer, catalog: VolunteerCatalog
           ) -> list[NewEvent]:
    current = _existing(state, "verify")
    if current.status == SUSPENDED:
        raise DomainRuleViolated("reinstate the volunteer before verifying", field="volunteer_id")
    if current.verified:
        raise DomainRuleViolated("the volunteer is already verified", field="volunteer_id")
    if command.county_code != current.county_code:
        raise DomainRuleViolated(
            "only the volunteer's own county bureau can verify", field="county_code",
            volunteer_county=current.county_code, verifier_county=command.county_code,
        )
    verified = ev.new_event(ev.VOLUNTEER_VERIFIED, {
        "county_code": command.county_code, "note": command.note,
    })
    return _with_star_change(current, [verified], catalog)


def suspend(state: Volunteer | None, command: c.SuspendVolunteer, catalog: VolunteerCatalog
            ) -> list[NewEvent]:
    current = _existing(state, "suspend")
    if current.status == SUSPENDED:
        raise DomainRuleViolated("the volunteer is already suspended", field="volunteer_id")
    return [ev.new_event(ev.VOLUNTEER_SUSPENDED, {"reason": command.reason})]


def reinstate(state: Volunteer | None, command: c.ReinstateVolunteer,
              catalog: VolunteerCatalog) -> list[NewEvent]:
    current = _existing(state, "reinstate")
    if current.status != SUSPENDED:
        raise DomainRuleViolated("only a suspended volunteer can be reinstated",
                                 field="volunteer_id", status=current.status)
    return [ev.new_event(ev.VOLUNTEER_REINSTATED, {"note": command.note})]


def withdraw(state: Volunteer | None, command: c.WithdrawVolunteer, catalog: VolunteerCatalog
             ) -> list[NewEvent]:
    _existing(state, "withdraw")
    return [ev.new_event(ev.VOLUNTEER_WITHDRAWN, {
        "reason_code": command.reason_code, "note": command.note,
    })]


DECEASED = "deceased"  # the one withdrawal reason no return undoes


def return_after_withdrawal(state: Volunteer | None, command: c.ReturnVolunteer,
                            catalog: VolunteerCatalog) -> list[NewEvent]:
    """A withdrawn volunteer comes back where they stood when they withdrew: the same
    record, ledger, stars, teams and history; nothing restarts from zero."""
    if state is None:
        raise NotFound("no such volunteer", field="volunteer_id")
    if state.status != WITHDRAWN:
        raise DomainRuleViolated("only a withdrawn volunteer can return",
                                 field="volunteer_id", status=state.status)
    if state.withdrawal_reason == DECEASED:
        raise DomainRuleViolated("a volunteer withdrawn at their death cannot return",
                                 field="volunteer_id", withdrawal_reason=DECEASED)
    return [ev.new_event(ev.VOLUNTEER_RETURNED, {"reason": command.reason})]


def erase(state: Volunteer | None, command: c.EraseVolunteer, catalog: VolunteerCatalog
          ) -> list[NewEvent]:
    """The person's personal data goes; what they did stays, anonymous. Final. The
    handler has dated an undated erasure."""
    if state is None:
        raise NotFound("no such volunteer", field="volunteer_id")
    if state.status == ERASED:
        raise DomainRuleViolated("the volunteer's personal data is already erased",
                                 field="volunteer_id")
    assert command.erased_on is not None
    return [ev.new_event(ev.VOLUNTEER_ERASED, {
        "erased_on": command.erased_on.isoformat(), "basis": command.basis})]


def update_profile(state: Volunteer | None, command: c.UpdateProfile,
                   catalog: VolunteerCatalog, personal_changed: Iterable[str] = ()
                   ) -> list[NewEvent]:
    """Records only what differs, so repeating an update changes nothing. Personal fields
    that differ (`personal_changed`, found by the service in its encrypted store) are
    recorded by name only."""
    current = _existing(state, "update")
    changes = {
        name: list(value) if name == "skills" else value
        for name, value in command.changes.items()
        if name in PROFILE_FIELDS and value != getattr(current, name)
    }
    decided = [ev.new_event(ev.VOLUNTEER_PROFILE_UPDATED, changes)] if changes else []
    personal = [name for name in PERSONAL_FIELDS if name in set(personal_changed)]
    if personal:
        decided.append(ev.new_event(ev.PERSONAL_DATA_CHANGED, {"fields_changed": personal}))
    return decided


def correct_record(state: Volunteer | None, command: c.CorrectRecord,
                   catalog: VolunteerCatalog, kept: Mapping[str, Any] | None
                   ) -> list[NewEvent]:
    """Correct who the record says the person is. `kept` is the personal data the service
    keeps encrypted (name, ID number). The ID number carries the birth date and gender,
    so the record after the correction must agree with its number, and every fact that
    changes must be named: a new number of another birth date needs `birth_date` too."""
    if state is None:
        raise NotFound("no such volunteer", field="volunteer_id")
    if state.status == ERASED or kept is None:
        raise DomainRuleViolated("the record keeps no personal data to correct",
                                 field="volunteer_id", status=state.status)
    number = command.id_number or kept["id_number"]
    born_before, born = birth_date_of(kept["id_number"]), birth_date_of(number)
    gender = gender_of(number)
    unnamed = {}
    if gender != state.gender and command.gender is None:
        unnamed["gender"] = ["The ID number's gender differs from the record's: "
                             "name the gender corrected too."]
    if born != born_before and command.birth_date is None:
        unnamed["birth_date"] = ["The ID number carries another birth date: name the "
                                 "birth date corrected too."]
    if command.gender not in (None, gender):
        unnamed["gender"] = ["The ID number kept carries another gender: correct the "
                             "ID number too."]
    if command.birth_date not in (None, born):
        unnamed["birth_date"] = ["The ID number kept carries another birth date: correct "
                                 "the ID number too."]
    if unnamed:
        raise ValidationFailed(unnamed)
    changed = {
        "name": command.name is not None and command.name != kept["name"],
        "gender": gender != state.gender,
        "birth_date": born != born_before or born.year != state.birth_year,
        "id_number": number != kept["id_number"],
    }
    corrected = [name for name in ev.CORRECTABLE if changed[name]]
    if not corrected:
        raise DomainRuleViolated("the correction changes nothing", field="volunteer_id")
    data: dict[str, Any] = {"fields_corrected": corrected, "reason": command.reason,
                            "authority": command.authority}
    if changed["gender"]:
        data["gender"] = gender
    if born.year != state.birth_year:
        data["birth_year"] = born.year
    return [ev.new_event(ev.RECORD_CORRECTED, data)]


AUTHORITY_RANK = {"county": 1, "city": 2}  # the city may decide what a county may


def approve_star_level(state: Volunteer | None, command: c.ApproveStarLevel,
                       catalog: VolunteerCatalog) -> list[NewEvent]:
    _pending(state, command, catalog, "approve")
    return [ev.new_event(ev.STAR_LEVEL_APPROVED, {
        "level": command.level, "authority": command.approver, "note": command.note})]


def return_star_level(state: Volunteer | None, command: c.ReturnStarLevel,
                      catalog: VolunteerCatalog) -> list[NewEvent]:
    _pending(state, command, catalog, "return")
    return [ev.new_event(ev.STAR_LEVEL_RETURNED, {
        "level": command.level, "authority": command.approver, "reason": command.reason})]


def _pending(state: Volunteer | None, command: c.ApproveStarLevel | c.ReturnStarLevel,
             catalog: VolunteerCatalog, action: str) -> None:
    current = _existing(state, f"{action} a star level of")
    required = catalog.star_authority(command.level)
    if AUTHORITY_RANK[command.approver] < AUTHORITY_RANK[required]:
        raise DomainRuleViolated(f"star level {command.level} is decided by the {required}",
                                 field="level", authority=required)
    if current.star_level_pending != command.level:
        raise DomainRuleViolated(
            f"star level {command.level} is not pending (approved: {current.star_level}, "
            f"pending: {current.star_level_pending or 'none'})", field="level",
            pending=current.star_level_pending)


def record_hours(state: Volunteer | None, command: c.LedgerEntry,
                 catalog: VolunteerCatalog) -> list[NewEvent]:
    current = _existing(state, "record hours for")
    if current.status == SUSPENDED:
        raise DomainRuleViolated("a suspended volunteer cannot log service", field="volunteer_id")
    if command.entry_id in current.ledger:
        raise AlreadyExists("this ledger entry is already recorded", field="entry_id")
    recorded = ev.new_event(ev.HOURS_RECORDED, {
        "entry_id": command.entry_id,
        "hours": str(command.hours),
        "served_on": command.served_on.isoformat(),
        "source": command.source,
        "activity_id": command.activity_id,
    })
    return _with_star_change(current, [recorded], catalog)


def record_hours_batch(state: Volunteer | None, command: c.RecordHoursBatch,
                       catalog: VolunteerCatalog) -> list[NewEvent]:
    """Several ledger entries in one command (a bureau's monthly sheet): all or none."""
    decided: list[NewEvent] = []
    for entry in command.entries:
        new = record_hours(state, entry, catalog)
        state = replay(new, state)
        decided.extend(new)
    return decided


def correct_hours(state: Volunteer | None, command: c.CorrectHours,
                  catalog: VolunteerCatalog) -> list[NewEvent]:
    current = _existing(state, "correct hours of")
    entry_id, hours = command.entry_id, command.hours
    if entry_id not in current.ledger:
        raise NotFound("no such ledger entry", field="entry_id")
    previous = current.ledger[entry_id]
    if hours == previous:
        raise DomainRuleViolated("the correction changes nothing", field="hours")
    corrected = ev.new_event(ev.HOURS_CORRECTED, {
        "entry_id": entry_id,
        "hours": str(hours),
        "previous_hours": str(previous),
        "reason": command.reason,
    })
    return _with_star_change(current, [corrected], catalog)


# --- state ------------------------------------------------------------------------------



def _registered(data: Mapping[str, Any]) -> Volunteer:
    return Volunteer(
        gender=data["gender"],
        birth_year=data["birth_year"],
        county_code=data["county_code"],
        former_employer=data.get("former_employer"),
        retirement_status=data["retirement_status"],
        party_member=data["party_member"],
        branch_id=data.get("branch_id"),
        skills=tuple(data.get("skills", ())),
        insurance=data.get("insurance", False),
    )


def _verified(state: Volunteer, data: Mapping[str, Any]) -> Volunteer:
    return replace(state, verified=True, status=ACTIVE if state.ledger else VERIFIED)


def _suspended(state: Volunteer, data: Mapping[str, Any]) -> Volunteer:
    return replace(state, status=SUSPENDED, suspended_from=state.status)


def _reinstated(state: Volunteer, data: Mapping[str, Any]) -> Volunteer:
    return replace(state, status=state.suspended_from or REGISTERED, suspended_from=None)


def _withdrawn(state: Volunteer, data: Mapping[str, Any]) -> Volunteer:
    return replace(state, status=WITHDRAWN, withdrawal_reason=data["reason_code"],
                   withdrawn_from=state.status)


def _returned(state: Volunteer, data: Mapping[str, Any]) -> Volunteer:
    return replace(state, status=state.withdrawn_from or REGISTERED, withdrawn_from=None,
                   withdrawal_reason=None)


def _profile_updated(state: Volunteer, data: Mapping[str, Any]) -> Volunteer:
    return replace(state, **{name: _as_stored(name, value) for name, value in data.items()})


def _record_corrected(state: Volunteer, data: Mapping[str, Any]) -> Volunteer:
    return replace(state, gender=data.get("gender", state.gender),
                   birth_year=data.get("birth_year", state.birth_year))


def _hours_recorded(state: Volunteer, data: Mapping[str, Any]) -> Volunteer:
    ledger = {**state.ledger, data["entry_id"]: Decimal(data["hours"])}
    status = ACTIVE if state.status == VERIFIED else state.status
    activity_of = ({**state.activity_of, data["entry_id"]: data["activity_id"]}
                   if data.get("activity_id") else state.activity_of)
    return replace(state, ledger=ledger, status=status, star_level_returned=None,
                   activity_of=activity_of)


def _hours_corrected(state: Volunteer, data: Mapping[str, Any]) -> Volunteer:
    return replace(state, ledger={**state.ledger, data["entry_id"]: Decimal(data["hours"])},
                   star_level_returned=None)


def _star_level_changed(state: Volunteer, data: Mapping[str, Any]) -> Volunteer:
    reached = data["to_level"]
    approved = reached if data.get("approved_by_rule") else min(state.star_level, reached)
    return replace(state, star_level=approved, star_level_reached=reached)


def _star_level_approved(state: Volunteer, data: Mapping[str, Any]) -> Volunteer:
    return replace(state, star_level=data["level"])


def _star_level_returned(state: Volunteer, data: Mapping[str, Any]) -> Volunteer:
    return replace(state, star_level_returned=data["level"])


_APPLIERS = {
    ev.VOLUNTEER_REGISTERED: lambda _state, data: _registered(data),
    ev.VOLUNTEER_VERIFIED: _verified,
    ev.VOLUNTEER_SUSPENDED: _suspended,
    ev.VOLUNTEER_REINSTATED: _reinstated,
    ev.VOLUNTEER_WITHDRAWN: _withdrawn,
    ev.VOLUNTEER_RETURNED: _returned,
    ev.VOLUNTEER_PROFILE_UPDATED: _profile_updated,
    ev.PERSONAL_DATA_CHANGED: lambda state, data: state,
    ev.RECORD_CORRECTED: _record_corrected,
    ev.VOLUNTEER_ERASED: lambda state, data: replace(state, status=ERASED),
    ev.HOURS_RECORDED: _hours_recorded,
    ev.HOURS_CORRECTED: _hours_corrected,
    ev.STAR_LEVEL_CHANGED: _star_level_changed,
    ev.STAR_LEVEL_APPROVED: _star_level_approved,
    ev.STAR_LEVEL_RETURNED: _star_level_returned,
    **merge_appliers.APPLIERS,
    **city_transfer_appliers.APPLIERS,
    **transfer_appliers.APPLIERS,
}
_FOLD = fold.Fold("volunteer", ev.VOLUNTEER_REGISTERED, _APPLIERS)
evolve, replay = _FOLD.evolve, _FOLD.replay


# --- helpers ----------------------------------------------------------------------------


def _existing(state: Volunteer | None, action: str) -> Volunteer:
    if state is None:
        raise NotFound("no such volunteer", field="volunteer_id")
    if state.status in (WITHDRAWN, ERASED, MERGED, TRANSFERRED_OUT):
        context: dict[str, Any] = {"merged_into": state.merged_into} if state.merged_into else {}
        raise DomainRuleViolated(f"cannot {action} a {state.status} volunteer",
                                 field="volunteer_id", **context)
    return state


def _with_star_change(state: Volunteer, decided: list[NewEvent], catalog: VolunteerCatalog
                      ) -> list[NewEvent]:
    """Append StarLevelChanged when the decided events move the verified hours across a
    threshold (the level reached; approval is a decision of its own)."""
    after = replay(decided, state)
    assert after is not None
    level = max(star_level(after.verified_hours, catalog.star_thresholds),
                after.star_level_floor)
    if level == after.star_level_reached:
        return decided
    return [*decided, ev.new_event(ev.STAR_LEVEL_CHANGED, {
        "from_level": after.star_level_reached, "to_level": level,
        "total_hours": str(after.verified_hours),
    })]


def _as_stored(name: str, value: Any) -> Any:
    return tuple(value) if name == "skills" else value
