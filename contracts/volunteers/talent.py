"""The talent pool catalog (`reference/talent.yaml`): specialities, kinds of former post
and availability a volunteer's talent profile and a posted need name by code."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from marshmallow import Schema, validates_schema

from yinfa.reference import LabelSchema, by_code, entries, reference_dir, require_unique, validated

TALENT_FILE = "talent.yaml"
SECTIONS = ("specialities", "former_posts", "availability")


@dataclass(frozen=True)
class TalentCatalog:
    specialities: Mapping[str, str]
    former_posts: Mapping[str, str]
    availability: Mapping[str, str]


def load_talent_catalog(path: str | Path | None = None) -> TalentCatalog:
    return _load(Path(path or reference_dir() / TALENT_FILE).resolve())


class TalentFileSchema(Schema):
    specialities = entries(LabelSchema)
    former_posts = entries(LabelSchema)
    availability = entries(LabelSchema)

    @validates_schema
    def _unique(self, data: dict, **kwargs: Any) -> None:
        for name in SECTIONS:
            require_unique([item["code"] for item in data[name]], name)


@lru_cache(maxsize=8)
def _load(path: Path) -> TalentCatalog:
    raw = validated(path, TalentFileSchema())
    return TalentCatalog(**{name: by_code(raw[name]) for name in SECTIONS})
