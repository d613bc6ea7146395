"""Rebuilding scoring, while live events keep arriving.

Two steps, each safe to run at any time:

1. **Backfill** (optional): read every event of each source service through its
   `events_after` RPC (the kernel's "read all after P"), a page at a time, check each as
   the live intake does, and keep the accepted ones in the journal, one commit per page.
   Events the journal holds already are kept again: harmless, the fold is idempotent.
   This is how scoring learns what was published before it subscribed, or recovers a
   lost journal.
2. **Re-fold**: fold the whole journal into a new in-memory state beside the live one and
   swap it in once it has caught up (live.py), so no query sees a half-built ranking.

Progress (phase, events read and kept per source, events folded) is readable at any time
by `rebuild_progress`, which is what `yinfa rebuild scoring` draws its progress bar from.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.scoring.domain.state import SourceEvent
from services.scoring.engine import intake
from services.scoring.engine.journal import Journal
from services.scoring.views import LiveScoring

log = logging.getLogger(__name__)

PAGE = 2000

# (source service, after position, limit) -> event messages, via that service's RPC
ReadAfter = Callable[[str, int, int], list[dict[str, Any]]]
# source service -> its head position
HeadOf = Callable[[str], int]


@dataclass
class Progress:
    phase: str = "idle"
    running: bool = False
    sources: dict[str, dict[str, int]] = field(default_factory=dict)
    folded: int = 0
    journal_head: int = 0
    started: float = 0.0
    finished: float | None = None
    error: str | None = None
    fold_events_per_second: float | None = None

    def as_dict(self) -> dict[str, Any]:
        end = self.finished or time.monotonic()
        return {"phase": self.phase, "running": self.running, "sources": self.sources,
                "folded": self.folded, "journal_head": self.journal_head,
                "seconds": round(end - self.started, 3) if self.started else None,
                "fold_events_per_second": self.fold_events_per_second, "error": self.error}


def backfill(journal: Journal, sources: Sequence[str], read_after: ReadAfter,
             head_of: HeadOf, progress: Progress) -> None:
    for source in sources:
        counts = progress.sources[source] = {"head": head_of(source), "read": 0, "kept": 0,
                                             "skipped": 0, "refused": 0}
        progress.phase = f"backfill {source}"
        position = 0
        while True:
            messages = read_after(source, position, PAGE)
            if not messages:
                break
            accepted: list[SourceEvent] = []
            for message in messages:
                try:
                    event = intake.accept(intake.parse(message))
                except intake.Refused as refusal:
                    counts["refused"] += 1
                    log.warning("backfill refused an event of %s: %s", source, refusal)
                    continue
                if event is None:
                    counts["skipped"] += 1
                else:
                    accepted.append(event)
            journal.keep_batch(f"backfill-{source}-{position + 1}", accepted)
            counts["read"] += len(messages)
            counts["kept"] += len(accepted)
            position = int(messages[-1]["position"])


def run(journal: Journal, live: LiveScoring, progress: Progress,
        sources: Sequence[str] = (), read_after: ReadAfter | None = None,
        head_of: HeadOf | None = None) -> Progress:
    progress.running, progress.started, progress.error = True, time.monotonic(), None
    try:
        if sources:
            assert read_after is not None and head_of is not None
            backfill(journal, sources, read_after, head_of, progress)
        progress.phase = "fold"
        progress.journal_head = journal.head()
        fold_started = time.monotonic()
        live.rebuild(lambda n: setattr(progress, "folded", n))
        seconds = time.monotonic() - fold_started
        progress.fold_events_per_second = round(progress.folded / seconds) if seconds else None
        progress.phase = "done"
    except Exception as error:  # reported by rebuild_progress; the live state is untouched
        log.exception("rebuild failed")
        progress.phase, progress.error = "failed", repr(error)
    finally:
        progress.running, progress.finished = False, time.monotonic()
    return progress
