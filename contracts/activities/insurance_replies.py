"""What the activities service answers for the uninsured report (held to it by the
contract test, field for field)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from contracts.activities.replies import ACTIVITY_STATUSES
from yinfa.schemas import IdString


class UninsuredSignUp(Schema):
    """A volunteer without accident insurance signed up for an activity that asks for it."""

    activity_id = IdString(required=True)
    title = fields.String(required=True)
    theme = fields.String(required=True)
    kind = fields.String(required=True)
    county_code = fields.String(required=True)
    starts_at = fields.DateTime(required=True)
    status = fields.String(required=True, validate=validate.OneOf(ACTIVITY_STATUSES))
    volunteer_id = IdString(required=True)
    waitlisted = fields.Boolean(required=True)
