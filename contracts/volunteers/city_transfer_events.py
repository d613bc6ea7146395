"""Events of moving to another city (转移接续 across platforms): the sending city releases
the volunteer (their record stays, read-only, status `transferred_out`, its hours counted
where they were served), and the receiving city registers them with the history the
signed package carried. Only codes, ids, hours, days and levels: the person's identity
travels encrypted in the package and lands in the receiving city's sealed store.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from yinfa.events.payloads import Hours, Id, IsoDate

VOLUNTEER_TRANSFERRED_OUT = "VolunteerTransferredOut"
VOLUNTEER_TRANSFERRED_IN = "VolunteerTransferredIn"
CITY_TRANSFER_EVENTS = frozenset({VOLUNTEER_TRANSFERRED_OUT, VOLUNTEER_TRANSFERRED_IN})

CITY_CODE = validate.Regexp(r"^\d{4}$")
PACKAGE_ID = validate.Regexp(r"^[0-9a-f]{32}$")
AUTHORITIES = ("county", "city")


class VolunteerTransferredOutV1(Schema):
    """Released to another city: the record is read-only from now on. `county_code` is
    the county that held them (where their hours stay counted); `package_id` names the
    signed package the receiving city imports."""

    to_city = fields.String(required=True, validate=CITY_CODE)
    county_code = Id(required=True)
    package_id = fields.String(required=True, validate=PACKAGE_ID)
    released_by = fields.String(required=True, validate=validate.OneOf(AUTHORITIES))


class CarriedEntry(Schema):
    """A ledger line served in the sending city: kept and shown, counted in no ranking
    here."""

    served_in = fields.String(required=True, validate=CITY_CODE)
    served_on = IsoDate(required=True)
    hours = Hours(required=True)
    source = Id(required=True)
    activity_kind = Id(allow_none=True, load_default=None)
    theme = Id(allow_none=True, load_default=None)


class CarriedStarLevel(Schema):
    level = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    authority = fields.String(required=True, validate=validate.OneOf(AUTHORITIES))
    approved_on = IsoDate(required=True)


class CarriedStatus(Schema):
    status = Id(required=True)
    on = IsoDate(required=True)


class CarriedTeam(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    category = Id(required=True)


class CarriedCertificate(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    issued_on = IsoDate(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["issued", "revoked"]))


class VolunteerTransferredInV1(Schema):
    """Registered here from another city's signed package (the VolunteerRegistered of the
    same commit says who they are in coarse facts), or back on the record they left here
    with (then in the county that released them, and nothing else in the commit but a
    verification or a star level). `carried_hours` (the sum of `entries`, the hours the
    package lists as served in other cities) were served elsewhere: on the record, in
    their star level, in no county's ranking here. `star_level` is the level `from_city`
    approved."""

    from_city = fields.String(required=True, validate=CITY_CODE)
    from_county = Id(required=True)
    county_code = Id(required=True)
    package_id = fields.String(required=True, validate=PACKAGE_ID)
    carried_hours = Hours(required=True)
    star_level = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    verified = fields.Boolean(required=True)
    entries = fields.List(fields.Nested(CarriedEntry), required=True)
    star_levels = fields.List(fields.Nested(CarriedStarLevel), required=True)
    statuses = fields.List(fields.Nested(CarriedStatus), required=True)
    teams = fields.List(fields.Nested(CarriedTeam), required=True)
    certificates = fields.List(fields.Nested(CarriedCertificate), required=True)


CITY_TRANSFER_SCHEMAS: dict[tuple[str, int], type[Schema]] = {
    (VOLUNTEER_TRANSFERRED_OUT, 1): VolunteerTransferredOutV1,
    (VOLUNTEER_TRANSFERRED_IN, 1): VolunteerTransferredInV1,
}
