"""The branches service's own I/O beside its event store, and the timer it declares.

Names of the people it records — a branch's secretary and liaison, an applicant, a
reviewer — are each sealed on their own (`yinfa.sealed`) in its database. Events and views
carry only a reference (`person:<uuid>`); reads put the names back, and a name erased
reads 已注销."""
from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from nameko.timer import Timer
from pymongo.database import Database

from yinfa.sealed import destroy, master_key, open_many, seal

C = TypeVar("C")

COLLECTION = "people_named"
PREFIX = "person:"
ERASED = "已注销"


def refer(db: Database, name: str | None) -> str | None:
    """Keep a name sealed and answer its reference (None for no name: a vacant post)."""
    if not name:
        return None
    reference = f"{PREFIX}{uuid.uuid4()}"
    db[COLLECTION].insert_one(seal(reference, {"name": name}, master_key()))
    return reference


def referred(db: Database, command: C, fields: Sequence[str]) -> C:
    """The command with the name in each of `fields` sealed: None there, the reference
    in `<field>_ref`."""
    refs = {f"{name}_ref": refer(db, getattr(command, name)) for name in fields}
    return replace(command, **dict.fromkeys(fields), **refs)  # type: ignore[type-var]


def names_of(db: Database, references: Iterable[str | None]) -> dict[str, str]:
    wanted = [r for r in dict.fromkeys(references) if r]
    kept = open_many(db[COLLECTION], wanted)
    return {r: kept[r]["name"] if r in kept else ERASED for r in wanted}


def with_names(db: Database, documents: list[dict[str, Any]], fields: Sequence[str]
               ) -> list[dict[str, Any]]:
    """Each `<field>_ref` of the documents (and of their `applications` and `items`)
    replaced by `<field>`, the name it refers to."""
    parts = list(_parts(documents))
    names = names_of(db, (part.get(f"{f}_ref") for part in parts for f in fields))
    for part in parts:
        for name in fields:
            if f"{name}_ref" in part:
                reference = part.pop(f"{name}_ref")
                part[name] = names.get(reference) if reference else None
    return documents


def _parts(documents: Iterable[Any]) -> Iterable[dict[str, Any]]:
    for document in documents:
        if isinstance(document, dict):
            yield document
            for value in document.values():
                if isinstance(value, list):
                    yield from _parts(value)
                elif isinstance(value, dict):
                    yield from _parts([value])


def erase(db: Database, reference: str) -> bool:
    return destroy(db[COLLECTION], reference)


class ConfiguredTimer(Timer):
    """A timer whose interval the container config may set (`config_key`, in seconds)."""

    interval: float

    def __init__(self, config_key: str, default: float, **kwargs: Any) -> None:
        self.config_key = config_key
        self.default = default
        super().__init__(interval=default, **kwargs)

    def setup(self) -> None:
        self.interval = float(self.container.config.get(self.config_key, self.default))


configured_timer = ConfiguredTimer.decorator
