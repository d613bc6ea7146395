"""Event types of the branches context, their payload schemas per version, and upcasters.

Three kinds of stream: `branch-<id>` (the branch and its members), `certification-<id>`
(the certification ladder of the branch with that id) and `brand-<id>` (the party-building
brand of the branch with that id: one brand per branch, 一支部一品牌). Payloads are
JSON-shaped (dates are ISO strings, scores decimal strings); the aggregate id is the stream
id and is not repeated in the payload.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from yinfa.events.payloads import Id, IsoDate, PayloadCatalog

BRANCH_ESTABLISHED = "BranchEstablished"
BRANCH_RENAMED = "BranchRenamed"
BRANCH_OFFICERS_CHANGED = "BranchOfficersChanged"
BRANCH_MOVED = "BranchMoved"
MEMBER_ADDED = "MemberAdded"
MEMBER_REMOVED = "MemberRemoved"
MEMBER_MOVED = "MemberMoved"  # from one branch to another: on both streams
BRANCH_MERGED = "BranchMerged"
BRANCH_ABSORBED = "BranchAbsorbed"
BRANCH_DISSOLVED = "BranchDissolved"
# two records of one person merged by the volunteers service, and the merge undone
MEMBER_RECORDS_MERGED = "MemberRecordsMerged"
MEMBER_RECORDS_UNMERGED = "MemberRecordsUnmerged"

CERTIFICATION_APPLIED = "CertificationApplied"
ITEM_REVIEWED = "ItemReviewed"
CERTIFICATION_GRANTED = "CertificationGranted"
CERTIFICATION_REFUSED = "CertificationRefused"
REVIEW_FALLEN_DUE = "ReviewFallenDue"
REVIEW_PASSED = "ReviewPassed"
REVIEW_FAILED = "ReviewFailed"
CERTIFICATION_REVOKED = "CertificationRevoked"
CERTIFICATION_EXPIRED = "CertificationExpired"

BRAND_APPLIED = "BrandApplied"
BRAND_REVIEWED = "BrandReviewed"
BRAND_SELECTED = "BrandSelected"


# --- wire-form fields -------------------------------------------------------------------


def _decimal_string(value: str) -> None:
    try:
        valid = Decimal(value).is_finite()
    except InvalidOperation as exc:
        raise ValidationError("Not a decimal number.") from exc
    if not valid:
        raise ValidationError("Must be a finite number.")


def Text(max_length: int, **kwargs: Any) -> fields.String:  # noqa: N802
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


def OptionalText(max_length: int, **kwargs: Any) -> fields.String:  # noqa: N802
    return fields.String(validate=validate.Length(max=max_length), allow_none=True,
                         load_default=None, **kwargs)


def Year(**kwargs: Any) -> fields.Integer:  # noqa: N802
    return fields.Integer(strict=True, validate=validate.Range(min=1949, max=2200), **kwargs)


# --- branch stream ----------------------------------------------------------------------


class BranchBase(Schema):
    """What every version of an establishment says of the branch."""

    name = Text(60, required=True)
    branch_type = Id(required=True)
    level = Id(required=True)
    county_code = Id(required=True)
    parent_id = Id(allow_none=True, load_default=None)
    former_employer = OptionalText(100)
    community = OptionalText(100)
    established_on = IsoDate(required=True)


class BranchEstablishedV1(BranchBase):
    secretary = OptionalText(50)
    liaison = OptionalText(50)


class BranchEstablishedV2(BranchBase):
    """Officers by reference to their names, sealed by the service: never by name."""

    secretary_ref = Id(allow_none=True, load_default=None)
    liaison_ref = Id(allow_none=True, load_default=None)


class BranchRenamedV1(Schema):
    name = Text(60, required=True)
    previous_name = Text(60, required=True)


class BranchOfficersChangedV1(Schema):
    """Only the officers that changed; None means the post is now vacant."""

    secretary = fields.String(allow_none=True, validate=validate.Length(max=50))
    liaison = fields.String(allow_none=True, validate=validate.Length(max=50))


class BranchOfficersChangedV2(Schema):
    """Only the officers that changed; None means the post is now vacant."""

    secretary_ref = Id(allow_none=True)
    liaison_ref = Id(allow_none=True)


class BranchMovedV1(Schema):
    parent_id = Id(allow_none=True, required=True)
    previous_parent_id = Id(allow_none=True, required=True)


class MemberAddedV1(Schema):
    volunteer_id = Id(required=True)


class MemberRemovedV1(Schema):
    volunteer_id = Id(required=True)
    reason = OptionalText(200)


class MemberMovedV1(Schema):
    """A member moved from one branch to another, their membership history kept: the same
    event on both streams, `side` saying which end this stream is (out: the member left
    it; in: the member joined it), `move_id` pairing the two ends."""

    move_id = Id(required=True)
    volunteer_id = Id(required=True)
    from_branch_id = Id(required=True)
    to_branch_id = Id(required=True)
    side = fields.String(required=True, validate=validate.OneOf(["out", "in"]))


class BranchMergedV1(Schema):
    into_branch_id = Id(required=True)
    reason = Text(200, required=True)
    members = fields.List(Id(), required=True)
    merged_on = IsoDate(required=True)


class BranchAbsorbedV1(Schema):
    from_branch_id = Id(required=True)
    members = fields.List(Id(), required=True)


class MemberRecordsMergedV1(Schema):
    """The volunteers service merged the duplicate record, a member here, into the
    survivor: the duplicate left, and `outcome` says what became of the survivor (joined;
    a member already; or given up: a branch takes its own county's members only)."""

    merge_id = Id(required=True)
    duplicate_id = Id(required=True)
    survivor_id = Id(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(
        ["joined", "already_member", "given_up"]))


class MemberRecordsUnmergedV1(Schema):
    """The merge undone: what it changed here given back, and only that."""

    merge_id = Id(required=True)
    duplicate_id = Id(required=True)
    survivor_id = Id(required=True)
    duplicate_rejoined = fields.Boolean(required=True)
    survivor_left = fields.Boolean(required=True)


class BranchDissolvedV1(Schema):
    reason = Text(200, required=True)
    dissolved_on = IsoDate(required=True)


# --- certification stream ---------------------------------------------------------------


class ChecklistItemV1(Schema):
    code = Id(required=True)
    mandatory = fields.Boolean(required=True)


class EvidenceV1(Schema):
    item = Id(required=True)
    text = Text(2000, required=True)
    links = fields.List(fields.String(validate=validate.Length(min=1, max=500)),
                        load_default=list)


class ApplicationBase(Schema):
    """The checklist's items are copied in, so a later checklist version changes nothing."""

    application_id = Id(required=True)
    level = Id(required=True)
    checklist = Id(required=True)
    checklist_version = fields.Integer(required=True, strict=True)
    items = fields.List(fields.Nested(ChecklistItemV1), required=True)
    evidence = fields.List(fields.Nested(EvidenceV1), required=True)
    applied_on = IsoDate(required=True)


class CertificationAppliedV1(ApplicationBase):
    applicant = Text(50, required=True)


class CertificationAppliedV2(ApplicationBase):
    applicant_ref = Id(allow_none=True, required=True)


class ItemReviewedV1(Schema):
    application_id = Id(required=True)
    item = Id(required=True)
    met = fields.Boolean(required=True)
    note = OptionalText(500)
    reviewer = Text(50, required=True)


class ItemReviewedV2(Schema):
    application_id = Id(required=True)
    item = Id(required=True)
    met = fields.Boolean(required=True)
    note = OptionalText(500)
    reviewer_ref = Id(allow_none=True, required=True)


class CertificationGrantedV1(Schema):
    application_id = Id(required=True)
    level = Id(required=True)
    previous_level = Id(allow_none=True, load_default=None)
    granted_by = Id(required=True)
    granter_county = Id(allow_none=True, load_default=None)
    granted_on = IsoDate(required=True)
    valid_until = IsoDate(required=True)
    external_reference = OptionalText(200)


class CertificationRefusedV1(Schema):
    application_id = Id(required=True)
    level = Id(required=True)
    refused_by = Id(required=True)
    reason = Text(500, required=True)
    unmet_items = fields.List(Id(), required=True)


class ReviewFallenDueV1(Schema):
    application_id = Id(required=True)
    level = Id(required=True)
    due_on = IsoDate(required=True)


class ReviewPassedV1(Schema):
    due_on = IsoDate(required=True)
    reviewer = Id(required=True)
    note = OptionalText(500)


class ReviewFailedV1(Schema):
    due_on = IsoDate(required=True)
    reviewer = Id(required=True)
    note = Text(500, required=True)


class CertificationRevokedV1(Schema):
    level = Id(required=True)
    revoked_by = Id(required=True)
    reason = Text(500, required=True)
    revoked_on = IsoDate(required=True)


class CertificationExpiredV1(Schema):
    level = Id(required=True)
    valid_until = IsoDate(required=True)


# --- brand stream -----------------------------------------------------------------------


class BrandAppliedV1(Schema):
    """`cultivation_years` is the rule in force at application, so the fold needs no catalog."""

    name = Text(60, required=True)
    description = Text(2000, required=True)
    first_year = Year(required=True)
    cultivation_years = fields.Integer(required=True, strict=True,
                                       validate=validate.Range(min=1, max=10))


class BrandAppliedV2(Schema):
    """With the programme theme the brand serves (a code of the activity catalog's
    themes, 讲好党的故事 …), or None: brands applied for before had none."""

    name = Text(60, required=True)
    description = Text(2000, required=True)
    first_year = Year(required=True)
    cultivation_years = fields.Integer(required=True, strict=True,
                                       validate=validate.Range(min=1, max=10))
    theme = fields.String(required=True, allow_none=True, validate=validate.Length(max=40))


def brand_applied_without_theme(data: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "theme": None}


class BrandReviewedV1(Schema):
    year = Year(required=True)
    passed = fields.Boolean(required=True)
    note = OptionalText(500)
    reviewer = Text(50, required=True)


class BrandReviewedV2(Schema):
    year = Year(required=True)
    passed = fields.Boolean(required=True)
    note = OptionalText(500)
    reviewer_ref = Id(allow_none=True, required=True)


class BrandSelectedV1(Schema):
    year = Year(required=True)
    rank = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    score = fields.String(required=True, validate=_decimal_string)
    top_n = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


SCHEMAS: dict[tuple[str, int], type[Schema]] = {
    (BRANCH_ESTABLISHED, 1): BranchEstablishedV1,
    (BRANCH_ESTABLISHED, 2): BranchEstablishedV2,
    (BRANCH_RENAMED, 1): BranchRenamedV1,
    (BRANCH_OFFICERS_CHANGED, 1): BranchOfficersChangedV1,
    (BRANCH_OFFICERS_CHANGED, 2): BranchOfficersChangedV2,
    (BRANCH_MOVED, 1): BranchMovedV1,
    (MEMBER_ADDED, 1): MemberAddedV1,
    (MEMBER_REMOVED, 1): MemberRemovedV1,
    (MEMBER_MOVED, 1): MemberMovedV1,
    (BRANCH_MERGED, 1): BranchMergedV1,
    (BRANCH_ABSORBED, 1): BranchAbsorbedV1,
    (BRANCH_DISSOLVED, 1): BranchDissolvedV1,
    (MEMBER_RECORDS_MERGED, 1): MemberRecordsMergedV1,
    (MEMBER_RECORDS_UNMERGED, 1): MemberRecordsUnmergedV1,
    (CERTIFICATION_APPLIED, 1): CertificationAppliedV1,
    (CERTIFICATION_APPLIED, 2): CertificationAppliedV2,
    (ITEM_REVIEWED, 1): ItemReviewedV1,
    (ITEM_REVIEWED, 2): ItemReviewedV2,
    (CERTIFICATION_GRANTED, 1): CertificationGrantedV1,
    (CERTIFICATION_REFUSED, 1): CertificationRefusedV1,
    (REVIEW_FALLEN_DUE, 1): ReviewFallenDueV1,
    (REVIEW_PASSED, 1): ReviewPassedV1,
    (REVIEW_FAILED, 1): ReviewFailedV1,
    (CERTIFICATION_REVOKED, 1): CertificationRevokedV1,
    (CERTIFICATION_EXPIRED, 1): CertificationExpiredV1,
    (BRAND_APPLIED, 1): BrandAppliedV1,
    (BRAND_APPLIED, 2): BrandAppliedV2,
    (BRAND_REVIEWED, 1): BrandReviewedV1,
    (BRAND_REVIEWED, 2): BrandReviewedV2,
    (BRAND_SELECTED, 1): BrandSelectedV1,
}


# v1 of these carried people's names; v2 carries references to sealed names. A v1 read
# before `yinfa migrate personal-data` has sealed its names shows no name (None); the
# migration rewrites v1 events to v2 with references, the one sanctioned rewrite.
NAMED_FIELDS: dict[str, tuple[str, ...]] = {
    BRANCH_ESTABLISHED: ("secretary", "liaison"),
    BRANCH_OFFICERS_CHANGED: ("secretary", "liaison"),
    CERTIFICATION_APPLIED: ("applicant",),
    ITEM_REVIEWED: ("reviewer",),
    BRAND_REVIEWED: ("reviewer",),
}


def without_names(event_type: str) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    named = NAMED_FIELDS[event_type]

    def upcast_v1(data: Mapping[str, Any]) -> dict[str, Any]:
        kept = {key: value for key, value in data.items() if key not in named}
        kept.update({f"{name}_ref": None for name in named if name in data})
        return kept

    return upcast_v1


UPCASTERS: dict[tuple[str, int], Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    (event_type, 1): without_names(event_type) for event_type in NAMED_FIELDS}
UPCASTERS[(BRAND_APPLIED, 1)] = brand_applied_without_theme

BRANCH_EVENTS = frozenset({
    BRANCH_ESTABLISHED, BRANCH_RENAMED, BRANCH_OFFICERS_CHANGED, BRANCH_MOVED, MEMBER_ADDED,
    MEMBER_REMOVED, BRANCH_MERGED, BRANCH_ABSORBED, BRANCH_DISSOLVED,
    MEMBER_MOVED, MEMBER_RECORDS_MERGED, MEMBER_RECORDS_UNMERGED,
})
CERTIFICATION_EVENTS = frozenset({
    CERTIFICATION_APPLIED, ITEM_REVIEWED, CERTIFICATION_GRANTED, CERTIFICATION_REFUSED,
    REVIEW_FALLEN_DUE, REVIEW_PASSED, REVIEW_FAILED, CERTIFICATION_REVOKED,
    CERTIFICATION_EXPIRED,
})
BRAND_EVENTS = frozenset({BRAND_APPLIED, BRAND_REVIEWED, BRAND_SELECTED})


CATALOG = PayloadCatalog(SCHEMAS, UPCASTERS)
CURRENT_VERSIONS = CATALOG.current_versions
upcast = CATALOG.upcast
new_event = CATALOG.new_event
