"""Reference data: the city's counties and agencies (its assessed units) with their
baselines and its clock, and what each service's catalog loader
(`contracts.<service>.catalog`) shares: reading, validation and the flattening of errors.

Files are YAML in `reference/` at the repository root (override the folder with
`YINFA_REFERENCE_DIR`, the city file with `YINFA_REFERENCE_CITY`). Each file is validated
once and cached per path; a malformed file raises `ReferenceDataError` naming file and field.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from yinfa.config import settings

COUNTY_KINDS = ("county", "district", "city", "zone")
# 市直单位: party departments, government departments, public institutions, state enterprises
AGENCY_KINDS = ("party", "government", "institution", "enterprise")
DEFAULT_CITY_FILE = "yancheng.yaml"
CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")  # a catalog code, as events store it
# An agency code is the city code, "A" and a number (3209A01). GB/T 2260 codes are all
# digits, so an agency code can never be taken for a county's.
AGENCY_CODE = re.compile(r"^\d{2,6}A\d{2,3}$")


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
class Agency:
    """A city agency (市直单位): assessed beside the counties, for its own retirees."""

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
    agencies: Mapping[str, Agency] = field(default_factory=lambda: MappingProxyType({}))

    @cached_property
    def units(self) -> Mapping[str, County | Agency]:
        """Every assessed unit: a volunteer, branch or activity belongs to one of them."""
        return MappingProxyType({**self.counties, **self.agencies})

    @property
    def zone(self) -> ZoneInfo:
        """The city's clock: periods, deadlines and the dates the API shows run on it."""
        return ZoneInfo(self.timezone)


def reference_dir() -> Path:
    return settings().reference_dir


def load_city(path: str | Path | None = None) -> City:
    chosen = path or settings().reference_city or reference_dir() / DEFAULT_CITY_FILE
    return _city_at(str(chosen))


@lru_cache(maxsize=8)
def _city_at(chosen: str) -> City:
    # resolving a path costs system calls: done once per name, not on every request
    return _load_city(Path(chosen).resolve())


# --- file schemas -----------------------------------------------------------------------


class Code(fields.String):
    """Codes are strings, but a YAML author may leave 320902 unquoted."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        return super()._deserialize(value, attr, data, **kwargs)


def entries(schema: type[Schema], min_count: int = 1) -> fields.List:
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


class AgencySchema(Schema):
    code = Code(required=True, validate=validate.Regexp(AGENCY_CODE))
    name = fields.String(required=True, validate=validate.Length(min=1))
    kind = fields.String(required=True, validate=validate.OneOf(AGENCY_KINDS))
    retired_cadres = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    party_branches = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


class CityFileSchema(Schema):
    city = fields.Nested(CitySchema, required=True)
    counties = entries(CountySchema)
    agencies = fields.List(fields.Nested(AgencySchema), load_default=list)

    @validates_schema
    def _codes_are_unique(self, data: dict, **kwargs: Any) -> None:
        require_unique([county["code"] for county in data["counties"]], "counties")
        require_unique([agency["code"] for agency in data["agencies"]], "agencies")

    @validates_schema
    def _agencies_are_the_citys(self, data: dict, **kwargs: Any) -> None:
        foreign = [a["code"] for a in data["agencies"] if not a["code"].startswith(
            data["city"]["code"])]
        if foreign:
            raise ValidationError(f"codes must start with the city code: {', '.join(foreign)}",
                                  "agencies")


class LabelSchema(Schema):
    code = Code(required=True, validate=validate.Regexp(CODE))
    label = fields.String(required=True, validate=validate.Length(min=1, max=40))


def _require_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError("unknown time zone", "timezone") from exc


def require_unique(codes: list[str], field_name: str) -> None:
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise ValidationError(f"duplicate codes: {', '.join(duplicates)}", field_name)


# --- loading ----------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _load_city(path: Path) -> City:
    raw = validated(path, CityFileSchema())
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
    agencies = {
        row["code"]: Agency(
            code=row["code"],
            name=row["name"],
            kind=row["kind"],
            retired_cadres=row["retired_cadres"],
            branches=row["party_branches"],
        )
        for row in raw["agencies"]
    }
    return City(code=raw["city"]["code"], name=raw["city"]["name"],
                counties=MappingProxyType(counties), timezone=raw["city"]["timezone"],
                agencies=MappingProxyType(agencies))


def by_code(items: list[dict]) -> Mapping[str, str]:
    return MappingProxyType({item["code"]: item["label"] for item in items})


def validated(path: Path, schema: Schema) -> dict:
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
