"""The volunteer record a transfer package carries (format `yinfa.volunteer-record`,
version 1): what one city's platform tells another about a person who moves there.

It travels only inside a city package (`yinfa.city_packages`): signed by the sending city,
encrypted to the receiving one, since it holds the person's identity. The receiving
platform loads it with `VolunteerRecordV1` (unknown fields refused) after the package's
signature, recipient and expiry are checked. docs/records.md describes every field.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from contracts.volunteers.id_number import birth_date_of, check_id_number, gender_of

RECORD_FORMAT = "yinfa.volunteer-record"
RECORD_VERSION = 1
PACKAGE_KIND = "volunteer-transfer"  # the city package's `kind`
MAX_PACKAGE_BYTES = 1024 * 1024  # a record of decades of weekly service fits many times
VALID_DAYS = 30  # a package not imported within this many days must be issued again
CITY_CODE = validate.Regexp(r"^\d{4}$")
CODE = validate.Regexp(r"^[A-Za-z0-9_:.-]{1,64}$")


class _Strict(Schema):
    class Meta:
        unknown = RAISE


def _hours(**kwargs: Any) -> fields.Decimal:
    return fields.Decimal(places=1, as_string=True, validate=validate.Range(min=0),
                          **kwargs)


class Source(_Strict):
    city_code = fields.String(required=True, validate=CITY_CODE)
    city_name = fields.String(required=True, validate=validate.Length(min=1, max=40))
    county_code = fields.String(required=True, validate=CODE)
    county_name = fields.String(required=True, validate=validate.Length(min=1, max=40))
    volunteer_id = fields.String(required=True, validate=CODE)
    released_on = fields.Date(required=True)


class Person(_Strict):
    """The person's identity: personal data, sealed on arrival, never in an event."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    id_number = fields.String(required=True)
    phone = fields.String(required=True, validate=validate.Length(min=5, max=20))
    gender = fields.String(required=True, validate=validate.OneOf(["male", "female"]))
    birth_date = fields.Date(required=True)

    @validates_schema(skip_on_field_errors=True)
    def _agrees_with_id_number(self, data: dict, **kwargs: Any) -> None:
        reasons = check_id_number(data["id_number"])
        if reasons:
            raise ValidationError(reasons, "id_number")
        if birth_date_of(data["id_number"]) != data["birth_date"]:
            raise ValidationError("Not the ID number's birth date.", "birth_date")
        if gender_of(data["id_number"]) != data["gender"]:
            raise ValidationError("Not the ID number's gender.", "gender")


class Profile(_Strict):
    retirement_status = fields.String(required=True,
                                      validate=validate.OneOf(["lixiu", "tuixiu"]))
    party_member = fields.Boolean(required=True)
    former_employer = fields.String(required=True, allow_none=True,
                                    validate=validate.Length(max=100))
    skills = fields.List(fields.String(validate=CODE), required=True)
    insurance = fields.Boolean(required=True)


class Status(_Strict):
    status = fields.String(required=True, validate=CODE)
    on = fields.Date(required=True)


class HoursEntry(_Strict):
    served_in = fields.String(required=True, validate=CITY_CODE)  # the city's code
    served_on = fields.Date(required=True)
    hours = _hours(required=True)
    source = fields.String(required=True, validate=CODE)
    activity_kind = fields.String(required=True, allow_none=True, validate=CODE)
    theme = fields.String(required=True, allow_none=True, validate=CODE)


class StarLevel(_Strict):
    level = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=9))
    authority = fields.String(required=True, validate=validate.OneOf(["county", "city"]))
    approved_on = fields.Date(required=True)


class Team(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    category = fields.String(required=True, validate=CODE)


class Certificate(_Strict):
    code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    issued_on = fields.Date(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["issued", "revoked"]))


class VolunteerRecordV1(_Strict):
    format = fields.String(required=True, validate=validate.Equal(RECORD_FORMAT))
    version = fields.Integer(required=True, strict=True, validate=validate.Equal(1))
    source = fields.Nested(Source, required=True)
    person = fields.Nested(Person, required=True)
    profile = fields.Nested(Profile, required=True)
    verified = fields.Boolean(required=True)
    statuses = fields.List(fields.Nested(Status), required=True)
    hours = fields.List(fields.Nested(HoursEntry), required=True)
    hours_total = _hours(required=True)
    star_level = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    star_levels = fields.List(fields.Nested(StarLevel), required=True)
    teams = fields.List(fields.Nested(Team), required=True)
    certificates = fields.List(fields.Nested(Certificate), required=True)

    @validates_schema(skip_on_field_errors=True)
    def _consistent(self, data: dict, **kwargs: Any) -> None:
        total = sum((entry["hours"] for entry in data["hours"]), Decimal(0))
        if total != data["hours_total"]:
            raise ValidationError(f"Not the sum of the hours entries ({total}).",
                                  "hours_total")
        approved = {level["level"] for level in data["star_levels"]}
        if data["star_level"] and data["star_level"] not in approved:
            raise ValidationError("Not a level the record's approvals reach.", "star_level")
