"""The activities service's commands, as its handlers receive them: loaded once by the
published schema of the same name (`contracts.activities.commands`), which has checked
every field (times aware and in UTC, hours Decimals in tenths, parties of known kinds)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .party import Party


@dataclass(frozen=True)
class ServedLine:
    volunteer_id: str
    hours: Decimal


# --- activity commands ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ActivityCommand:
    activity_id: str


@dataclass(frozen=True, kw_only=True)
class PublishActivity:
    client_request_id: str
    theme: str
    kind: str
    title: str
    description: str | None = None
    organiser: Party
    county_code: str
    place: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    team_only: bool = False
    team_id: str | None = None
    insurance_required: bool | None = None  # None: as the catalog says of its theme or kind


@dataclass(frozen=True, kw_only=True)
class CancelPublication(ActivityCommand):
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class CancelActivity(ActivityCommand):
    reason: str


@dataclass(frozen=True, kw_only=True)
class SignUp(ActivityCommand):
    volunteer_id: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class WithdrawSignUp(ActivityCommand):
    volunteer_id: str
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class IssueCheckInCode(ActivityCommand):
    code: str
    replace: bool = False
    at: datetime


@dataclass(frozen=True, kw_only=True)
class CheckIn(ActivityCommand):
    volunteer_id: str
    code: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class CheckOut(CheckIn):
    pass


@dataclass(frozen=True, kw_only=True)
class CompleteActivity(ActivityCommand):
    served: tuple[ServedLine, ...] = ()
    audience_reached: int = 0
    beneficiaries: int = 0
    evidence: tuple[str, ...] = ()
    outcome: str | None = None
    endorsed: bool = False
    endorsement_note: str | None = None
    at: datetime


@dataclass(frozen=True, kw_only=True)
class CorrectCompletion(ActivityCommand):
    """None (or absent, which the schema loads as None) leaves a figure as it was."""

    corrections: tuple[ServedLine, ...] = ()
    audience_reached: int | None = None
    beneficiaries: int | None = None
    endorsed: bool | None = None
    endorsement_note: str | None = None
    reason: str


# --- wish commands ----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class WishCommand:
    wish_id: str


@dataclass(frozen=True, kw_only=True)
class PostWish:
    client_request_id: str
    label: str
    county_code: str
    category: str
    description: str
    posted_by: Party
    at: datetime


@dataclass(frozen=True, kw_only=True)
class ClaimWish(WishCommand):
    claimant: Party
    at: datetime


@dataclass(frozen=True, kw_only=True)
class ReleaseWishClaim(WishCommand):
    reason: str


@dataclass(frozen=True, kw_only=True)
class FulfilWish(WishCommand):
    fulfilled_by: Party
    evidence: tuple[str, ...]
    note: str | None = None
    at: datetime


@dataclass(frozen=True, kw_only=True)
class ConfirmWish(WishCommand):
    confirmed_by: Party
    at: datetime
