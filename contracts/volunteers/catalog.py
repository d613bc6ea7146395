"""The volunteer catalog (`reference/volunteers.yaml`): team categories, skills, star levels,
withdrawal reasons, the authorities a record is corrected on, and the hours one entry may
record. Published with the contract because
the gateway shows its zh-CN labels; validated once and cached per path."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from yinfa.reference import LabelSchema, by_code, entries, reference_dir, require_unique, validated

VOLUNTEER_CATALOG_FILE = "volunteers.yaml"


COUNTY, CITY = "county", "city"
AUTHORITIES = (COUNTY, CITY)  # who approves a star level, from the lower to the higher
COUNTY_APPROVES_UP_TO = 3  # stars, unless the catalog names the authority of a level


@dataclass(frozen=True)
class StarLevel:
    stars: int
    hours: int
    label: str
    approved_by: str | None = None  # None: the default authority (see `authority`)

    @property
    def authority(self) -> str:
        """Who approves (认定) this level: the county bureau for 1–3 stars and the city
        for 4–5 by default."""
        return self.approved_by or (COUNTY if self.stars <= COUNTY_APPROVES_UP_TO else CITY)


@dataclass(frozen=True)
class VolunteerCatalog:
    team_categories: Mapping[str, str]
    skills: Mapping[str, str]
    star_levels: tuple[StarLevel, ...]
    withdrawal_reasons: Mapping[str, str]
    max_hours_per_entry: Decimal
    correction_authorities: Mapping[str, str]

    @property
    def star_thresholds(self) -> tuple[int, ...]:
        return tuple(level.hours for level in self.star_levels)

    def star_authority(self, stars: int) -> str:
        return self.star_levels[stars - 1].authority

    def levels_approved_by(self, authority: str) -> list[int]:
        return [level.stars for level in self.star_levels if level.authority == authority]


def load_volunteer_catalog(path: str | Path | None = None) -> VolunteerCatalog:
    return _load_catalog(Path(path or reference_dir() / VOLUNTEER_CATALOG_FILE).resolve())


class StarLevelSchema(Schema):
    stars = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    hours = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    label = fields.String(required=True, validate=validate.Length(min=1))
    approved_by = fields.String(validate=validate.OneOf(AUTHORITIES))


class LimitsSchema(Schema):
    max_hours_per_entry = fields.Decimal(
        required=True, validate=validate.Range(min=0, min_inclusive=False, max=24)
    )


class CatalogFileSchema(Schema):
    team_categories = entries(LabelSchema)
    skills = entries(LabelSchema)
    star_levels = entries(StarLevelSchema)
    withdrawal_reasons = entries(LabelSchema)
    correction_authorities = entries(LabelSchema)
    limits = fields.Nested(LimitsSchema, required=True)

    @validates_schema
    def _consistent(self, data: dict, **kwargs: Any) -> None:
        for name in ("team_categories", "skills", "withdrawal_reasons",
                     "correction_authorities"):
            require_unique([item["code"] for item in data[name]], name)
        levels = data["star_levels"]
        if [level["stars"] for level in levels] != list(range(1, len(levels) + 1)):
            raise ValidationError("stars must count 1, 2, 3 … in order", "star_levels")
        hours = [level["hours"] for level in levels]
        if any(low >= high for low, high in zip(hours, hours[1:], strict=False)):
            raise ValidationError("hours must increase with each star", "star_levels")


@lru_cache(maxsize=16)
def _load_catalog(path: Path) -> VolunteerCatalog:
    raw = validated(path, CatalogFileSchema())
    return VolunteerCatalog(
        team_categories=by_code(raw["team_categories"]),
        skills=by_code(raw["skills"]),
        star_levels=tuple(StarLevel(**level) for level in raw["star_levels"]),
        withdrawal_reasons=by_code(raw["withdrawal_reasons"]),
        max_hours_per_entry=raw["limits"]["max_hours_per_entry"],
        correction_authorities=by_code(raw["correction_authorities"]),
    )
