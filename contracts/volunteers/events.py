"""Event types of the volunteers context, their payload schemas per version, and upcasters.

Payloads are JSON-shaped: loading one through its schema validates it and returns it
unchanged (dates and ids stay strings, hours are decimal strings such as "2.5").
The aggregate id is the stream id and is not repeated in the payload.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import Schema, fields, validate

from contracts.volunteers.city_transfer_events import CITY_TRANSFER_SCHEMAS
from contracts.volunteers.merge_events import MERGE_SCHEMAS
from contracts.volunteers.transfer_events import (  # noqa: F401 - the transfer event types
    TEAM_MEMBER_MOVED,
    TRANSFER_ACCEPTED,
    TRANSFER_CANCELLED,
    TRANSFER_DECLINED,
    TRANSFER_REQUESTED,
    TRANSFER_SCHEMAS,
    VOLUNTEER_TRANSFERRED,
)
from yinfa.events.payloads import Hours, Id, IsoDate, PayloadCatalog

VOLUNTEER_REGISTERED = "VolunteerRegistered"
VOLUNTEER_VERIFIED = "VolunteerVerified"
VOLUNTEER_SUSPENDED = "VolunteerSuspended"
VOLUNTEER_REINSTATED = "VolunteerReinstated"
VOLUNTEER_WITHDRAWN = "VolunteerWithdrawn"
VOLUNTEER_RETURNED = "VolunteerReturned"
VOLUNTEER_PROFILE_UPDATED = "VolunteerProfileUpdated"
PERSONAL_DATA_CHANGED = "VolunteerPersonalDataChanged"
RECORD_CORRECTED = "VolunteerRecordCorrected"
VOLUNTEER_ERASED = "VolunteerErased"
HOURS_RECORDED = "HoursRecorded"
HOURS_CORRECTED = "HoursCorrected"
STAR_LEVEL_CHANGED = "StarLevelChanged"
STAR_LEVEL_APPROVED = "StarLevelApproved"
STAR_LEVEL_RETURNED = "StarLevelReturned"
TEAM_CREATED = "TeamCreated"
CERTIFICATE_ISSUED = "VolunteerCertificateIssued"
CERTIFICATE_REVOKED = "VolunteerCertificateRevoked"
VOLUNTEER_JOINED_TEAM = "VolunteerJoinedTeam"
VOLUNTEER_LEFT_TEAM = "VolunteerLeftTeam"
VOLUNTEER_NOMINATED = "VolunteerNominated"
NOMINATION_REVIEWED = "NominationReviewed"
TITLES_ANNOUNCED = "TitlesAnnounced"
TALENT_PROFILE_RECORDED = "TalentProfileRecorded"
TALENT_NEED_POSTED = "TalentNeedPosted"


# --- wire-form fields -------------------------------------------------------------------


def Text(max_length: int, **kwargs: Any) -> fields.String:  # noqa: N802
    return fields.String(validate=validate.Length(max=max_length), **kwargs)


# --- payload schemas --------------------------------------------------------------------


class RegistrationFacts(Schema):
    """What every version of a registration says of the person beyond who they are."""

    gender = fields.String(required=True, validate=validate.OneOf(["male", "female"]))
    birth_year = fields.Integer(required=True, strict=True)
    county_code = Id(required=True)
    former_employer = Text(100, allow_none=True, load_default=None)
    retirement_status = fields.String(required=True, validate=validate.OneOf(["lixiu", "tuixiu"]))
    party_member = fields.Boolean(required=True)
    branch_id = Id(allow_none=True, load_default=None)
    skills = fields.List(fields.String(), required=True)


class VolunteerRegisteredV1(RegistrationFacts):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    id_number_masked = fields.String(required=True, validate=validate.Length(equal=18))
    phone = fields.String(required=True)


class VolunteerRegisteredV2(VolunteerRegisteredV1):
    insurance = fields.Boolean(required=True)


class VolunteerRegisteredV3(RegistrationFacts):
    """Personal data (name, phone, ID number) is kept encrypted by the volunteers service
    and never enters the log: only the coarse facts other services need."""

    insurance = fields.Boolean(required=True)


class VolunteerVerifiedV1(Schema):
    county_code = Id(required=True)
    note = Text(200, allow_none=True, load_default=None)


class VolunteerSuspendedV1(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class VolunteerReinstatedV1(Schema):
    note = Text(200, allow_none=True, load_default=None)


class VolunteerWithdrawnV1(Schema):
    reason_code = Id(required=True)
    note = Text(200, allow_none=True, load_default=None)


class VolunteerReturnedV1(Schema):
    """A withdrawn volunteer (not a deceased one) is back where they stood when they
    withdrew, with their ledger and stars: the county bureau records why."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class VolunteerProfileUpdatedV2(Schema):
    former_employer = Text(100, allow_none=True)
    party_member = fields.Boolean()
    branch_id = Id(allow_none=True)
    skills = fields.List(fields.String())
    insurance = fields.Boolean()


