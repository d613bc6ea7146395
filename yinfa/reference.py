"""Reference data: the city's counties with their baselines, the volunteer catalog, the
activity catalog, and the branch catalog with its certification checklists
(`reference/checklists/<code>.yaml`).

Files are YAML in `reference/` at the repository root (override the folder with
`YINFA_REFERENCE_DIR`, the city file with `YINFA_REFERENCE_CITY`). Each file is validated
once and cached per path; a malformed file raises `ReferenceDataError` naming file and field.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

COUNTY_KINDS = ("county", "district", "city", "zone")
DEFAULT_CITY_FILE = "yancheng.yaml"
VOLUNTEER_CATALOG_FILE = "volunteers.yaml"
ACTIVITY_CATALOG_FILE = "activities.yaml"


class ReferenceDataError(Exception):
    """A reference file is missing or malformed; the message names the file and the field."""


@dataclass(frozen=True)
class County:
    code: str
    name: str
    kind: str
    retired_cadres: int
    branches: int


@dataclass(frozen=True)
class City:
    code: str
    name: str
    counties: Mapping[str, County]
    timezone: str = "Asia/Shanghai"

    @property
    def zone(self) -> ZoneInfo:
        """The city's clock: periods, deadlines and the dates the API shows run on it."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class StarLevel:
    stars: int
    hours: int
    label: str


@dataclass(frozen=True)
class VolunteerCatalog:
    team_categories: Mapping[str, str]
    skills: Mapping[str, str]
    star_levels: tuple[StarLevel, ...]
    withdrawal_reasons: Mapping[str, str]
    max_hours_per_entry: Decimal

    @property
    def star_thresholds(self) -> tuple[int, ...]:
        return tuple(level.hours for level in self.star_levels)


_PACKAGE_REFERENCE = Path(__file__).resolve().parent.parent / "reference"


def reference_dir() -> Path:
    return Path(os.environ.get("YINFA_REFERENCE_DIR") or _PACKAGE_REFERENCE)


def load_city(path: str | Path | None = None) -> City:
    chosen = path or os.environ.get("YINFA_REFERENCE_CITY") or reference_dir() / DEFAULT_CITY_FILE
    return _city_at(str(chosen))


@lru_cache(maxsize=8)
def _city_at(chosen: str) -> City:
    # resolving a path costs system calls: done once per name, not on every request
    return _load_city(Path(chosen).resolve())


def load_volunteer_catalog(path: str | Path | None = None) -> VolunteerCatalog:
    chosen = path or reference_dir() / VOLUNTEER_CATALOG_FILE
    return _load_catalog(Path(chosen).resolve())


# --- file schemas -----------------------------------------------------------------------


