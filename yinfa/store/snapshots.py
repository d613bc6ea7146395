"""Snapshots of long streams: an aggregate's folded state at a version, so that loading
the stream reads only the events after it.

A snapshot is a cache, one document per stream in the service's `snapshots` collection:
`{_id: stream id, fold, version, state}`. It is written after an append that leaves the
stream `every` events past the snapshot it was loaded from, and ignored when the fold
that wrote it has changed (`fold_key`: the aggregate's name and a digest of the source of
its appliers' modules) or when it does not decode. Only streams this process has seen to
be long are looked up: a short stream costs no extra read.

States are JSON text through a small tagged codec (never pickle): dataclasses of modules
already imported, Decimal, date, datetime, tuple, list, frozenset, set and mappings with
any keys (as pairs, in order).
"""
from __future__ import annotations

import hashlib
import inspect
import json
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from yinfa.events.envelope import RecordedEvent
from yinfa.events.fold import Fold

log = logging.getLogger(__name__)

_KNOWN_LONG = 10_000  # streams remembered as long, per process


class Snapshots:
    def __init__(self, collection: Any, every: int) -> None:
        self.collection, self.every = collection, every
        self._long: set[str] = set()  # the streams this process has taken snapshots of

    def read(self, stream_id: str, fold: Fold) -> tuple[Any, int] | None:
        """(state, version) of the stream's snapshot, if it is known to be long and has a
        usable one."""
        if stream_id not in self._long:
            return None
        doc = self.collection.find_one({"_id": stream_id})
        if doc is None or doc.get("fold") != fold_key(fold):
            return None
        try:
            return decode(json.loads(doc["state"])), int(doc["version"])
        except (ValueError, TypeError, KeyError, AttributeError):
            log.warning("snapshot of %s does not decode; replaying it whole", stream_id)
            return None

    def written(self, stream_id: str, fold: Fold, state: Any,
                recorded: Sequence[RecordedEvent], since: int) -> None:
        """After an append of `recorded` to a stream folded into `state`, loaded from a
        snapshot at `since` (0: none): a new one if the stream is `every` events past.
        The events are stored already: a failure here is logged, never raised."""
        version = recorded[-1].version
        if not self.every or version - since < self.every:
            return
        if len(self._long) >= _KNOWN_LONG:
            self._long.clear()  # each is read whole once more, then known again
        self._long.add(stream_id)
        try:
            text = json.dumps(encode(fold.replay(recorded, state)), ensure_ascii=False)
            self.collection.update_one({"_id": stream_id}, {"$set": {
                "fold": fold_key(fold), "version": version, "state": text}}, upsert=True)
        except Exception:
            log.warning("no snapshot of %s at %s", stream_id, version, exc_info=True)


def fold_of(replay: Any) -> Fold | None:
    """The `Fold` whose `replay` this is (services hand `execute` a bound `replay`)."""
    fold = getattr(replay, "__self__", None)
    return fold if isinstance(fold, Fold) and replay.__func__ is Fold.replay else None


@cache
def fold_key(fold: Fold) -> str:
    """Changes whenever the code that folds the aggregate may have changed."""
    digest = hashlib.sha256()
    for name in sorted({getattr(f, "__module__", None) or "" for f in fold.appliers.values()}):
        module = sys.modules.get(name)
        try:
            digest.update(inspect.getsource(module).encode() if module else name.encode())
        except (OSError, TypeError):  # no source at hand: the module's name only
            digest.update(name.encode())
    return f"{fold.stream}:{digest.hexdigest()[:16]}"


def encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, list | tuple | set | frozenset):
        return {f"${type(value).__name__}": [encode(item) for item in value]}
    if isinstance(value, Mapping):
        return {"$map": [[encode(k), encode(v)] for k, v in value.items()]}
    if is_dataclass(value) and not isinstance(value, type):
        kind = type(value)
        return {"$dataclass": f"{kind.__module__}:{kind.__qualname__}",
                "fields": {f.name: encode(getattr(value, f.name)) for f in fields(value)}}
    raise TypeError(f"a snapshot cannot hold a {type(value).__name__}")


_SCALARS: dict[str, Callable[[str], Any]] = {
    "$decimal": Decimal, "$datetime": datetime.fromisoformat, "$date": date.fromisoformat}
_COLLECTIONS: dict[str, Callable[[Any], Any]] = {
    "$list": list, "$tuple": tuple, "$set": set, "$frozenset": frozenset}


def decode(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    (tag, content), *_ = value.items()
    if tag in _SCALARS:
        return _SCALARS[tag](content)
    if tag in _COLLECTIONS:
        return _COLLECTIONS[tag](decode(item) for item in content)
    if tag == "$map":
        return {decode(k): decode(v) for k, v in content}
    if tag == "$dataclass":
        return _dataclass(content, {name: decode(v) for name, v in value["fields"].items()})
    raise ValueError(f"unknown snapshot tag {tag!r}")


def _dataclass(name: str, values: dict[str, Any]) -> Any:
    """An instance of a dataclass of an imported module, its fields set as they were
    (no import, no other class: what a snapshot names can only be a known dataclass)."""
    module, _, qualname = name.partition(":")
    kind: Any = sys.modules[module]
    for part in qualname.split("."):
        kind = getattr(kind, part)
    if not (isinstance(kind, type) and is_dataclass(kind)):
        raise ValueError(f"{name} is not a dataclass")
    if set(values) != {f.name for f in fields(kind)}:
        raise ValueError(f"{name} has other fields now")
    instance = object.__new__(kind)
    for field_name, field_value in values.items():
        object.__setattr__(instance, field_name, field_value)  # frozen: set as __init__ does
    return instance