class VolunteerProfileUpdatedV1(VolunteerProfileUpdatedV2):
    phone = fields.String()


class VolunteerPersonalDataChangedV1(Schema):
    """Which personal fields changed (the values are in the encrypted store only)."""

    fields_changed = fields.List(fields.String(validate=validate.OneOf(["name", "phone"])),
                                 required=True, validate=validate.Length(min=1))


CORRECTABLE = ("name", "gender", "birth_date", "id_number")


class VolunteerRecordCorrectedV1(Schema):
    """A county bureau corrected who the record says the person is, on an authority
    (a code of the catalog's `correction_authorities`). The name, the ID number and the
    birth date are in the encrypted store only: here by field name; gender and birth year
    are the registration's facts, so their new values are here as they were there."""

    fields_corrected = fields.List(fields.String(validate=validate.OneOf(CORRECTABLE)),
                                   required=True, validate=validate.Length(min=1))
    gender = fields.String(validate=validate.OneOf(["male", "female"]))
    birth_year = fields.Integer(strict=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))
    authority = Id(required=True)


class VolunteerErasedV1(Schema):
    """The person's data key and personal data were destroyed (PIPL art. 47): every
    replica and view drops what it holds of them; anonymous facts (hours, stars) stay."""

    erased_on = IsoDate(required=True)
    basis = fields.String(required=True, validate=validate.OneOf(
        ["person_request", "retention_ended", "consent_withdrawn"]))


class HoursRecordedV1(Schema):
    entry_id = Id(required=True)
    hours = Hours(required=True)
    served_on = IsoDate(required=True)
    source = Id(required=True)
    activity_id = Id(allow_none=True, load_default=None)


