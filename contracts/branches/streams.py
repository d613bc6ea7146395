"""Stream names of the branches service's three aggregates.

Certification and brand streams are keyed by the id of the branch they belong to.
"""
from __future__ import annotations

from contracts.branches.events import SCHEMAS, UPCASTERS
from yinfa.events.registry import SchemaRegistry

BRANCH_PREFIX = "branch-"
CERTIFICATION_PREFIX = "certification-"
BRAND_PREFIX = "brand-"


def branch_stream(branch_id: str) -> str:
    return f"{BRANCH_PREFIX}{branch_id}"


def certification_stream(branch_id: str) -> str:
    return f"{CERTIFICATION_PREFIX}{branch_id}"


def brand_stream(branch_id: str) -> str:
    return f"{BRAND_PREFIX}{branch_id}"


def build_registry() -> SchemaRegistry:
    return SchemaRegistry().register_module(SCHEMAS, UPCASTERS)
