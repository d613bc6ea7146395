"""Command schemas at the boundary (RPC and REST input) of the volunteers service.

`load_command(RegisterVolunteer, payload)` returns a clean command dict for the domain, or
raises `ValidationFailed` with marshmallow's messages per field. Unknown fields are refused.
Ids come out as strings, `hours` as a Decimal with one decimal, dates as `date`.
"""
from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from marshmallow import (
    ValidationError,
    fields,
    post_load,
    validate,
    validates,
    validates_schema,
)

from contracts.volunteers.catalog import AUTHORITIES, load_volunteer_catalog
from contracts.volunteers.id_number import (
    birth_date_of,
    birth_year_of,
    check_id_number,
    gender_of,
    normalise,
)
from yinfa.schemas import (
    Command,
    Hours,
    IdString,
    load_command as load_command,
    not_in_future as _not_in_future,
    trimmed as _trimmed,
    unit_in_city as _unit_in_city,
)

GENDERS = {"male": "男", "female": "女"}
RETIREMENT_STATUSES = {"lixiu": "离休", "tuixiu": "退休"}
MIN_BIRTH_YEAR = 1920
MIN_AGE = 45
HOURS_SOURCES = ("activity", "bureau", "partner")
MOBILE_PHONE = r"^1[3-9]\d{9}$"


# --- fields -----------------------------------------------------------------------------


