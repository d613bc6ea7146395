"""Event types of the activities context, their payload schemas per version, and upcasters.

Payloads are JSON-shaped: loading one through its schema validates it and returns it
unchanged. Times are ISO 8601 strings in UTC with their offset ("2023-10-23T01:00:00+00:00"),
dates are ISO dates, hours are decimal strings with one decimal ("2.5"). The aggregate id
is the stream id and is not repeated in the payload.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from yinfa.events.payloads import Hours, Id, IsoDate, PayloadCatalog

ACTIVITY_PUBLISHED = "ActivityPublished"
ACTIVITY_PUBLICATION_CANCELLED = "ActivityPublicationCancelled"
ACTIVITY_CANCELLED = "ActivityCancelled"
VOLUNTEER_SIGNED_UP = "VolunteerSignedUp"
VOLUNTEER_WAITLISTED = "VolunteerWaitlisted"
SIGN_UP_WITHDRAWN = "SignUpWithdrawn"
WAITLIST_PROMOTED = "WaitlistPromoted"
CHECK_IN_CODE_ISSUED = "CheckInCodeIssued"
VOLUNTEER_CHECKED_IN = "VolunteerCheckedIn"
VOLUNTEER_CHECKED_OUT = "VolunteerCheckedOut"
ACTIVITY_COMPLETED = "ActivityCompleted"
COMPLETION_CORRECTED = "CompletionCorrected"
WISH_POSTED = "WishPosted"
WISH_CLAIMED = "WishClaimed"
WISH_CLAIM_RELEASED = "WishClaimReleased"
WISH_FULFILLED = "WishFulfilled"
WISH_CONFIRMED = "WishConfirmed"
WISH_EXPIRED = "WishExpired"

ORGANISER_KINDS = ("branch", "team", "bureau")
CLAIMANT_KINDS = ("volunteer", "branch")
POSTER_KINDS = ("bureau", "branch", "community")
UNCREDITED_REASONS = ("not_checked_in", "not_checked_out", "attendance_below_share")


# --- wire-form fields -------------------------------------------------------------------


def _iso_instant(value: str) -> None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError("Not an ISO date and time.") from exc
    if moment.tzinfo is None:
        raise ValidationError("Needs a UTC offset.")


def Instant(**kwargs: Any) -> fields.String:  # noqa: N802
    return fields.String(validate=_iso_instant, **kwargs)


def Text(max_length: int, **kwargs: Any) -> fields.String:  # noqa: N802
    return fields.String(validate=validate.Length(max=max_length), **kwargs)


def Count(**kwargs: Any) -> fields.Integer:  # noqa: N802
    return fields.Integer(strict=True, validate=validate.Range(min=0), **kwargs)


def Ids(**kwargs: Any) -> fields.List:  # noqa: N802
    return fields.List(Id(), **kwargs)


def Links(**kwargs: Any) -> fields.List:  # noqa: N802
    return fields.List(Text(500), **kwargs)


class OrganiserV1(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(ORGANISER_KINDS))
    id = Id(required=True)


class ClaimantV1(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(CLAIMANT_KINDS))
    id = Id(required=True)


class PosterV1(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(POSTER_KINDS))
    id = Id(required=True)


# --- activity payloads ------------------------------------------------------------------


class ActivityPublishedV1(Schema):
    client_request_id = Id(required=True)
    theme = Id(required=True)
    kind = Id(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=100))
    description = Text(2000, allow_none=True, load_default=None)
    organiser = fields.Nested(OrganiserV1, required=True)
    county_code = Id(required=True)
    place = fields.String(required=True, validate=validate.Length(min=1, max=200))
    starts_at = Instant(required=True)
    ends_at = Instant(required=True)
    capacity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    team_only = fields.Boolean(required=True)
    team_id = Id(allow_none=True, load_default=None)


class ActivityPublishedV2(ActivityPublishedV1):
    """v2: whether sign-ups take insured volunteers only, decided when published."""

    insurance_required = fields.Boolean(required=True)


class ActivityPublicationCancelledV1(Schema):
    reason = Text(200, allow_none=True, load_default=None)


class ActivityCancelledV1(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))
    signed_up = Ids(required=True)  # confirmed participants, to be notified
    waitlisted = Ids(required=True)  # in waitlist order, to be notified too


class VolunteerSignedUpV1(Schema):
    volunteer_id = Id(required=True)


class VolunteerWaitlistedV1(Schema):
    volunteer_id = Id(required=True)
    position = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class SignUpWithdrawnV1(Schema):
    volunteer_id = Id(required=True)
    was_waitlisted = fields.Boolean(required=True)
    reason = Text(200, allow_none=True, load_default=None)


class WaitlistPromotedV1(Schema):
    volunteer_id = Id(required=True)


class CheckInCodeIssuedV1(Schema):
    code_hash = fields.String(required=True, validate=validate.Length(min=1, max=200))
    valid_from = Instant(required=True)
    valid_until = Instant(required=True)
    replaces_previous = fields.Boolean(required=True)


class AttendanceV1(Schema):
    volunteer_id = Id(required=True)
    at = Instant(required=True)


class ServedV1(Schema):
    volunteer_id = Id(required=True)
    entry_id = Id(required=True)  # the volunteer's ledger entry for this activity
    hours = Hours(required=True)
    served_on = IsoDate(required=True)


class UncreditedV1(Schema):
    volunteer_id = Id(required=True)
    claimed_hours = Hours(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(UNCREDITED_REASONS))


class ActivityCompletedV1(Schema):
    served = fields.List(fields.Nested(ServedV1), required=True)
    uncredited = fields.List(fields.Nested(UncreditedV1), required=True)
    volunteers_credited = Count(required=True)
    total_hours = Hours(required=True)
    audience_reached = Count(required=True)
    beneficiaries = Count(required=True)
    evidence = Links(required=True)
    outcome = Text(2000, allow_none=True, load_default=None)
    endorsed = fields.Boolean(required=True)
    endorsement_note = Text(200, allow_none=True, load_default=None)


class CorrectionV1(ServedV1):
    previous_hours = Hours(required=True)
    new_entry = fields.Boolean(required=True)  # no ledger entry yet: record, don't correct


class CompletionCorrectedV1(Schema):
    corrections = fields.List(fields.Nested(CorrectionV1), required=True)
    audience_reached = Count(allow_none=True, load_default=None)  # None: unchanged
    beneficiaries = Count(allow_none=True, load_default=None)
    endorsed = fields.Boolean(allow_none=True, load_default=None)  # a 批示 that came later
    endorsement_note = Text(200, allow_none=True, load_default=None)
    total_hours = Hours(required=True)  # after the correction
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


# --- wish payloads ----------------------------------------------------------------------


class WishPostedV1(Schema):
    client_request_id = Id(required=True)
    label = fields.String(required=True, validate=validate.Length(min=1, max=20))
    county_code = Id(required=True)
    category = Id(required=True)
    description = fields.String(required=True, validate=validate.Length(min=1, max=200))
    posted_by = fields.Nested(PosterV1, required=True)
    posted_at = Instant(required=True)
    expires_at = Instant(required=True)


class WishPostedV2(Schema):
    """The description, the words of the person in need, is sealed apart (dependencies.py)."""

    client_request_id = Id(required=True)
    label = fields.String(required=True, validate=validate.Length(min=1, max=20))
    county_code = Id(required=True)
    category = Id(required=True)
    posted_by = fields.Nested(PosterV1, required=True)
    posted_at = Instant(required=True)
    expires_at = Instant(required=True)


class WishClaimedV1(Schema):
    claimant = fields.Nested(ClaimantV1, required=True)
    claimed_at = Instant(required=True)


class WishClaimReleasedV1(Schema):
    claimant = fields.Nested(ClaimantV1, required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class WishFulfilledV1(Schema):
    claimant = fields.Nested(ClaimantV1, required=True)
    evidence = Links(required=True, validate=validate.Length(min=1))
    note = Text(500, allow_none=True, load_default=None)
    fulfilled_at = Instant(required=True)


class WishConfirmedV1(Schema):
    confirmed_by = fields.Nested(PosterV1, required=True)
    claimant = fields.Nested(ClaimantV1, required=True)  # who gets the credit
    confirmed_at = Instant(required=True)
    seconds_to_fulfil = Count(required=True)  # posted_at → confirmed_at


class WishExpiredV1(Schema):
    expires_at = Instant(required=True)
    was_claimed_by = fields.Nested(ClaimantV1, allow_none=True, load_default=None)


SCHEMAS: dict[tuple[str, int], type[Schema]] = {
    (ACTIVITY_PUBLISHED, 1): ActivityPublishedV1,
    (ACTIVITY_PUBLISHED, 2): ActivityPublishedV2,
    (ACTIVITY_PUBLICATION_CANCELLED, 1): ActivityPublicationCancelledV1,
    (ACTIVITY_CANCELLED, 1): ActivityCancelledV1,
    (VOLUNTEER_SIGNED_UP, 1): VolunteerSignedUpV1,
    (VOLUNTEER_WAITLISTED, 1): VolunteerWaitlistedV1,
    (SIGN_UP_WITHDRAWN, 1): SignUpWithdrawnV1,
    (WAITLIST_PROMOTED, 1): WaitlistPromotedV1,
    (CHECK_IN_CODE_ISSUED, 1): CheckInCodeIssuedV1,
    (VOLUNTEER_CHECKED_IN, 1): AttendanceV1,
    (VOLUNTEER_CHECKED_OUT, 1): AttendanceV1,
    (ACTIVITY_COMPLETED, 1): ActivityCompletedV1,
    (COMPLETION_CORRECTED, 1): CompletionCorrectedV1,
    (WISH_POSTED, 1): WishPostedV1,
    (WISH_POSTED, 2): WishPostedV2,
    (WISH_CLAIMED, 1): WishClaimedV1,
    (WISH_CLAIM_RELEASED, 1): WishClaimReleasedV1,
    (WISH_FULFILLED, 1): WishFulfilledV1,
    (WISH_CONFIRMED, 1): WishConfirmedV1,
    (WISH_EXPIRED, 1): WishExpiredV1,
}


def wish_posted_v1_to_v2(data: Mapping[str, Any]) -> dict[str, Any]:
    """v1 carried the description; `yinfa migrate personal-data` seals it apart."""
    return {key: value for key, value in data.items() if key != "description"}


def activity_published_v1_to_v2(data: Mapping[str, Any]) -> dict[str, Any]:
    """Activities published before the insurance rule took anyone."""
    return {**data, "insurance_required": False}


UPCASTERS: dict[tuple[str, int], Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    (WISH_POSTED, 1): wish_posted_v1_to_v2,
    (ACTIVITY_PUBLISHED, 1): activity_published_v1_to_v2,
}


CATALOG = PayloadCatalog(SCHEMAS, UPCASTERS)
CURRENT_VERSIONS = CATALOG.current_versions
upcast = CATALOG.upcast
new_event = CATALOG.new_event
