"""What the activities service answers over RPC: an activity, a micro-wish, a page of
either. Every field is always there (null only where it allows none); the contract test
holds the service to it, field for field."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from contracts.activities.events import ClaimantV1, OrganiserV1, PosterV1
from yinfa.schemas import IdString, decimal_text

ACTIVITY_STATUSES = ("published", "publication_cancelled", "cancelled", "completed")
WISH_STATUSES = ("open", "claimed", "fulfilled", "confirmed", "expired")


class Activity(Schema):
    activity_id = IdString(required=True)
    title = fields.String(required=True)
    theme = fields.String(required=True)
    kind = fields.String(required=True)
    organiser = fields.Nested(OrganiserV1, required=True)
    county_code = fields.String(required=True)
    place = fields.String(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    capacity = fields.Integer(required=True)
    team_only = fields.Boolean(required=True)
    team_id = IdString(required=True, allow_none=True)
    # only insured volunteers sign up (not in views written before the rule)
    insurance_required = fields.Boolean(required=False)
    status = fields.String(required=True, validate=validate.OneOf(ACTIVITY_STATUSES))
    participants = fields.List(IdString(), required=True)
    waitlist = fields.List(IdString(), required=True)  # first come, first moved up
    checked_in = fields.List(IdString(), required=True)
    credited_hours = fields.Dict(keys=IdString(), values=decimal_text(), required=True)
    total_hours = decimal_text(required=True)
    audience_reached = fields.Integer(required=True)
    beneficiaries = fields.Integer(required=True)
    endorsed = fields.Boolean(required=True)
    version = fields.Integer(required=True)  # of the activity's view: grows with each change


class ActivityList(Schema):
    total = fields.Integer(required=True)
    items = fields.List(fields.Nested(Activity), required=True)


class Wish(Schema):
    """The description is the person's own words (已注销 once erased)."""

    wish_id = IdString(required=True)
    label = fields.String(required=True)
    description = fields.String(required=True)
    county_code = fields.String(required=True)
    category = fields.String(required=True)
    posted_by = fields.Nested(PosterV1, required=True)
    posted_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)
    status = fields.String(required=True, validate=validate.OneOf(WISH_STATUSES))
    claimant = fields.Nested(ClaimantV1, required=True, allow_none=True)
    claimed_at = fields.DateTime(required=True, allow_none=True)
    fulfilled_at = fields.DateTime(required=True, allow_none=True)
    evidence = fields.List(fields.String(), required=True)
    confirmed_at = fields.DateTime(required=True, allow_none=True)
    seconds_to_fulfil = fields.Integer(required=True, allow_none=True)
    version = fields.Integer(required=True)


class WishList(Schema):
    total = fields.Integer(required=True)
    items = fields.List(fields.Nested(Wish), required=True)


class CountyActivities(Schema):
    """One county's activities by status, completed ones by theme, hours credited by all
    activities, audience reached, wishes by status."""

    activities = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    themes = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    hours = decimal_text(required=True)
    audience = fields.Integer(required=True)
    wishes = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class MonthOfActivities(Schema):
    month = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-\d{2}$"))
    activities = fields.Integer(required=True)  # completed, started in that month (city time)
    by_theme = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    hours = decimal_text(required=True)
    audience = fields.Integer(required=True)


class CountyTrends(Schema):
    county_code = fields.String(required=True)
    as_of = fields.String(required=True, allow_none=True)  # the instant asked for; null: live
    themes = fields.Dict(keys=fields.String(), values=fields.String(), required=True)  # labels
    months = fields.List(fields.Nested(MonthOfActivities), required=True)  # oldest first


class FunnelStep(Schema):
    step = fields.String(required=True, validate=validate.OneOf(
        ["posted", "claimed", "fulfilled", "confirmed"]))
    count = fields.Integer(required=True)  # wishes that reached this step


class WishFunnel(Schema):
    """Posted → claimed → fulfilled → confirmed; hours from posting to confirmation."""

    county_code = fields.String(required=True)
    as_of = fields.String(required=True, allow_none=True)  # the instant asked for; null: live
    steps = fields.List(fields.Nested(FunnelStep), required=True)
    expired = fields.Integer(required=True)
    median_hours_to_fulfil = decimal_text(required=True, allow_none=True)
    mean_hours_to_fulfil = decimal_text(required=True, allow_none=True)
