"""What a batch of delivered events asks of an inbox, decided before any write.

Per stream, the versions right after its cursor are taken in version order, however
they arrived: each is applied (or, for a type the consumer does not use, only moves the
cursor). A version after a gap the batch does not close is parked. A version at or
before the cursor is past: a duplicate, unless the consumer may have dead-lettered it
(then the inbox looks for its dead-letter mark). A second copy of an event id within
the batch is a duplicate. Pure: the inbox does the reading and writing.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

APPLY, SKIP, PARK, PAST, REPEAT = "apply", "skip", "park", "past", "repeat"


@dataclass(frozen=True)
class Delivered:
    event_id: str
    stream_id: str
    version: int
    wanted: bool


@dataclass(frozen=True)
class BatchPlan:
    actions: tuple[str, ...]  # one per delivered event, in delivery order
    runs: Mapping[str, tuple[int, ...]]  # per stream: indexes to apply or skip, in order

    def indexes(self, action: str) -> list[int]:
        return [i for i, taken in enumerate(self.actions) if taken == action]


def plan_batch(delivered: Sequence[Delivered], cursors: Mapping[str, int]) -> BatchPlan:
    """`cursors`: the last version applied per stream (absent: none yet)."""
    actions = [REPEAT] * len(delivered)
    seen: set[str] = set()
    by_stream: dict[str, list[int]] = defaultdict(list)
    for index, event in enumerate(delivered):
        if event.event_id not in seen:
            seen.add(event.event_id)
            by_stream[event.stream_id].append(index)
    runs: dict[str, tuple[int, ...]] = {}
    for stream_id, indexes in by_stream.items():
        run: list[int] = []
        next_version = cursors.get(stream_id, 0) + 1
        for index in sorted(indexes, key=lambda i: delivered[i].version):
            event = delivered[index]
            if event.version < next_version:
                actions[index] = PAST if event.wanted else REPEAT
            elif event.version == next_version:
                actions[index] = APPLY if event.wanted else SKIP
                run.append(index)
                next_version += 1
            else:
                actions[index] = PARK
        if run:
            runs[stream_id] = tuple(run)
    return BatchPlan(tuple(actions), runs)
