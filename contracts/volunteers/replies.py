"""What the volunteers service answers over RPC: a volunteer, their hours, a team, a roster
import's outcome. Every field is always there (null only where it allows none) unless it
says `required=False`; the contract test holds the service to it, field for field."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from yinfa.schemas import IdString, decimal_text

STATUSES = ("registered", "verified", "active", "suspended", "withdrawn", "erased",
            "merged", "transferred_out")
ROSTER_STATUSES = ("created", "exists", "invalid", "refused")


class AwardedTitle(Schema):
    """A model-volunteer title announced for a volunteer (on their record)."""

    title = fields.String(required=True)
    label = fields.String(required=True)
    year = fields.Integer(required=True)
    announced_on = fields.Date(required=True)


class CertifiedTitle(Schema):
    """A title as a certificate names it: what was announced when it was issued."""

    title = fields.String(required=True)
    year = fields.Integer(required=True)


class VolunteerHours(Schema):
    volunteer_id = IdString(required=True)
    total_hours = decimal_text(required=True)
    verified_hours = decimal_text(required=True)
    activity_hours = decimal_text(required=True)
    star_level = fields.Integer(required=True)  # approved (认定): the one that counts
    star_level_reached = fields.Integer(required=True)  # by the verified hours
    star_level_pending = fields.Integer(required=True, allow_none=True)  # awaiting approval
    # served in the city they came from (docs/records.md): in verified_hours, for stars;
    # in no ranking here (not in views written before moving between cities existed)
    carried_hours = decimal_text(required=False)


class Volunteer(VolunteerHours):
    """Personal data masked (已注销 for an erased person); in full only when revealed."""

    name = fields.String(required=True)
    id_number_masked = fields.String(required=True, allow_none=True)
    phone_masked = fields.String(required=True, allow_none=True)
    id_number = fields.String(required=False)
    phone = fields.String(required=False)
    gender = fields.String(required=True, validate=validate.OneOf(["male", "female"]))
    birth_year = fields.Integer(required=True)
    county_code = fields.String(required=True)
    former_employer = fields.String(required=True, allow_none=True)
    retirement_status = fields.String(required=True)
    party_member = fields.Boolean(required=True)
    branch_id = fields.String(required=True, allow_none=True)
    skills = fields.List(fields.String(), required=True)
    insurance = fields.Boolean(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    verified = fields.Boolean(required=True)
    registered_at = fields.DateTime(required=True)
    teams = fields.List(IdString(), required=False)  # one volunteer's answer, not a list's
    # model-volunteer titles announced for them: one volunteer's answer, not a list's
    titles = fields.List(fields.Nested(AwardedTitle), required=False)
    # merging duplicates (not in views written before merges existed): a merged record
    # names its survivor and its merge; a survivor the merges it holds (id -> duplicate)
    merged_into = IdString(required=False, allow_none=True)
    merge_id = IdString(required=False, allow_none=True)
    merged_at = fields.DateTime(required=False, allow_none=True)
    merges_held = fields.List(IdString(), required=False)
    merged_from = fields.Dict(keys=IdString(), values=IdString(), required=False)
    # moving between cities (not in views written before): the cities' codes
    transferred_from = fields.String(required=False, allow_none=True)
    transferred_to = fields.String(required=False, allow_none=True)
    version = fields.Integer(required=True)  # of the volunteer's view: grows with each change


class VolunteerList(Schema):
    total = fields.Integer(required=True)
    items = fields.List(fields.Nested(Volunteer), required=True)


class Team(Schema):
    team_id = IdString(required=True)
    name = fields.String(required=True)
    category = fields.String(required=True)
    county_code = fields.String(required=True)
    leader_id = IdString(required=True, allow_none=True)
    description = fields.String(required=True, allow_none=True)
    members = fields.List(IdString(), required=True)
    member_count = fields.Integer(required=True)
    version = fields.Integer(required=True)


CERTIFICATE_STATUSES = ("issued", "revoked")


class Certificate(Schema):
    """A service-record certificate as issued (the holder's name is not kept with it)."""

    code = fields.String(required=True)
    volunteer_id = IdString(required=True)
    county_code = fields.String(required=True)
    total_hours = decimal_text(required=True)
    verified_hours = decimal_text(required=True)
    star_level = fields.Integer(required=True)  # approved
    issued_on = fields.Date(required=True)
    issued_at = fields.DateTime(required=True)
    issued_by = fields.String(required=True)  # a role
    status = fields.String(required=True, validate=validate.OneOf(CERTIFICATE_STATUSES))
    revoked_on = fields.Date(required=True, allow_none=True)
    # model-volunteer titles announced for the holder when issued
    titles = fields.List(fields.Nested(CertifiedTitle), required=False)
    version = fields.Integer(required=True)  # of the certificate's view


class RosterItemOutcome(Schema):
    index = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(ROSTER_STATUSES))
    volunteer_id = IdString(required=False)  # not for an invalid or refused item
    errors = fields.Dict(required=False)  # only for one


