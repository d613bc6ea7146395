"""Command schemas at the boundary (RPC and REST input) of the activities service.

`load_command(PublishActivity, payload)` returns a clean command dict for the domain, or
raises `ValidationFailed` with marshmallow's messages per field. Unknown fields are refused.
Ids come out as strings (UUIDs in canonical form), times as aware datetimes in UTC (a time
without an offset is read in the catalog's zone, Asia/Shanghai by default), hours as
Decimals with one decimal. `at` (when the thing happens) defaults to now.
"""
from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from contracts.activities.catalog import load_activity_catalog
from contracts.activities.events import CLAIMANT_KINDS, ORGANISER_KINDS, POSTER_KINDS
from yinfa.schemas import (
    CatalogCode,
    Command,
    Hours,
    IdString,
    Trimmed,
    load_command as load_command,
    trimmed as _trimmed,
    unit_in_city as _unit_in_city,
)

# A device clock may run a little ahead; further ahead is a made-up time.
CLOCK_SKEW = timedelta(minutes=5)
UUID_KINDS = ("volunteer", "team")  # parties whose ids are this platform's UUIDs
MAX_LINES = 500

MIN_LENGTH = 6  # with at most five wrong tries a person, guessing is hopeless
_PERSONAL_NUMBER = re.compile(r"\d{7,}")


def looks_like_personal_data(text: str) -> bool:
    return bool(_PERSONAL_NUMBER.search(re.sub(r"[\s\-]", "", text)))



# --- fields -----------------------------------------------------------------------------