class Coded(fields.String):
    """A code that may also be given by its zh-CN label (男 → male, 离休 → lixiu)."""

    def __init__(self, labels: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.aliases = {code: code for code in labels}
        self.aliases.update({zh: code for code, zh in labels.items()})

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if text not in self.aliases:
            raise ValidationError(f"Must be one of: {', '.join(self.aliases)}.")
        return self.aliases[text]


def _within_max_hours(hours: Decimal) -> None:
    limit = load_volunteer_catalog().max_hours_per_entry
    if hours > limit:
        raise ValidationError(f"At most {limit} hours per entry.")


def _known_skills(skills: list[str]) -> None:
    unknown = sorted(set(skills) - set(load_volunteer_catalog().skills))
    if unknown:
        raise ValidationError(f"Unknown skills: {', '.join(unknown)}.")


def _valid_id_number(value: str) -> None:
    reasons = check_id_number(value)
    if reasons:
        raise ValidationError(reasons)


def id_number_field(**kwargs: Any) -> fields.String:
    """A resident ID number (GB 11643): shape, region, birth date and check digit."""
    return fields.String(validate=_valid_id_number, **kwargs)


class VolunteerCommand(Command):
    volunteer_id = IdString(required=True)


# --- volunteer commands -----------------------------------------------------------------


class RegisterVolunteer(Command):
    name = _trimmed(50, required=True)
    gender = Coded(GENDERS, required=True)
    birth_year = fields.Integer(required=True, validate=validate.Range(min=1900, max=2100))
    id_number = id_number_field(required=True)
    phone = fields.String(required=True, validate=validate.Regexp(MOBILE_PHONE,
                          error="Not a mainland mobile number."))
    county_code = fields.String(required=True, validate=_unit_in_city)
    former_employer = _trimmed(100, load_default=None, allow_none=True)
    retirement_status = Coded(RETIREMENT_STATUSES, required=True)
    party_member = fields.Boolean(load_default=False)
    branch_id = _trimmed(100, load_default=None, allow_none=True)
    skills = fields.List(fields.String(), load_default=list, validate=_known_skills)
    insurance = fields.Boolean(load_default=False)

    @validates("birth_year")
    def _plausible_birth_year(self, value: int, **kwargs: Any) -> None:
        latest = date.today().year - MIN_AGE
        if not MIN_BIRTH_YEAR <= value <= latest:
            raise ValidationError(f"Must be between {MIN_BIRTH_YEAR} and {latest}.")

    @validates_schema(skip_on_field_errors=True)
    def _id_number_matches_person(self, data: dict, **kwargs: Any) -> None:
        number = data["id_number"]
        if birth_year_of(number) != data["birth_year"]:
            raise ValidationError("Birth year in the ID number differs from birth_year.",
                                  "id_number")
        if gender_of(number) != data["gender"]:
            raise ValidationError("Gender digit of the ID number differs from gender.",
                                  "id_number")

    @post_load
    def _tidy(self, data: dict, **kwargs: Any) -> dict:
        data["id_number"] = normalise(data["id_number"])
        data["skills"] = list(dict.fromkeys(data["skills"]))
        return data


MAX_ROSTER = 500  # registrations in one roster import


class RegisterVolunteers(Command):
    """A roster: the list only; each item is checked as a `RegisterVolunteer` on its own,
    so that one bad item does not refuse the others."""

    items = fields.List(fields.Raw(), required=True,
                        validate=validate.Length(min=1, max=MAX_ROSTER))


class VerifyVolunteer(VolunteerCommand):
    county_code = fields.String(required=True, validate=_unit_in_city)
    note = _trimmed(200, load_default=None, allow_none=True)


class SuspendVolunteer(VolunteerCommand):
    reason = _trimmed(200, required=True)


class ReinstateVolunteer(VolunteerCommand):
    note = _trimmed(200, load_default=None, allow_none=True)


class EraseVolunteer(VolunteerCommand):
    """Erase a person's personal data (PIPL art. 47); the basis is recorded."""

    basis = fields.String(load_default="person_request", validate=validate.OneOf(
        ["person_request", "retention_ended", "consent_withdrawn"]))
    erased_on = fields.Date(load_default=None, allow_none=True, validate=_not_in_future)


class WithdrawVolunteer(VolunteerCommand):
    reason_code = fields.String(required=True)
    note = _trimmed(200, load_default=None, allow_none=True)

    @validates("reason_code")
    def _known_reason(self, value: str, **kwargs: Any) -> None:
        reasons = load_volunteer_catalog().withdrawal_reasons
        if value not in reasons:
            raise ValidationError(f"Must be one of: {', '.join(reasons)}.")

    @validates_schema(skip_on_field_errors=True)
    def _other_needs_a_note(self, data: dict, **kwargs: Any) -> None:
        if data["reason_code"] == "other" and not data.get("note"):
            raise ValidationError("Say why when the reason is 'other'.", "note")


class ReturnVolunteer(VolunteerCommand):
    """A withdrawn volunteer comes back (not a deceased one): why, in the bureau's words."""

    reason = _trimmed(200, required=True)


class CorrectRecord(VolunteerCommand):
    """A county bureau corrects who the record says the person is, on an authority and
    with a reason. The ID number carries the birth date and gender: given together, they
    must agree (the service checks a lone birth date or gender against the number kept)."""

    name = _trimmed(50)
    gender = Coded(GENDERS)
    birth_date = fields.Date(validate=_not_in_future)
    id_number = id_number_field()
    reason = _trimmed(200, required=True)
    authority = fields.String(required=True)

    @validates("authority")
    def _known_authority(self, value: str, **kwargs: Any) -> None:
        authorities = load_volunteer_catalog().correction_authorities
        if value not in authorities:
            raise ValidationError(f"Must be one of: {', '.join(authorities)}.")

    @validates_schema(skip_on_field_errors=True)
    def _corrects_something(self, data: dict, **kwargs: Any) -> None:
        if not {"name", "gender", "birth_date", "id_number"} & set(data):
            raise ValidationError("Give at least one of name, gender, birth_date, id_number.")
        number = data.get("id_number")
        born = data.get("birth_date") or (birth_date_of(number) if number else None)
        latest = date.today().year - MIN_AGE
        if born and not MIN_BIRTH_YEAR <= born.year <= latest:
            raise ValidationError(f"The birth year must be between {MIN_BIRTH_YEAR} and "
                                  f"{latest}.", "birth_date" if "birth_date" in data
                                  else "id_number")
        if number and data.get("birth_date") and birth_date_of(number) != data["birth_date"]:
            raise ValidationError("The ID number carries another birth date.", "birth_date")
        if number and data.get("gender") and gender_of(number) != data["gender"]:
            raise ValidationError("The ID number's gender digit differs.", "gender")

    @post_load
    def _tidy(self, data: dict, **kwargs: Any) -> dict:
        if "id_number" in data:
            data["id_number"] = normalise(data["id_number"])
        return data


class UpdateProfile(VolunteerCommand):
    """What a volunteer or their bureau may change. Branch membership is not here: it
    changes through the branch (`POST /branches/{id}/members`), which must exist."""

    phone = fields.String(validate=validate.Regexp(MOBILE_PHONE,
                          error="Not a mainland mobile number."))
    former_employer = _trimmed(100, allow_none=True)
    party_member = fields.Boolean()
    skills = fields.List(fields.String(), validate=_known_skills)
    insurance = fields.Boolean()

    @validates_schema(skip_on_field_errors=True)
    def _changes_something(self, data: dict, **kwargs: Any) -> None:
        if set(data) == {"volunteer_id"}:
            raise ValidationError("Give at least one field to update.")


class LedgerEntry(Command):
    """One ledger entry; RecordHours names the volunteer, RecordHoursBatch holds many."""

    entry_id = IdString(required=True)
    hours = Hours(required=True, validate=[validate.Range(min=0, min_inclusive=False),
                                           _within_max_hours])
    served_on = fields.Date(required=True, validate=_not_in_future)
    source = fields.String(required=True, validate=validate.OneOf(HOURS_SOURCES))
    activity_id = IdString(load_default=None, allow_none=True)

    @validates_schema(skip_on_field_errors=True)
    def _activity_hours_name_the_activity(self, data: dict, **kwargs: Any) -> None:
        if data["source"] == "activity" and not data.get("activity_id"):
            raise ValidationError("Required when source is 'activity'.", "activity_id")


class RecordHours(LedgerEntry, VolunteerCommand):
    pass


class RecordHoursBatch(VolunteerCommand):
    entries = fields.List(fields.Nested(LedgerEntry), required=True,
                          validate=validate.Length(min=1, max=500))


class CorrectHours(VolunteerCommand):
    entry_id = IdString(required=True)
    hours = Hours(required=True, validate=[validate.Range(min=0), _within_max_hours])
    reason = _trimmed(200, required=True)


def _a_star_level(level: int) -> None:
    levels = len(load_volunteer_catalog().star_levels)
    if not 1 <= level <= levels:
        raise ValidationError(f"A star level from 1 to {levels}.")


class StarLevelDecision(VolunteerCommand):
    """An authority's decision on a pending star level; `approver` is the authority the
    caller speaks for (the gateway sets it from the caller's role, never from the body)."""

    level = fields.Integer(required=True, strict=True, validate=_a_star_level)
    approver = fields.String(required=True, validate=validate.OneOf(AUTHORITIES))


class ApproveStarLevel(StarLevelDecision):
    note = _trimmed(200, load_default=None, allow_none=True)


class ReturnStarLevel(StarLevelDecision):
    reason = _trimmed(200, required=True)


# --- certificates -------------------------------------------------------------------------

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed
CERTIFICATE_CODE = r"^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$"
ISSUERS = ("city_admin", "county_admin", "volunteer")


def new_certificate_code() -> str:
    """A random verification code (not derived from the person): XXXX-XXXX-XXXX."""
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return "-".join(chars[i:i + 4] for i in range(0, 12, 4))


class CertificateCode(fields.String):
    """A verification code as printed; typed in lower case it is the same code."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip().upper()


def certificate_code(**kwargs: Any) -> CertificateCode:
    return CertificateCode(validate=validate.Regexp(
        CERTIFICATE_CODE, error="A code such as ABCD-EFGH-JKLM."), **kwargs)


class IssueCertificate(VolunteerCommand):
    code = certificate_code(load_default=new_certificate_code)
    issued_by = fields.String(required=True, validate=validate.OneOf(ISSUERS))


class AdoptCertificate(Command):
    """A certificate the gateway issued before certificates were events, as it was issued:
    moved into the log once (its former `issued_by`, role:account, keeps the role)."""

    code = certificate_code(required=True)
    volunteer_id = IdString(required=True)
    county_code = fields.String(required=True)
    total_hours = Hours(required=True, validate=validate.Range(min=0))
    verified_hours = Hours(required=True, validate=validate.Range(min=0))
    star_level = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    issued_on = fields.Date(required=True)
    issued_by = fields.String(required=True)

    @validates("issued_by")
    def _an_issuing_role(self, value: str, **kwargs: Any) -> None:
        if value.partition(":")[0] not in ISSUERS:
            raise ValidationError(f"A role of: {', '.join(ISSUERS)}.")

    @post_load
    def _role_only(self, data: dict, **kwargs: Any) -> dict:
        data["issued_by"] = data["issued_by"].partition(":")[0]
        return data


class RevokeCertificate(Command):
    code = certificate_code(required=True)
    reason = _trimmed(200, required=True)


# --- team commands ----------------------------------------------------------------------


class CreateTeam(Command):
    team_id = IdString(load_default=lambda: str(uuid.uuid4()))
    name = _trimmed(60, required=True)
    category = fields.String(required=True)
    county_code = fields.String(required=True, validate=_unit_in_city)
    leader_id = IdString(load_default=None, allow_none=True)
    description = _trimmed(500, load_default=None, allow_none=True)

    @validates("category")
    def _known_category(self, value: str, **kwargs: Any) -> None:
        categories = load_volunteer_catalog().team_categories
        if value not in categories:
            raise ValidationError(f"Must be one of: {', '.join(categories)}.")


class JoinTeam(Command):
    team_id = IdString(required=True)
    volunteer_id = IdString(required=True)


class LeaveTeam(Command):
    team_id = IdString(required=True)
    volunteer_id = IdString(required=True)
    reason = _trimmed(200, load_default=None, allow_none=True)


# --- merging duplicates -------------------------------------------------------------------


class MergeVolunteers(VolunteerCommand):
    """Merge the record `duplicate_id` into the record `volunteer_id` (the survivor), why
    in the bureau's words. Two verified records with different ID numbers are two people,
    unless `id_number` (the person's true number, as the correction that led here named
    it) is the survivor's: then the duplicate's number was the mistake."""

    duplicate_id = IdString(required=True)
    reason = _trimmed(200, required=True)
    id_number = id_number_field()
    merge_id = IdString(load_default=lambda: str(uuid.uuid4()))

    @validates_schema(skip_on_field_errors=True)
    def _two_records(self, data: dict, **kwargs: Any) -> None:
        if data["duplicate_id"] == data.get("volunteer_id"):
            raise ValidationError("A record cannot be merged into itself.", "duplicate_id")


class UndoMerge(Command):
    """Compensate a merge, within the configured window (YINFA_MERGE_UNDO_DAYS)."""

    merge_id = IdString(required=True)
    reason = _trimmed(200, required=True)


# --- model volunteers and the talent pool (their own module; the table finds them here) --

# --- moving to another city (their own module; the table finds them here) -----------------
from contracts.volunteers.city_transfer_commands import (  # noqa: E402
    TransferInFromCity as TransferInFromCity,
    TransferOutOfCity as TransferOutOfCity,
)
from contracts.volunteers.recognition_commands import (  # noqa: E402
    AnnounceTitles as AnnounceTitles,
    NominateVolunteer as NominateVolunteer,
    PostTalentNeed as PostTalentNeed,
    RecordTalentProfile as RecordTalentProfile,
    ReviewNomination as ReviewNomination,
)

# --- transfers between counties (their own module; the table finds them here) ------------
from contracts.volunteers.transfer_commands import (  # noqa: E402
    AcceptTransfer as AcceptTransfer,
    CancelTransfer as CancelTransfer,
    DeclineTransfer as DeclineTransfer,
    MoveTeamMember as MoveTeamMember,
    ReleaseTransfer as ReleaseTransfer,
    RequestTransfer as RequestTransfer,
)
