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


@dataclass(frozen=True)
class OnBranch:  # a command on one branch: its branch, certification or brand stream
    branch_id: str


# --- branches ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EstablishBranch(OnBranch):
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
class RenameBranch(OnBranch):
    name: str


@dataclass(frozen=True)
class ChangeOfficers(OnBranch):
    """Only the posts given change (None leaves a post vacant): `officers` maps each given
    post (secretary, liaison) to its name, `officer_refs` each post the service sealed anew
    to its reference."""

    officers: Mapping[str, str | None]
    officer_refs: Mapping[str, str | None] = field(default_factory=dict)

    @classmethod
    def loaded(cls, data: Mapping[str, Any]) -> ChangeOfficers:
        return cls(data["branch_id"], {k: v for k, v in data.items() if k != "branch_id"})


@dataclass(frozen=True)
class MoveBranch(OnBranch):
    parent_id: str | None  # None: directly under the county bureau


@dataclass(frozen=True)
class AddMember(OnBranch):
    volunteer_id: str


@dataclass(frozen=True)
class RemoveMember(OnBranch):
    volunteer_id: str
    reason: str | None = None


@dataclass(frozen=True)
class MoveMember(OnBranch):
    volunteer_id: str
    to_branch_id: str
    move_id: str


@dataclass(frozen=True)
class MergeBranch(OnBranch):
    into_branch_id: str
    reason: str
    merged_on: date


@dataclass(frozen=True)
class DissolveBranch(OnBranch):
    reason: str
    dissolved_on: date


# --- certification ----------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    item: str
    text: str
    links: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApplyForCertification(OnBranch):
    application_id: str
    level: str
    checklist: str
    applicant: str | None
    evidence: tuple[Evidence, ...]
    applied_on: date
    applicant_ref: str | None = None


@dataclass(frozen=True)
class ReviewItem(OnBranch):
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
class GrantCertification(OnBranch):
    application_id: str
    granted_by: str  # a granter role
    granted_on: date
    granter_county: str | None = None  # a county-scoped granter's county
    external_reference: str | None = None


@dataclass(frozen=True)
class RefuseCertification(OnBranch):
    application_id: str
    refused_by: str
    reason: str
    granter_county: str | None = None


@dataclass(frozen=True)
class PassReview(OnBranch):
    due_on: date
    reviewer: str  # a granter role
    granter_county: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class FailReview(OnBranch):
    due_on: date
    reviewer: str
    note: str
    granter_county: str | None = None


@dataclass(frozen=True)
class RevokeCertification(OnBranch):
    revoked_by: str
    reason: str
    revoked_on: date
    granter_county: str | None = None


# --- brands -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplyForBrand(OnBranch):
    name: str
    description: str
    year: int
    theme: str | None = None


@dataclass(frozen=True)
class ReviewBrand(OnBranch):
    year: int
    passed: bool
    reviewer: str | None
    note: str | None = None
    reviewer_ref: str | None = None


@dataclass(frozen=True)
class SelectTopBrands:
    year: int
    scores: Mapping[str, Decimal]  # branch id -> the panel's score
