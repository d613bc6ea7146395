"""Read models of the feeds service: none beside the public log itself, which is read by
position (`EventStore.read_all`); profiles, partners, reads and import jobs are plain
documents (dependencies.py)."""
from __future__ import annotations

from yinfa.projections import StreamView

VIEWS: tuple[StreamView, ...] = ()
