"""What the volunteers service answers about model-volunteer campaigns and the talent pool
(the contract test holds the service to it, field for field)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from contracts.volunteers.replies import Volunteer
from yinfa.schemas import IdString, decimal_text

NOMINATION_STATUSES = ("nominated", "county_approved", "city_approved", "announced",
                       "rejected")


class Nomination(Schema):
    """The nominee's record as it stood when nominated; `deeds` only for one nomination
    read alone (null once the person's data is erased)."""

    nomination_id = IdString(required=True)
    title = fields.String(required=True)
    title_label = fields.String(required=True)
    year = fields.Integer(required=True)
    volunteer_id = IdString(required=True)
    name = fields.String(required=True)
    county_code = fields.String(required=True)
    verified_hours = decimal_text(required=True)
    star_level = fields.Integer(required=True)
    nominated_on = fields.Date(required=True)
    status = fields.String(required=True, validate=validate.OneOf(NOMINATION_STATUSES))
    rejected_at = fields.String(required=True, allow_none=True)
    reason_code = fields.String(required=True, allow_none=True)
    deeds = fields.String(required=False, allow_none=True)


class Campaign(Schema):
    title = fields.String(required=True)
    year = fields.Integer(required=True)
    announced_on = fields.Date(required=True, allow_none=True)
    nominations = fields.List(fields.Nested(Nomination), required=True)
    awarded = fields.List(IdString(), required=True)
    version = fields.Integer(required=True)  # of the campaign's view


class TalentProfile(Schema):
    volunteer_id = IdString(required=True)
    specialities = fields.List(fields.String(), required=True)
    former_post = fields.String(required=True, allow_none=True)
    availability = fields.List(fields.String(), required=True)
    version = fields.Integer(required=True)  # of the profile's view


class TalentCard(Volunteer):
    """A volunteer as the pool finds them: the record (personal data masked) and profile."""

    specialities = fields.List(fields.String(), required=True)
    former_post = fields.String(required=True, allow_none=True)
    availability = fields.List(fields.String(), required=True)
    matched = fields.List(fields.String(), required=False)  # a need's: what matched


class TalentPage(Schema):
    total = fields.Integer(required=True)
    items = fields.List(fields.Nested(TalentCard), required=True)


class TalentNeed(Schema):
    need_id = IdString(required=True)
    county_code = fields.String(required=True)
    skills = fields.List(fields.String(), required=True)
    specialities = fields.List(fields.String(), required=True)
    availability = fields.List(fields.String(), required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    posted_by = fields.String(required=True)
    posted_at = fields.DateTime(required=True)
    version = fields.Integer(required=True)  # of the need's view
    matches = fields.List(fields.Nested(TalentCard), required=True)