class Instant(fields.DateTime):
    """An ISO date and time, handed on as an aware datetime in UTC."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=load_activity_catalog().zone)
        return moment.astimezone(UTC)


def _now() -> datetime:
    return datetime.now(UTC)


def _not_ahead(moment: datetime) -> None:
    if moment > _now() + CLOCK_SKEW:
        raise ValidationError("Cannot be in the future.")


def _at() -> Instant:
    return Instant(load_default=_now, validate=_not_ahead)


def _no_personal_numbers(text: str) -> None:
    if looks_like_personal_data(text):
        raise ValidationError("No ID or phone numbers: keep the person pseudonymous.")


def _evidence(**kwargs: Any) -> fields.List:
    link = fields.Url(schemes={"http", "https"}, validate=validate.Length(max=500))
    return fields.List(link, **kwargs)


def _unique_volunteers(lines: list[dict]) -> None:
    ids = [line["volunteer_id"] for line in lines]
    if len(ids) != len(set(ids)):
        raise ValidationError("A volunteer is listed twice.")


def _party_schema(kinds: tuple[str, ...]) -> type[Schema]:
    class Party(Command):
        kind = fields.String(required=True, validate=validate.OneOf(kinds))
        id = _trimmed(100, required=True)

        @post_load
        def _canonical_uuid(self, data: dict, **kwargs: Any) -> dict:
            if data["kind"] in UUID_KINDS:
                try:
                    data["id"] = str(uuid.UUID(data["id"]))
                except ValueError as exc:
                    raise ValidationError("Not a valid UUID.", "id") from exc
            return data

    return Party


Organiser = _party_schema(ORGANISER_KINDS)
Claimant = _party_schema(CLAIMANT_KINDS)
Poster = _party_schema(POSTER_KINDS)


# --- activity commands ------------------------------------------------------------------


class ActivityCommand(Command):
    activity_id = IdString(required=True)


class VolunteerInActivity(ActivityCommand):
    volunteer_id = IdString(required=True)


class PublishActivity(Command):
    client_request_id = IdString(required=True)
    theme = CatalogCode(lambda: load_activity_catalog().themes, strip=True, required=True)
    kind = CatalogCode(lambda: load_activity_catalog().kind_labels, strip=True, required=True)
    title = _trimmed(100, required=True)
    description = _trimmed(2000, load_default=None, allow_none=True)
    organiser = fields.Nested(Organiser, required=True)
    county_code = fields.String(required=True, validate=_unit_in_city)
    place = _trimmed(200, required=True)
    starts_at = Instant(required=True)
    ends_at = Instant(required=True)
    capacity = fields.Integer(required=True, strict=True,
                              validate=validate.Range(min=1, max=100_000))
    team_only = fields.Boolean(load_default=False)
    team_id = IdString(load_default=None, allow_none=True)
    # only insured volunteers may sign up: true or false here overrides the catalog's rule
    # for the theme or kind (reference/activities.yaml, `insurance`)
    insurance_required = fields.Boolean(load_default=None, allow_none=True)

    @validates_schema(skip_on_field_errors=True)
    def _consistent(self, data: dict, **kwargs: Any) -> None:
        if data["ends_at"] <= data["starts_at"]:
            raise ValidationError("Must be after starts_at.", "ends_at")
        hours = load_activity_catalog().rules.max_activity_hours
        if data["ends_at"] - data["starts_at"] > timedelta(hours=hours):
            raise ValidationError(f"An activity lasts at most {hours} hours.", "ends_at")
        team_organised = data["organiser"]["kind"] == "team"
        if data["team_only"] and data.get("team_id") is None and not team_organised:
            raise ValidationError("Name the team of a team-only activity.", "team_id")
        if data.get("team_id") is not None and not data["team_only"]:
            raise ValidationError("Only a team-only activity names a team.", "team_id")


class CancelPublication(ActivityCommand):
    reason = _trimmed(200, load_default=None, allow_none=True)


class CancelActivity(ActivityCommand):
    reason = _trimmed(200, required=True)


class SignUp(VolunteerInActivity):
    at = _at()


class WithdrawSignUp(VolunteerInActivity):
    reason = _trimmed(200, load_default=None, allow_none=True)


class IssueCheckInCode(ActivityCommand):
    code = fields.String(required=True, validate=[
        validate.Length(min=MIN_LENGTH, max=32),
        validate.Regexp(r"^[A-Za-z0-9]+$", error="Letters and digits only."),
    ])
    replace = fields.Boolean(load_default=False)
    at = _at()


class CheckIn(VolunteerInActivity):
    code = fields.String(required=True, validate=validate.Length(min=1, max=32))
    at = _at()


class CheckOut(CheckIn):
    pass


class ServedLine(Command):
    volunteer_id = IdString(required=True)
    hours = Hours(required=True, validate=validate.Range(min=0, max=24))


class CompleteActivity(ActivityCommand):
    served = fields.List(fields.Nested(ServedLine), load_default=list,
                         validate=[validate.Length(max=MAX_LINES), _unique_volunteers])
    audience_reached = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0))
    beneficiaries = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0))
    evidence = _evidence(load_default=list, validate=validate.Length(max=20))
    outcome = _trimmed(2000, load_default=None, allow_none=True)
    endorsed = fields.Boolean(load_default=False)
    endorsement_note = _trimmed(200, load_default=None, allow_none=True)
    at = _at()

    @validates_schema(skip_on_field_errors=True)
    def _note_needs_endorsement(self, data: dict, **kwargs: Any) -> None:
        if data.get("endorsement_note") and not data["endorsed"]:
            raise ValidationError("Only with endorsed: true.", "endorsement_note")


class CorrectCompletion(ActivityCommand):
    corrections = fields.List(fields.Nested(ServedLine), load_default=list,
                              validate=[validate.Length(max=MAX_LINES), _unique_volunteers])
    audience_reached = fields.Integer(strict=True, load_default=None, allow_none=True,
                                      validate=validate.Range(min=0))
    beneficiaries = fields.Integer(strict=True, load_default=None, allow_none=True,
                                   validate=validate.Range(min=0))
    endorsed = fields.Boolean(load_default=None, allow_none=True)
    endorsement_note = _trimmed(200, load_default=None, allow_none=True)
    reason = _trimmed(200, required=True)

    @validates_schema(skip_on_field_errors=True)
    def _changes_something(self, data: dict, **kwargs: Any) -> None:
        optional = ("audience_reached", "beneficiaries", "endorsed")
        if not data["corrections"] and all(data.get(name) is None for name in optional):
            raise ValidationError("Give corrected hours, audience, beneficiaries or endorsement.")


# --- wish commands ----------------------------------------------------------------------


class WishCommand(Command):
    wish_id = IdString(required=True)


class PostWish(Command):
    client_request_id = IdString(required=True)
    label = Trimmed(required=True, validate=[validate.Length(min=1, max=20), _no_personal_numbers])
    county_code = fields.String(required=True, validate=_unit_in_city)
    category = CatalogCode(lambda: load_activity_catalog().wish_categories, strip=True,
                           required=True)
    description = Trimmed(required=True,
                          validate=[validate.Length(min=1, max=200), _no_personal_numbers])
    posted_by = fields.Nested(Poster, required=True)
    at = _at()


class ClaimWish(WishCommand):
    claimant = fields.Nested(Claimant, required=True)
    at = _at()


class ReleaseWishClaim(WishCommand):
    reason = _trimmed(200, required=True)


class FulfilWish(WishCommand):
    fulfilled_by = fields.Nested(Claimant, required=True)
    evidence = _evidence(required=True, validate=validate.Length(min=1, max=20))
    note = _trimmed(500, load_default=None, allow_none=True)
    at = _at()


class ConfirmWish(WishCommand):
    confirmed_by = fields.Nested(Poster, required=True)
    at = _at()
