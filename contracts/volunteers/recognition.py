"""The recognition catalog (`reference/recognition.yaml`): the model-volunteer titles a
county nominates for (最美老干部志愿者, 正能量之星, 双先), each county's yearly quota of each,
and the reasons a reviewer may send a nomination back. Published with the contract: the
gateway shows its zh-CN labels."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from marshmallow import Schema, fields, validate, validates_schema

from yinfa.reference import (
    CODE,
    Code,
    LabelSchema,
    by_code,
    entries,
    reference_dir,
    require_unique,
    validated,
)

RECOGNITION_FILE = "recognition.yaml"


@dataclass(frozen=True)
class Title:
    code: str
    label: str
    quota: int
    min_star_level: int = 0
    quotas: Mapping[str, int] = field(default_factory=dict)  # county code -> its own quota

    def quota_of(self, county_code: str) -> int:
        return self.quotas.get(county_code, self.quota)


@dataclass(frozen=True)
class RecognitionCatalog:
    titles: Mapping[str, Title]
    rejection_reasons: Mapping[str, str]


def load_recognition_catalog(path: str | Path | None = None) -> RecognitionCatalog:
    return _load(Path(path or reference_dir() / RECOGNITION_FILE).resolve())


class TitleSchema(Schema):
    code = Code(required=True, validate=validate.Regexp(CODE))
    label = fields.String(required=True, validate=validate.Length(min=1, max=40))
    quota = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    min_star_level = fields.Integer(load_default=0, strict=True,
                                    validate=validate.Range(min=0))
    quotas = fields.Dict(keys=Code(), values=fields.Integer(
        strict=True, validate=validate.Range(min=0)), load_default=dict)


class RecognitionFileSchema(Schema):
    titles = entries(TitleSchema)
    rejection_reasons = entries(LabelSchema)

    @validates_schema
    def _unique(self, data: dict, **kwargs: Any) -> None:
        require_unique([t["code"] for t in data["titles"]], "titles")
        require_unique([r["code"] for r in data["rejection_reasons"]], "rejection_reasons")


@lru_cache(maxsize=8)
def _load(path: Path) -> RecognitionCatalog:
    raw = validated(path, RecognitionFileSchema())
    return RecognitionCatalog(
        titles={t["code"]: Title(**t) for t in raw["titles"]},
        rejection_reasons=by_code(raw["rejection_reasons"]),
    )