class HoursCorrectedV1(Schema):
    entry_id = Id(required=True)
    hours = Hours(required=True)
    previous_hours = Hours(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class StarLevelChangedV1(Schema):
    """v1: the star level, which changed by itself as the verified hours crossed a
    threshold."""

    from_level = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    to_level = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    total_hours = Hours(required=True)


class StarLevelChangedV2(StarLevelChangedV1):
    """v2: the level the verified hours *reach*. A level above the approved one is
    pending until its authority approves it (StarLevelApproved); a level the hours no
    longer reach is not held. `approved_by_rule` marks a v1 event, whose level counted
    without an approval (read as approved)."""

    approved_by_rule = fields.Boolean()


class StarLevelDecisionV1(Schema):
    level = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    authority = fields.String(required=True, validate=validate.OneOf(["county", "city"]))


class StarLevelApprovedV1(StarLevelDecisionV1):
    """The level's authority approved (认定) it: from now on it counts."""

    note = Text(200, allow_none=True, load_default=None)


class StarLevelReturnedV1(StarLevelDecisionV1):
    """The level's authority sent it back with a reason; it is pending again once the
    ledger changes."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class VolunteerCertificateIssuedV1(Schema):
    """A service-record certificate (服务证明), on a stream of its own named by its
    verification code: what it says of the holder when issued. No name: the holder's
    name is personal data, read from the volunteers service when it is shown."""

    volunteer_id = Id(required=True)
    county_code = Id(required=True)
    total_hours = Hours(required=True)
    verified_hours = Hours(required=True)
    star_level = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    issued_on = IsoDate(required=True)
    issued_by = fields.String(required=True, validate=validate.OneOf(
        ["city_admin", "county_admin", "volunteer"]))  # the role, not the account


class AwardedTitle(Schema):
    title = Id(required=True)
    year = fields.Integer(required=True, strict=True)


class VolunteerCertificateIssuedV2(VolunteerCertificateIssuedV1):
    """v2 adds the model-volunteer titles announced for the holder when it was issued."""

    titles = fields.List(fields.Nested(AwardedTitle), required=True)


class VolunteerCertificateRevokedV1(Schema):
    """The certificate no longer holds: its verification answers 已撤销."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))
    revoked_on = IsoDate(required=True)


class TeamCreatedV1(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    category = Id(required=True)
    county_code = Id(required=True)
    leader_id = Id(allow_none=True, load_default=None)
    description = Text(500, allow_none=True, load_default=None)


class VolunteerJoinedTeamV1(Schema):
    volunteer_id = Id(required=True)


class VolunteerLeftTeamV1(Schema):
    volunteer_id = Id(required=True)
    reason = Text(200, allow_none=True, load_default=None)


# --- model volunteers (a campaign stream per title and year) and the talent pool ----------
# The nominee's deeds are free text about a person: kept sealed by the service, never here.


class VolunteerNominatedV1(Schema):
    """A county bureau nominates a volunteer, with their record as it stood then."""

    nomination_id = Id(required=True)
    volunteer_id = Id(required=True)
    county_code = Id(required=True)
    verified_hours = Hours(required=True)
    star_level = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    nominated_on = IsoDate(required=True)


class NominationReviewedV1(Schema):
    nomination_id = Id(required=True)
    stage = fields.String(required=True, validate=validate.OneOf(["county", "city"]))
    decision = fields.String(required=True, validate=validate.OneOf(["approved", "rejected"]))
    reason_code = Id(allow_none=True, load_default=None)  # a code: never free text


class TitlesAnnouncedV1(Schema):
    """The city announces the campaign's titles: every nomination it approved."""

    announced_on = IsoDate(required=True)
    nomination_ids = fields.List(Id(), required=True)


class TalentProfileRecordedV1(Schema):
    """What the talent pool (银发人才库) knows of a volunteer beyond the record: codes only."""

    volunteer_id = Id(required=True)
    specialities = fields.List(Id(), required=True)
    former_post = Id(allow_none=True, load_default=None)
    availability = fields.List(Id(), required=True)


class TalentNeedPostedV1(Schema):
    """A branch or a county bureau asks the pool for volunteers: skills and dates."""

    county_code = Id(required=True)
    skills = fields.List(Id(), required=True)
    specialities = fields.List(Id(), required=True)
    availability = fields.List(Id(), required=True)
    starts_on = IsoDate(required=True)
    ends_on = IsoDate(required=True)
    posted_by = fields.String(required=True)  # a role, and a branch id for a branch


SCHEMAS: dict[tuple[str, int], type[Schema]] = {
    (VOLUNTEER_REGISTERED, 1): VolunteerRegisteredV1,
    (VOLUNTEER_REGISTERED, 2): VolunteerRegisteredV2,
    (VOLUNTEER_REGISTERED, 3): VolunteerRegisteredV3,
    (VOLUNTEER_VERIFIED, 1): VolunteerVerifiedV1,
    (VOLUNTEER_SUSPENDED, 1): VolunteerSuspendedV1,
    (VOLUNTEER_REINSTATED, 1): VolunteerReinstatedV1,
    (VOLUNTEER_WITHDRAWN, 1): VolunteerWithdrawnV1,
    (VOLUNTEER_RETURNED, 1): VolunteerReturnedV1,
    (VOLUNTEER_PROFILE_UPDATED, 1): VolunteerProfileUpdatedV1,
    (VOLUNTEER_PROFILE_UPDATED, 2): VolunteerProfileUpdatedV2,
    (PERSONAL_DATA_CHANGED, 1): VolunteerPersonalDataChangedV1,
    (RECORD_CORRECTED, 1): VolunteerRecordCorrectedV1,
    (VOLUNTEER_ERASED, 1): VolunteerErasedV1,
    (HOURS_RECORDED, 1): HoursRecordedV1,
    (HOURS_CORRECTED, 1): HoursCorrectedV1,
    (STAR_LEVEL_CHANGED, 1): StarLevelChangedV1,
    (STAR_LEVEL_CHANGED, 2): StarLevelChangedV2,
    (STAR_LEVEL_APPROVED, 1): StarLevelApprovedV1,
    (STAR_LEVEL_RETURNED, 1): StarLevelReturnedV1,
    (TEAM_CREATED, 1): TeamCreatedV1,
    (CERTIFICATE_ISSUED, 1): VolunteerCertificateIssuedV1,
    (CERTIFICATE_ISSUED, 2): VolunteerCertificateIssuedV2,
    (CERTIFICATE_REVOKED, 1): VolunteerCertificateRevokedV1,
    (VOLUNTEER_JOINED_TEAM, 1): VolunteerJoinedTeamV1,
    (VOLUNTEER_LEFT_TEAM, 1): VolunteerLeftTeamV1,
    **MERGE_SCHEMAS,  # merging duplicates (merge_events.py)
    **CITY_TRANSFER_SCHEMAS,  # moving to another city (city_transfer_events.py)
    **TRANSFER_SCHEMAS,  # transfers between counties (transfer_events.py)
    (VOLUNTEER_NOMINATED, 1): VolunteerNominatedV1,
    (NOMINATION_REVIEWED, 1): NominationReviewedV1,
    (TITLES_ANNOUNCED, 1): TitlesAnnouncedV1,
    (TALENT_PROFILE_RECORDED, 1): TalentProfileRecordedV1,
    (TALENT_NEED_POSTED, 1): TalentNeedPostedV1,
}


def registered_v1_to_v2(data: Mapping[str, Any]) -> dict[str, Any]:
    """v1 predates accident insurance; nobody had declared it, so it was not in place."""
    return {**data, "insurance": False}


PERSONAL_FIELDS = ("name", "phone", "id_number_masked")


def registered_v2_to_v3(data: Mapping[str, Any]) -> dict[str, Any]:
    """v2 carried the name, the phone and a masked ID number: dropped on read (and from
    the store by `yinfa migrate personal-data`)."""
    return {name: value for name, value in data.items() if name not in PERSONAL_FIELDS}


def profile_updated_v1_to_v2(data: Mapping[str, Any]) -> dict[str, Any]:
    """v1 could carry a new phone: dropped, as above."""
    return {name: value for name, value in data.items() if name != "phone"}


def star_level_changed_v1_to_v2(data: Mapping[str, Any]) -> dict[str, Any]:
    """Before approvals, a level counted as soon as it was reached."""
    return {**data, "approved_by_rule": True}


def certificate_issued_v1_to_v2(data: Mapping[str, Any]) -> dict[str, Any]:
    """Certificates issued before titles were awarded name none."""
    return {**data, "titles": []}


UPCASTERS: dict[tuple[str, int], Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    (VOLUNTEER_REGISTERED, 1): registered_v1_to_v2,
    (VOLUNTEER_REGISTERED, 2): registered_v2_to_v3,
    (VOLUNTEER_PROFILE_UPDATED, 1): profile_updated_v1_to_v2,
    (STAR_LEVEL_CHANGED, 1): star_level_changed_v1_to_v2,
    (CERTIFICATE_ISSUED, 1): certificate_issued_v1_to_v2,
}


CATALOG = PayloadCatalog(SCHEMAS, UPCASTERS)
CURRENT_VERSIONS = CATALOG.current_versions
upcast = CATALOG.upcast
new_event = CATALOG.new_event
