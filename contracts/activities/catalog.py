"""The activity catalog (`reference/activities.yaml`): themes, kinds of activity, wish
categories and the rules of check-in and attendance, on the city's clock. Published with
the contract because the gateway shows its zh-CN labels; validated once and cached per path."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from yinfa.reference import (
    Code,
    LabelSchema,
    by_code,
    entries,
    load_city,
    reference_dir,
    require_unique,
    validated,
)

ACTIVITY_CATALOG_FILE = "activities.yaml"


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
class InsuranceRule:
    """Activities of these themes or kinds take only volunteers with accident insurance
    (seed 001: safety cover for elderly volunteers), unless an activity says otherwise."""

    themes: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    def requires(self, theme: str, kind: str) -> bool:
        return theme in self.themes or kind in self.kinds


@dataclass(frozen=True)
class ActivityCatalog:
    themes: Mapping[str, str]
    kinds: Mapping[str, ActivityKind]
    wish_categories: Mapping[str, str]
    rules: ActivityRules
    timezone: str = "Asia/Shanghai"  # the city's (one clock for the whole platform)
    insurance: InsuranceRule = InsuranceRule()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def kind_labels(self) -> Mapping[str, str]:
        return {code: kind.label for code, kind in self.kinds.items()}


def load_activity_catalog(path: str | Path | None = None) -> ActivityCatalog:
    chosen = Path(path or reference_dir() / ACTIVITY_CATALOG_FILE).resolve()
    return _load_activity_catalog(chosen, load_city().timezone)


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


class InsuranceSchema(Schema):
    themes = fields.List(Code(), load_default=list)
    kinds = fields.List(Code(), load_default=list)


class ActivityCatalogFileSchema(Schema):
    themes = entries(LabelSchema)
    kinds = entries(ActivityKindSchema)
    wish_categories = entries(LabelSchema)
    rules = fields.Nested(ActivityRulesSchema, required=True)
    insurance = fields.Nested(InsuranceSchema, load_default=lambda: {"themes": [], "kinds": []})

    @validates_schema
    def _consistent(self, data: dict, **kwargs: Any) -> None:
        for name in ("themes", "kinds", "wish_categories"):
            require_unique([item["code"] for item in data[name]], name)
        themes = {theme["code"] for theme in data["themes"]}
        for kind in data["kinds"]:
            unknown = sorted(set(kind["themes"]) - themes)
            if unknown:
                raise ValidationError(
                    f"kind {kind['code']} names unknown themes: {', '.join(unknown)}", "kinds"
                )
        insured = data["insurance"]
        unknown = sorted((set(insured["themes"]) - themes) | (
            set(insured["kinds"]) - {kind["code"] for kind in data["kinds"]}))
        if unknown:
            raise ValidationError(f"unknown themes or kinds: {', '.join(unknown)}", "insurance")


@lru_cache(maxsize=16)
def _load_activity_catalog(path: Path, timezone: str) -> ActivityCatalog:
    raw = validated(path, ActivityCatalogFileSchema())
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
        themes=by_code(raw["themes"]),
        kinds=MappingProxyType(kinds),
        wish_categories=by_code(raw["wish_categories"]),
        rules=ActivityRules(**raw["rules"]),
        timezone=timezone,
        insurance=InsuranceRule(themes=tuple(raw["insurance"]["themes"]),
                                kinds=tuple(raw["insurance"]["kinds"])),
    )
