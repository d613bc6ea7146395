"""The branches service's commands, as its handlers and its domain receive them: each loaded
once by the published schema of the same name (`contracts.branches.commands`).

People's names (officers, an applicant, a reviewer) are sealed by the service before the
domain decides: the name is then None and `<name>_ref` holds the reference that events carry.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

# --- branches ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EstablishBranch:
    branch_id: str
    name: str
    branch_type: str
    level: str
    county_code: str
    established_on: date
    parent_id: str | None = None
    former_employer: str | None = None
    community: str | None = None
    secretary: str | None = None
    liaison: str | None = None
    secretary_ref: str | None = None
    liaison_ref: str | None = None


@dataclass(frozen=True)
class RenameBranch:
    branch_id: str
    name: str


@dataclass(frozen=True)
class ChangeOfficers:
    """Only the posts given change (None leaves a post vacant): `officers` maps each given
    post (secretary, liaison) to its name, `officer_refs` each post the service sealed anew
    to its reference."""

    branch_id: str
    officers: Mapping[str, str | None]
    officer_refs: Mapping[str, str | None] = field(default_factory=dict)

    @classmethod
    def loaded(cls, data: Mapping[str, Any]) -> ChangeOfficers:
        return cls(data["branch_id"], {k: v for k, v in data.items() if k != "branch_id"})


@dataclass(frozen=True)
class MoveBranch:
    branch_id: str
    parent_id: str | None  # None: directly under the county bureau


@dataclass(frozen=True)
class AddMember:
    branch_id: str
    volunteer_id: str


@dataclass(frozen=True)
class RemoveMember:
    branch_id: str
    volunteer_id: str
    reason: str | None = None


@dataclass(frozen=True)
class MergeBranch:
    branch_id: str
    into_branch_id: str
    reason: str
    merged_on: date


@dataclass(frozen=True)
class DissolveBranch:
    branch_id: str
    reason: str
    dissolved_on: date


# --- certification ----------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    item: str
    text: str
    links: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApplyForCertification:
    branch_id: str
    application_id: str
    level: str
    checklist: str
    applicant: str | None
    evidence: tuple[Evidence, ...]
    applied_on: date
    applicant_ref: str | None = None


@dataclass(frozen=True)
class ReviewItem:
    branch_id: str
    application_id: str
    item: str
    met: bool
    reviewer: str | None
    note: str | None = None
    reviewer_ref: str | None = None


@dataclass(frozen=True)
class ReviewItems:
    """One reviewer's decisions on items of one application, each row a ReviewItem."""

    items: tuple[ReviewItem, ...]


@dataclass(frozen=True)
class GrantCertification:
    branch_id: str
    application_id: str
    granted_by: str  # a granter role
    granted_on: date
    granter_county: str | None = None  # a county-scoped granter's county
    external_reference: str | None = None


@dataclass(frozen=True)
class RefuseCertification:
    branch_id: str
    application_id: str
    refused_by: str
    reason: str
    granter_county: str | None = None


@dataclass(frozen=True)
class PassReview:
    branch_id: str
    due_on: date
    reviewer: str  # a granter role
    granter_county: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class FailReview:
    branch_id: str
    due_on: date
    reviewer: str
    note: str
    granter_county: str | None = None


@dataclass(frozen=True)
class RevokeCertification:
    branch_id: str
    revoked_by: str
    reason: str
    revoked_on: date
    granter_county: str | None = None


# --- brands -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplyForBrand:
    branch_id: str
    name: str
    description: str
    year: int


@dataclass(frozen=True)
class ReviewBrand:
    branch_id: str
    year: int
    passed: bool
    reviewer: str | None
    note: str | None = None
    reviewer_ref: str | None = None


@dataclass(frozen=True)
class SelectTopBrands:
    year: int
    scores: Mapping[str, Decimal]  # branch id -> the panel's score
