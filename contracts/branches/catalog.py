"""The branch catalog (`reference/branches.yaml`: branch types, structure levels, granter
roles, certification levels, brand rules) and the certification checklists
(`reference/checklists/<code>.yaml`). Published with the contract because the gateway shows
their zh-CN labels; each file is validated once and cached per path."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from yinfa.reference import (
    CODE,
    Code,
    LabelSchema,
    ReferenceDataError,
    by_code,
    entries,
    reference_dir,
    require_unique,
    validated,
)

BRANCH_CATALOG_FILE = "branches.yaml"
CHECKLIST_DIR = "checklists"
GRANTER_SCOPES = ("county", "city")
LABELLED = ("branch_types", "structure_levels", "granter_roles", "certification_levels")


@dataclass(frozen=True)
class BranchType:
    code: str
    label: str
    formal: bool
    levels: tuple[str, ...]


@dataclass(frozen=True)
class StructureLevel:
    code: str
    label: str
    parents: tuple[str, ...]
    top_level: bool
    certifiable: bool


@dataclass(frozen=True)
class GranterRole:
    code: str
    label: str
    scope: str  # "county": only branches of the granter's own county; "city": any


@dataclass(frozen=True)
class CertificationLevel:
    code: str
    label: str
    granted_by: tuple[str, ...]
    external: bool
    valid_months: int


@dataclass(frozen=True)
class BranchCatalog:
    branch_types: Mapping[str, BranchType]
    structure_levels: Mapping[str, StructureLevel]
    granter_roles: Mapping[str, GranterRole]
    certification_levels: tuple[CertificationLevel, ...]  # in climbing order
    review_interval_months: int
    brand_cultivation_years: int
    brand_top_per_year: int
    labels: Mapping[str, Mapping[str, str]]  # of each LABELLED part: code → zh-CN label

    def certification_level(self, code: str) -> CertificationLevel:
        return next(level for level in self.certification_levels if level.code == code)

    def rank_of(self, code: str) -> int:
        """1 for the lowest level (达标), 2 for the next, …"""
        return [level.code for level in self.certification_levels].index(code) + 1


@dataclass(frozen=True)
class ChecklistItem:
    code: str
    label: str
    group: str
    mandatory: bool


@dataclass(frozen=True)
class Checklist:
    code: str
    name: str
    version: int
    groups: Mapping[str, str]
    items: tuple[ChecklistItem, ...]

    @property
    def mandatory_items(self) -> tuple[str, ...]:
        return tuple(item.code for item in self.items if item.mandatory)


def load_branch_catalog(path: str | Path | None = None) -> BranchCatalog:
    return _load_branch_catalog(Path(path or reference_dir() / BRANCH_CATALOG_FILE).resolve())


def checklist_dir() -> Path:
    return reference_dir() / CHECKLIST_DIR


def load_checklist(code: str, directory: str | Path | None = None) -> Checklist:
    """The checklist in `<directory>/<code>.yaml`; its `code` field must match the name."""
    if not CODE.match(code):
        raise ReferenceDataError(f"{code!r} is not a checklist code")
    return _load_checklist(Path(directory or checklist_dir()).resolve() / f"{code}.yaml")


def load_checklists(directory: str | Path | None = None) -> Mapping[str, Checklist]:
    folder = Path(directory or checklist_dir()).resolve()
    if not folder.is_dir():
        raise ReferenceDataError(f"{folder}: no checklist folder")
    return MappingProxyType({
        path.stem: _load_checklist(path) for path in sorted(folder.glob("*.yaml"))
    })


class BranchTypeSchema(LabelSchema):
    formal = fields.Boolean(required=True)
    levels = fields.List(Code(), required=True, validate=validate.Length(min=1))


class StructureLevelSchema(LabelSchema):
    parents = fields.List(Code(validate=validate.Regexp(CODE)), required=True)
    top_level = fields.Boolean(required=True)
    certifiable = fields.Boolean(required=True)


class GranterRoleSchema(LabelSchema):
    scope = fields.String(required=True, validate=validate.OneOf(GRANTER_SCOPES))


class CertificationLevelSchema(LabelSchema):
    granted_by = fields.List(Code(), required=True, validate=validate.Length(min=1))
    external = fields.Boolean(required=True)
    valid_months = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class BrandRulesSchema(Schema):
    cultivation_years = fields.Integer(required=True, strict=True,
                                       validate=validate.Range(min=1, max=10))
    top_per_year = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class BranchCatalogFileSchema(Schema):
    branch_types = entries(BranchTypeSchema)
    structure_levels = entries(StructureLevelSchema)
    granter_roles = entries(GranterRoleSchema)
    certification_levels = entries(CertificationLevelSchema)
    review_interval_months = fields.Integer(required=True, strict=True,
                                            validate=validate.Range(min=1))
    brands = fields.Nested(BrandRulesSchema, required=True)

    @validates_schema
    def _consistent(self, data: dict, **kwargs: Any) -> None:
        for name in LABELLED:
            require_unique([item["code"] for item in data[name]], name)
        levels = {level["code"] for level in data["structure_levels"]}
        roles = {role["code"] for role in data["granter_roles"]}
        for i, kind in enumerate(data["branch_types"]):
            _require_known(kind["levels"], levels, f"branch_types.{i}.levels")
        for i, level in enumerate(data["structure_levels"]):
            _require_known(level["parents"], levels - {level["code"]},
                           f"structure_levels.{i}.parents")
            if not level["parents"] and not level["top_level"]:
                raise ValidationError("a level with no parents must be top_level",
                                      f"structure_levels.{i}")
        for i, level in enumerate(data["certification_levels"]):
            _require_known(level["granted_by"], roles, f"certification_levels.{i}.granted_by")


class ChecklistItemSchema(Schema):
    code = Code(required=True, validate=validate.Regexp(CODE))
    label = fields.String(required=True, validate=validate.Length(min=1, max=120))
    group = Code(required=True)
    mandatory = fields.Boolean(required=True)


class ChecklistFileSchema(Schema):
    code = Code(required=True, validate=validate.Regexp(CODE))
    name = fields.String(required=True, validate=validate.Length(min=1, max=40))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    groups = entries(LabelSchema)
    items = entries(ChecklistItemSchema)

    @validates_schema
    def _consistent(self, data: dict, **kwargs: Any) -> None:
        require_unique([group["code"] for group in data["groups"]], "groups")
        require_unique([item["code"] for item in data["items"]], "items")
        groups = {group["code"] for group in data["groups"]}
        for i, item in enumerate(data["items"]):
            _require_known([item["group"]], groups, f"items.{i}.group")
        if not any(item["mandatory"] for item in data["items"]):
            raise ValidationError("at least one item must be mandatory", "items")


def _require_known(codes: list[str], known: set[str], field_name: str) -> None:
    unknown = sorted(set(codes) - known)
    if unknown:
        raise ValidationError(f"unknown codes: {', '.join(unknown)}", field_name)


@lru_cache(maxsize=16)
def _load_branch_catalog(path: Path) -> BranchCatalog:
    raw = validated(path, BranchCatalogFileSchema())
    return BranchCatalog(
        branch_types=MappingProxyType({
            row["code"]: BranchType(row["code"], row["label"], row["formal"], tuple(row["levels"]))
            for row in raw["branch_types"]
        }),
        structure_levels=MappingProxyType({
            row["code"]: StructureLevel(row["code"], row["label"], tuple(row["parents"]),
                                        row["top_level"], row["certifiable"])
            for row in raw["structure_levels"]
        }),
        granter_roles=MappingProxyType({
            row["code"]: GranterRole(row["code"], row["label"], row["scope"])
            for row in raw["granter_roles"]
        }),
        certification_levels=tuple(
            CertificationLevel(row["code"], row["label"], tuple(row["granted_by"]),
                               row["external"], row["valid_months"])
            for row in raw["certification_levels"]
        ),
        review_interval_months=raw["review_interval_months"],
        brand_cultivation_years=raw["brands"]["cultivation_years"],
        brand_top_per_year=raw["brands"]["top_per_year"],
        labels=MappingProxyType({part: by_code(raw[part]) for part in LABELLED}),
    )


@lru_cache(maxsize=32)
def _load_checklist(path: Path) -> Checklist:
    raw = validated(path, ChecklistFileSchema())
    if raw["code"] != path.stem:
        raise ReferenceDataError(f"{path}: code: {raw['code']!r} differs from the file name")
    return Checklist(
        code=raw["code"],
        name=raw["name"],
        version=raw["version"],
        groups=by_code(raw["groups"]),
        items=tuple(ChecklistItem(**item) for item in raw["items"]),
    )