class Code(fields.String):
    """Codes are strings, but a YAML author may leave 320902 unquoted."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        return super()._deserialize(value, attr, data, **kwargs)


def _entries(schema: type[Schema], min_count: int = 1) -> fields.List:
    """A required list of at least `min_count` entries, each checked by `schema`."""
    return fields.List(
        fields.Nested(schema), required=True, validate=validate.Length(min=min_count)
    )


class CitySchema(Schema):
    code = Code(required=True, validate=validate.Length(min=2, max=12))
    name = fields.String(required=True, validate=validate.Length(min=1))
    timezone = fields.String(required=True)

    @validates_schema
    def _known_zone(self, data: dict, **kwargs: Any) -> None:
        _require_zone(data["timezone"])


class CountySchema(Schema):
    code = Code(required=True, validate=validate.Length(min=2, max=12))
    name = fields.String(required=True, validate=validate.Length(min=1))
    kind = fields.String(required=True, validate=validate.OneOf(COUNTY_KINDS))
    retired_cadres = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    party_branches = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


class CityFileSchema(Schema):
    city = fields.Nested(CitySchema, required=True)
    counties = _entries(CountySchema)

    @validates_schema
    def _codes_are_unique(self, data: dict, **kwargs: Any) -> None:
        _require_unique([county["code"] for county in data["counties"]], "counties")


class LabelSchema(Schema):
    code = Code(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{1,39}$"))
    label = fields.String(required=True, validate=validate.Length(min=1, max=40))


class StarLevelSchema(Schema):
    stars = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    hours = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    label = fields.String(required=True, validate=validate.Length(min=1))


class LimitsSchema(Schema):
    max_hours_per_entry = fields.Decimal(
        required=True, validate=validate.Range(min=0, min_inclusive=False, max=24)
    )


class CatalogFileSchema(Schema):
    team_categories = _entries(LabelSchema)
    skills = _entries(LabelSchema)
    star_levels = _entries(StarLevelSchema)
    withdrawal_reasons = _entries(LabelSchema)
    limits = fields.Nested(LimitsSchema, required=True)

    @validates_schema
    def _consistent(self, data: dict, **kwargs: Any) -> None:
        for name in ("team_categories", "skills", "withdrawal_reasons"):
            _require_unique([item["code"] for item in data[name]], name)
        levels = data["star_levels"]
        if [level["stars"] for level in levels] != list(range(1, len(levels) + 1)):
            raise ValidationError("stars must count 1, 2, 3 … in order", "star_levels")
        hours = [level["hours"] for level in levels]
        if any(low >= high for low, high in zip(hours, hours[1:], strict=False)):
            raise ValidationError("hours must increase with each star", "star_levels")


def _require_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError("unknown time zone", "timezone") from exc


def _require_unique(codes: list[str], field_name: str) -> None:
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise ValidationError(f"duplicate codes: {', '.join(duplicates)}", field_name)


# --- loading ----------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _load_city(path: Path) -> City:
    raw = _validated(path, CityFileSchema())
    counties = {
        row["code"]: County(
            code=row["code"],
            name=row["name"],
            kind=row["kind"],
            retired_cadres=row["retired_cadres"],
            branches=row["party_branches"],
        )
        for row in raw["counties"]
    }
    return City(code=raw["city"]["code"], name=raw["city"]["name"],
                counties=MappingProxyType(counties), timezone=raw["city"]["timezone"])


@lru_cache(maxsize=16)
def _load_catalog(path: Path) -> VolunteerCatalog:
    raw = _validated(path, CatalogFileSchema())
    return VolunteerCatalog(
        team_categories=_by_code(raw["team_categories"]),
        skills=_by_code(raw["skills"]),
        star_levels=tuple(StarLevel(**level) for level in raw["star_levels"]),
        withdrawal_reasons=_by_code(raw["withdrawal_reasons"]),
        max_hours_per_entry=raw["limits"]["max_hours_per_entry"],
    )


def _by_code(items: list[dict]) -> Mapping[str, str]:
    return MappingProxyType({item["code"]: item["label"] for item in items})


def _validated(path: Path, schema: Schema) -> dict:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReferenceDataError(f"{path}: cannot read reference file ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise ReferenceDataError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return schema.load(document if document is not None else {})
    except ValidationError as exc:
        problems = "; ".join(_flatten(exc.messages))
        raise ReferenceDataError(f"{path}: {problems}") from exc


def _flatten(messages: Any, prefix: str = "") -> list[str]:
    """Turn marshmallow's nested messages into 'counties.3.kind: Must be one of …' lines."""
    if isinstance(messages, dict):
        lines: list[str] = []
        for key, value in messages.items():
            where = prefix if key == "_schema" else f"{prefix}.{key}" if prefix else str(key)
            lines.extend(_flatten(value, where))
        return lines
    if isinstance(messages, list):
        return [line for message in messages for line in _flatten(message, prefix)]
    return [f"{prefix or 'file'}: {messages}"]


# --- the activity catalog ---------------------------------------------------------------


@dataclass(frozen=True)
class ActivityKind:
    code: str
    label: str
    themes: tuple[str, ...]  # the themes it usually serves: a hint, not a rule
    endorsable: bool  # its outcome may carry a leader's written endorsement (批示)


@dataclass(frozen=True)
class ActivityRules:
    attendance_share: Decimal
    check_in_opens_minutes_before_start: int
    check_in_closes_minutes_after_end: int
    max_activity_hours: int
    wish_expiry_days: int


@dataclass(frozen=True)
class ActivityCatalog:
    themes: Mapping[str, str]
    kinds: Mapping[str, ActivityKind]
    wish_categories: Mapping[str, str]
    rules: ActivityRules
    timezone: str = "Asia/Shanghai"  # the city's (one clock for the whole platform)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def load_activity_catalog(path: str | Path | None = None) -> ActivityCatalog:
    chosen = path or reference_dir() / ACTIVITY_CATALOG_FILE
    return _load_activity_catalog(Path(chosen).resolve(), load_city().timezone)


class ActivityKindSchema(LabelSchema):
    themes = fields.List(Code(), required=True, validate=validate.Length(min=1))
    endorsable = fields.Boolean(load_default=False)


class ActivityRulesSchema(Schema):
    attendance_share = fields.Decimal(
        required=True, validate=validate.Range(min=0, min_inclusive=False, max=1)
    )
    check_in_opens_minutes_before_start = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=0, max=24 * 60)
    )
    check_in_closes_minutes_after_end = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=0, max=24 * 60)
    )
    max_activity_hours = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=24)
    )
    wish_expiry_days = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=366)
    )


class ActivityCatalogFileSchema(Schema):
    themes = _entries(LabelSchema)
    kinds = _entries(ActivityKindSchema)
    wish_categories = _entries(LabelSchema)
    rules = fields.Nested(ActivityRulesSchema, required=True)

    @validates_schema
    def _consistent(self, data: dict, **kwargs: Any) -> None:
        for name in ("themes", "kinds", "wish_categories"):
            _require_unique([item["code"] for item in data[name]], name)
        themes = {theme["code"] for theme in data["themes"]}
        for kind in data["kinds"]:
            unknown = sorted(set(kind["themes"]) - themes)
            if unknown:
                raise ValidationError(
                    f"kind {kind['code']} names unknown themes: {', '.join(unknown)}", "kinds"
                )