class RosterOutcome(Schema):
    """One outcome per item, in the order sent; `created` counts the new ones."""

    results = fields.List(fields.Nested(RosterItemOutcome), required=True)
    created = fields.Integer(required=True)


class CountyVolunteers(Schema):
    """One county's volunteers against its baseline of retired cadres: by status, by star
    level ("1".."5"), teams, hours (all and credited by activities)."""

    county_code = fields.String(required=True)
    county_name = fields.String(required=True)
    retired_cadres = fields.Integer(required=True)
    volunteers = fields.Integer(required=True)
    per_100_retired = fields.Float(required=True, allow_none=True)
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    by_star_level = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    teams = fields.Integer(required=True)
    hours = decimal_text(required=True)
    activity_hours = decimal_text(required=True)


TRANSFER_STATUSES = ("requested", "accepted", "declined", "cancelled", "released")


class Transfer(Schema):
    """A volunteer's latest transfer between counties and where it stands (reason codes
    of reference/transfers.yaml; instants in UTC)."""

    transfer_id = IdString(required=True)
    volunteer_id = IdString(required=True)
    from_county = fields.String(required=True)
    to_county = fields.String(required=True, allow_none=True)
    to_city = fields.String(required=True, allow_none=True)
    reason_code = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(TRANSFER_STATUSES))
    requested_at = fields.DateTime(required=True)
    decided_at = fields.DateTime(required=True, allow_none=True)  # the last step's instant
    decline_reason_code = fields.String(required=True, allow_none=True)
    cancelled_by = fields.String(required=True, allow_none=True)
    effective_at = fields.DateTime(required=True, allow_none=True)  # the release's instant
    version = fields.Integer(required=True)  # of the volunteer's stream


class TransferList(Schema):
    total = fields.Integer(required=True)
    items = fields.List(fields.Nested(Transfer), required=True)


class MergeOutcome(Schema):
    """A merge of a duplicate record into its survivor: what moved, what counts once, and
    until when it can be undone (`POST /merges/{merge_id}/undo`)."""

    merge_id = IdString(required=True)
    survivor_id = IdString(required=True)
    duplicate_id = IdString(required=True)
    merged_at = fields.DateTime(required=True)
    entries_moved = fields.Integer(required=True)
    entries_counted_once = fields.Integer(required=True)  # an activity on both records
    teams_moved = fields.List(IdString(), required=True)
    undo_until = fields.DateTime(required=True)


class Merge(Schema):
    """A merge in force, as its undo needs it: the two records and their counties."""

    merge_id = IdString(required=True)
    survivor_id = IdString(required=True)
    duplicate_id = IdString(required=True)
    survivor_county = fields.String(required=True, allow_none=True)
    duplicate_county = fields.String(required=True)
    merged_at = fields.DateTime(required=True, allow_none=True)


class MergeUndone(Schema):
    merge_id = IdString(required=True)
    survivor_id = IdString(required=True)
    duplicate_id = IdString(required=True)
    undone = fields.Boolean(required=True)


class CityTransferPackage(Schema):
    """A release to another city: the signed, encrypted package (one canonical JSON text,
    format in docs/records.md) and what names it."""

    volunteer_id = IdString(required=True)
    to_city = fields.String(required=True)
    package_id = fields.String(required=True)
    expires_at = fields.DateTime(required=True)
    package = fields.String(required=True)
