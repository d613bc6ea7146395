"""The transfer catalog (`reference/transfers.yaml`): the reasons a bureau asks for a
transfer and the reasons the receiving bureau may decline one, by code with zh-CN labels.
Validated once and cached per path."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from marshmallow import Schema, validates_schema

from yinfa.reference import LabelSchema, by_code, entries, reference_dir, require_unique, validated

TRANSFER_CATALOG_FILE = "transfers.yaml"


@dataclass(frozen=True)
class TransferCatalog:
    transfer_reasons: Mapping[str, str]
    decline_reasons: Mapping[str, str]


class TransferCatalogSchema(Schema):
    transfer_reasons = entries(LabelSchema)
    decline_reasons = entries(LabelSchema)

    @validates_schema
    def _unique(self, data: dict, **kwargs: Any) -> None:
        for name in ("transfer_reasons", "decline_reasons"):
            require_unique([item["code"] for item in data[name]], name)


def load_transfer_catalog(path: str | Path | None = None) -> TransferCatalog:
    return _load(Path(path or reference_dir() / TRANSFER_CATALOG_FILE).resolve())


@lru_cache(maxsize=16)
def _load(path: Path) -> TransferCatalog:
    raw = validated(path, TransferCatalogSchema())
    return TransferCatalog(transfer_reasons=by_code(raw["transfer_reasons"]),
                           decline_reasons=by_code(raw["decline_reasons"]))
