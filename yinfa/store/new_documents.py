"""Writing documents that a caller knows (or has just read) to be new: one plain insert.

On nx-27017 an unordered insert_many takes ~11,800 documents/s where upserts that create
documents take ~6,500/s. Another writer may still create one of them between the
caller's read and the insert: that document is refused as a duplicate key and handed
back, for the caller to write with the conditional update or upsert it would have used
anyway, so the outcome is the one that write alone would have had.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pymongo.collection import Collection
from pymongo.errors import BulkWriteError

DUPLICATE_KEY = 11000
# A separate insert is one more command (~0.7 ms on nx-27017) and saves ~0.07 ms a
# document over an upsert: with fewer new documents than this, upserts folded into a bulk
# write the caller makes anyway cost the store less (measured: even at about ten).
SEPARATE_INSERT_FROM = 10
# Documents per insert command. nx-27017 runs one command at a time, so a roster's
# hundreds of documents in one command hold every other service's single read or write
# (a freshness probe's) behind it; in commands of this size they wait ~5 ms, not ~40,
# for ~0.7 ms more per command.
CHUNK = 32


def chunks(documents: Sequence[Any], size: int = CHUNK) -> list[Sequence[Any]]:
    return [documents[start:start + size] for start in range(0, len(documents), size)]


def insert_new(collection: Collection, documents: Sequence[dict[str, Any]]
               ) -> list[dict[str, Any]]:
    """Insert the documents, unordered, in commands of `CHUNK`; return those refused
    because a document with their `_id` is there already (anything else raises)."""
    refused: list[dict[str, Any]] = []
    for part in chunks(documents):
        refused += [part[index] for index in sorted(_refused_of(collection, part))]
    return refused


def _refused_of(collection: Collection, documents: Sequence[dict[str, Any]]) -> set[int]:
    return refused_duplicates(lambda: collection.insert_many(documents, ordered=False))


def refused_duplicates(write: Callable[[], Any]) -> set[int]:
    """Run an unordered bulk write; the indexes refused as duplicate keys (anything
    else raises)."""
    try:
        write()
    except BulkWriteError as error:
        errors = error.details.get("writeErrors", [])
        if any(e.get("code") != DUPLICATE_KEY for e in errors):
            raise
        return {int(e["index"]) for e in errors}
    return set()
