"""What the branches service answers over RPC: a branch (with its brand), its certification
history, the county coverage, the demonstration branches, the year's top brands. Every
field is always there (null only where it allows none) unless it says `required=False`;
codes come with their zh-CN labels; the contract test holds the service to it."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from yinfa.schemas import IdString, decimal_text, label

STATUSES = ("active", "merged", "dissolved")
# a brand's status (services/branches/domain/brand.py) and how the bureaus name it
BRAND_STATUS_LABELS = {"cultivating": "培育中", "established": "已创建",
                       "failed": "创建未通过", "delisted": "已摘牌"}


class BrandReview(Schema):
    year = fields.Integer(required=True)
    passed = fields.Boolean(required=True)


class BrandSelection(Schema):
    year = fields.Integer(required=True)
    rank = fields.Integer(required=True)


class Brand(Schema):
    branch_id = IdString(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    first_year = fields.Integer(required=True)
    cultivation_years = fields.Integer(required=True)
    theme = fields.String(required=True, allow_none=True)  # a code of the activity themes
    status = fields.String(required=True)
    live = fields.Boolean(required=True)
    next_review_year = fields.Integer(required=True)
    reviews = fields.List(fields.Nested(BrandReview), required=True)  # this cultivation's
    selected = fields.List(fields.Nested(BrandSelection), required=True)


class Branch(Schema):
    """The certification shown is the one valid today, or none."""

    branch_id = IdString(required=True)
    name = fields.String(required=True)
    branch_type = fields.String(required=True)
    branch_type_label = label(required=True)
    level = fields.String(required=True)
    level_label = label(required=True)
    county_code = fields.String(required=True)
    parent_id = IdString(required=True, allow_none=True)
    former_employer = fields.String(required=True, allow_none=True)
    community = fields.String(required=True, allow_none=True)
    secretary = fields.String(required=True, allow_none=True)
    liaison = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    established_on = fields.Date(required=True)
    closed_on = fields.Date(required=True, allow_none=True)
    merged_into = IdString(required=True, allow_none=True)
    absorbed_from = fields.List(IdString(), required=True)
    members = fields.List(IdString(), required=True)
    member_count = fields.Integer(required=True)
    certification_level = fields.String(required=True, allow_none=True)
    certification_label = label(required=True, allow_none=True)
    certified_on = fields.Date(required=True, allow_none=True)
    certified_until = fields.Date(required=True, allow_none=True)
    brand = fields.Nested(Brand, required=False, allow_none=True)  # one branch's, not a list's


class BranchList(Schema):
    total = fields.Integer(required=True)
    items = fields.List(fields.Nested(Branch), required=True)


class Holding(Schema):
    application_id = IdString(required=True)
    level = fields.String(required=True)
    level_label = label(required=True)
    granted_by = fields.String(required=True)
    granted_on = fields.Date(required=True)
    valid_until = fields.Date(required=True)
    external_reference = fields.String(required=True, allow_none=True)
    status = fields.String(required=True)
    fallen_due = fields.List(fields.Date(), required=True)
    reviewed = fields.List(fields.Date(), required=True)
    pending_reviews = fields.List(fields.Date(), required=True)


class ItemEvidence(Schema):
    text = fields.String(required=True)
    links = fields.List(fields.String(), required=True)


class ChecklistItem(Schema):
    """The evidence given for one item and the reviewer's decision (null: not reviewed)."""

    item = fields.String(required=True)
    mandatory = fields.Boolean(required=True)
    evidence = fields.Nested(ItemEvidence, required=True, allow_none=True)
    met = fields.Boolean(required=True, allow_none=True)
    note = fields.String(required=True, allow_none=True)
    reviewer = fields.String(required=True, allow_none=True)


class Application(Schema):
    application_id = IdString(required=True)
    level = fields.String(required=True)
    level_label = label(required=True)
    checklist = fields.String(required=True)
    checklist_version = fields.Integer(required=True)
    applicant = fields.String(required=True)
    applied_on = fields.Date(required=True)
    status = fields.String(required=True)
    unmet_mandatory = fields.List(fields.String(), required=True)
    items = fields.List(fields.Nested(ChecklistItem), required=True)


class CertificationHistory(Schema):
    branch_id = IdString(required=True)
    holding = fields.Nested(Holding, required=True, allow_none=True)
    past = fields.List(fields.Nested(Holding), required=True)
    applications = fields.List(fields.Nested(Application), required=True)
    open_application = IdString(required=True, allow_none=True)
    next_due_on = fields.Date(required=True, allow_none=True)  # the next review or expiry


class Coverage(Schema):
    """One county: formal branches that count, how many are certified, the share."""

    county_code = fields.String(required=True)
    county_name = label(required=True)
    reference_branches = fields.Integer(required=True)
    formal_branches = fields.Integer(required=True)
    certified = fields.Integer(required=True)
    share = decimal_text(required=True, allow_none=True)  # none without formal branches
    target_share = decimal_text(required=True)
    meets_target = fields.Boolean(required=True)


class DemonstrationBranch(Schema):
    branch_id = IdString(required=True)
    name = fields.String(required=True)
    county_code = fields.String(required=True)
    certified_on = fields.Date(required=True)
    certified_until = fields.Date(required=True)


class DemonstrationLevel(Schema):
    level = fields.String(required=True)
    label = label(required=True)
    count = fields.Integer(required=True)
    branches = fields.List(fields.Nested(DemonstrationBranch), required=True)


class Demonstration(Schema):
    levels = fields.List(fields.Nested(DemonstrationLevel), required=True)  # highest first
    by_county = fields.Dict(keys=fields.String(), required=True,
                            values=fields.Dict(keys=fields.String(), values=fields.Integer()))


class SelectedBrand(Schema):
    branch_id = IdString(required=True)
    branch_name = fields.String(required=True)
    county_code = fields.String(required=True)
    brand = fields.String(required=True)
    rank = fields.Integer(required=True)


class TopBrands(Schema):
    year = fields.Integer(required=True)
    selected = fields.List(fields.Nested(SelectedBrand), required=True)
    tied_out = fields.List(IdString(), required=True)  # equal scores straddling the cut-off


class BrandListing(Brand):
    """A brand as the city's list shows it: with its branch's name and county."""

    status_label = label(required=True)
    theme_label = label(required=True, allow_none=True)
    branch_name = fields.String(required=True, allow_none=True)
    county_code = fields.String(required=True, allow_none=True)
    county_name = label(required=True, allow_none=True)


class BrandList(Schema):
    total = fields.Integer(required=True)
    items = fields.List(fields.Nested(BrandListing), required=True)


class TopTenEntry(Schema):
    rank = fields.Integer(required=True)  # shared by equal scores (1, 2, 2, 4 …)
    branch_id = IdString(required=True)
    branch_name = fields.String(required=True, allow_none=True)
    county_code = fields.String(required=True, allow_none=True)
    county_name = label(required=True, allow_none=True)
    name = fields.String(required=True)  # the brand's
    description = fields.String(required=True)
    theme = fields.String(required=True, allow_none=True)
    theme_label = label(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(list(BRAND_STATUS_LABELS)))
    status_label = label(required=True)


class TopTen(Schema):
    """A year's top brands (十佳) as the city selected them, best first."""

    year = fields.Integer(required=True)
    top_n = fields.Integer(required=True)  # how many the rules choose at most
    items = fields.List(fields.Nested(TopTenEntry), required=True)
