"""The volunteers service's commands, as its handlers receive them: loaded once by the
published schema of the same name (`contracts.volunteers.commands`), which has refused
what is malformed and tidied the rest (ids as strings, hours as Decimals in tenths, dates
as `date`, optional fields defaulted)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class RegisterVolunteer:
    name: str
    gender: str
    birth_year: int
    id_number: str
    phone: str
    county_code: str
    retirement_status: str
    former_employer: str | None = None
    party_member: bool = False
    branch_id: str | None = None
    skills: tuple[str, ...] = ()
    insurance: bool = False


@dataclass(frozen=True)
class RegisterVolunteers:
    items: tuple[Any, ...]  # raw payloads: each is loaded as a RegisterVolunteer on its own


@dataclass(frozen=True)
class VerifyVolunteer:
    volunteer_id: str
    county_code: str
    note: str | None = None


@dataclass(frozen=True)
class SuspendVolunteer:
    volunteer_id: str
    reason: str


@dataclass(frozen=True)
class ReinstateVolunteer:
    volunteer_id: str
    note: str | None = None


@dataclass(frozen=True)
class WithdrawVolunteer:
    volunteer_id: str
    reason_code: str
    note: str | None = None


@dataclass(frozen=True)
class ReturnVolunteer:
    volunteer_id: str
    reason: str


@dataclass(frozen=True)
class CorrectRecord:
    volunteer_id: str
    reason: str
    authority: str
    name: str | None = None
    gender: str | None = None
    birth_date: date | None = None
    id_number: str | None = None


@dataclass(frozen=True)
class EraseVolunteer:
    volunteer_id: str
    basis: str = "person_request"
    erased_on: date | None = None  # None: today, in the city


@dataclass(frozen=True)
class UpdateProfile:
    """Only the fields given change, and a field may be given as None (no former
    employer): `changes` holds exactly the fields given, skills as a tuple."""

    volunteer_id: str
    changes: Mapping[str, Any]

    @classmethod
    def loaded(cls, data: Mapping[str, Any]) -> UpdateProfile:
        return cls(volunteer_id=data["volunteer_id"], changes={
            name: tuple(value) if name == "skills" else value
            for name, value in data.items() if name != "volunteer_id"})


@dataclass(frozen=True, kw_only=True)
class LedgerEntry:
    entry_id: str
    hours: Decimal
    served_on: date
    source: str
    activity_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordHours(LedgerEntry):
    volunteer_id: str


@dataclass(frozen=True)
class RecordHoursBatch:
    volunteer_id: str
    entries: tuple[LedgerEntry, ...]


@dataclass(frozen=True)
class CorrectHours:
    volunteer_id: str
    entry_id: str
    hours: Decimal
    reason: str


@dataclass(frozen=True)
class ApproveStarLevel:
    volunteer_id: str
    level: int
    approver: str
    note: str | None = None


@dataclass(frozen=True)
class ReturnStarLevel:
    volunteer_id: str
    level: int
    approver: str
    reason: str


@dataclass(frozen=True)
class IssueCertificate:
    volunteer_id: str
    code: str
    issued_by: str


@dataclass(frozen=True)
class AdoptCertificate:
    code: str
    volunteer_id: str
    county_code: str
    total_hours: Decimal
    verified_hours: Decimal
    star_level: int
    issued_on: date
    issued_by: str


@dataclass(frozen=True)
class RevokeCertificate:
    code: str
    reason: str


@dataclass(frozen=True)
class CreateTeam:
    team_id: str
    name: str
    category: str
    county_code: str
    leader_id: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class JoinTeam:
    team_id: str
    volunteer_id: str


@dataclass(frozen=True)
class LeaveTeam:
    team_id: str
    volunteer_id: str
    reason: str | None = None


@dataclass(frozen=True)
class MergeVolunteers:
    volunteer_id: str  # the survivor
    duplicate_id: str
    reason: str
    merge_id: str
    id_number: str | None = None  # the person's true number, when the records' differ


@dataclass(frozen=True)
class UndoMerge:
    merge_id: str
    reason: str


# --- transfers between counties (transfer.py); acting_county None: the city acts --------


@dataclass(frozen=True)
class RequestTransfer:
    volunteer_id: str
    transfer_id: str
    to_county: str
    reason_code: str
    acting_county: str | None = None


@dataclass(frozen=True)
class AcceptTransfer:
    volunteer_id: str
    transfer_id: str
    acting_county: str | None = None


@dataclass(frozen=True)
class DeclineTransfer:
    volunteer_id: str
    transfer_id: str
    reason_code: str
    acting_county: str | None = None


@dataclass(frozen=True)
class ReleaseTransfer:
    volunteer_id: str
    transfer_id: str
    acting_county: str | None = None
    released_at: str | None = None  # an ISO instant; None: now (the handler dates it)


@dataclass(frozen=True)
class CancelTransfer:
    volunteer_id: str
    transfer_id: str
    acting_county: str | None = None


@dataclass(frozen=True)
class MoveTeamMember:
    team_id: str
    volunteer_id: str
    to_team_id: str
    move_id: str


@dataclass(frozen=True)
class TransferOutOfCity:
    volunteer_id: str
    to_city: str
    acting_county: str | None = None  # None: the city


@dataclass(frozen=True)
class TransferInFromCity:
    package: str
    county_code: str