@lru_cache(maxsize=16)
def _load_activity_catalog(path: Path, timezone: str) -> ActivityCatalog:
    raw = _validated(path, ActivityCatalogFileSchema())
    kinds = {
        kind["code"]: ActivityKind(
            code=kind["code"],
            label=kind["label"],
            themes=tuple(kind["themes"]),
            endorsable=kind["endorsable"],
        )
        for kind in raw["kinds"]
    }
    return ActivityCatalog(
        themes=_by_code(raw["themes"]),
        kinds=MappingProxyType(kinds),
        wish_categories=_by_code(raw["wish_categories"]),
        rules=ActivityRules(**raw["rules"]),
        timezone=timezone,
    )


# --- branches: catalog and certification checklists ------------------------------------

BRANCH_CATALOG_FILE = "branches.yaml"
CHECKLIST_DIR = "checklists"
GRANTER_SCOPES = ("county", "city")


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
    chosen = path or reference_dir() / BRANCH_CATALOG_FILE
    return _load_branch_catalog(Path(chosen).resolve())


def checklist_dir() -> Path:
    return reference_dir() / CHECKLIST_DIR


def load_checklist(code: str, directory: str | Path | None = None) -> Checklist:
    """The checklist in `<directory>/<code>.yaml`; its `code` field must match the name."""
    if not _CHECKLIST_CODE.match(code):
        raise ReferenceDataError(f"{code!r} is not a checklist code")
    return _load_checklist(Path(directory or checklist_dir()).resolve() / f"{code}.yaml")


def load_checklists(directory: str | Path | None = None) -> Mapping[str, Checklist]:
    folder = Path(directory or checklist_dir()).resolve()
    if not folder.is_dir():
        raise ReferenceDataError(f"{folder}: no checklist folder")
    return MappingProxyType({
        path.stem: _load_checklist(path) for path in sorted(folder.glob("*.yaml"))
    })


_CHECKLIST_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def _code_list() -> fields.List:
    return fields.List(Code(validate=validate.Regexp(_CHECKLIST_CODE)), required=True)


class BranchTypeSchema(LabelSchema):
    formal = fields.Boolean(required=True)
    levels = fields.List(Code(), required=True, validate=validate.Length(min=1))


class StructureLevelSchema(LabelSchema):
    parents = _code_list()
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
    branch_types = fields.List(fields.Nested(BranchTypeSchema), required=True,
                               validate=validate.Length(min=1))
    structure_levels = fields.List(fields.Nested(StructureLevelSchema), required=True,
                                   validate=validate.Length(min=1))
    granter_roles = fields.List(fields.Nested(GranterRoleSchema), required=True,
                                validate=validate.Length(min=1))
    certification_levels = fields.List(fields.Nested(CertificationLevelSchema), required=True,
                                       validate=validate.Length(min=1))
    review_interval_months = fields.Integer(required=True, strict=True,
                                            validate=validate.Range(min=1))
    brands = fields.Nested(BrandRulesSchema, required=True)

    @validates_schema
    def _consistent(self, data: dict, **kwargs: Any) -> None:
        for name in ("branch_types", "structure_levels", "granter_roles", "certification_levels"):
            _require_unique([item["code"] for item in data[name]], name)
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
    code = Code(required=True, validate=validate.Regexp(_CHECKLIST_CODE))
    label = fields.String(required=True, validate=validate.Length(min=1, max=120))
    group = Code(required=True)
    mandatory = fields.Boolean(required=True)


class ChecklistFileSchema(Schema):
    code = Code(required=True, validate=validate.Regexp(_CHECKLIST_CODE))
    name = fields.String(required=True, validate=validate.Length(min=1, max=40))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    groups = _entries(LabelSchema)
    items = fields.List(fields.Nested(ChecklistItemSchema), required=True,
                        validate=validate.Length(min=1))

    @validates_schema
    def _consistent(self, data: dict, **kwargs: Any) -> None:
        _require_unique([group["code"] for group in data["groups"]], "groups")
        _require_unique([item["code"] for item in data["items"]], "items")
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
    raw = _validated(path, BranchCatalogFileSchema())
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
    )


@lru_cache(maxsize=32)
def _load_checklist(path: Path) -> Checklist:
    raw = _validated(path, ChecklistFileSchema())
    if raw["code"] != path.stem:
        raise ReferenceDataError(f"{path}: code: {raw['code']!r} differs from the file name")
    return Checklist(
        code=raw["code"],
        name=raw["name"],
        version=raw["version"],
        groups=_by_code(raw["groups"]),
        items=tuple(ChecklistItem(**item) for item in raw["items"]),
    )
