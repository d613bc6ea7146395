"""The scoring service: ranks the counties of the city under a versioned rulebook.

It consumes every event of volunteers, branches and activities through its inbox (each
event once, in stream order), folds them into per-county facts in its own database
(`projection.py`), and scores on request with the pure domain (`domain/ranking.py`),
normalising by the county baselines of the reference data. It owns no event stream yet.
"""
from __future__ import annotations

from typing import Any

from nameko.rpc import rpc
from nameko.timer import timer

from services.scoring import queries
from services.scoring.projection import ScoringFacts
from yinfa.events.envelope import RecordedEvent
from yinfa.messaging.inbox import Inbox
from yinfa.service.dependencies import InboxProvider
from yinfa.service.subscriptions import every_event_of


class ScoringService:
    name = "scoring"

    inbox: Inbox = InboxProvider()

    # ---- consuming -------------------------------------------------------------------

    @every_event_of("volunteers")
    def on_volunteers_event(self, payload: dict[str, Any]) -> None:
        self.inbox.handle(payload, self._apply)

    @every_event_of("branches")
    def on_branches_event(self, payload: dict[str, Any]) -> None:
        self.inbox.handle(payload, self._apply)

    @every_event_of("activities")
    def on_activities_event(self, payload: dict[str, Any]) -> None:
        self.inbox.handle(payload, self._apply)

    @timer(interval=5)
    def sweep_parked_events(self) -> None:
        self.inbox.sweep(self._apply)

    def _apply(self, event: RecordedEvent) -> None:
        self._facts().apply(event)

    # ---- queries ---------------------------------------------------------------------

    @rpc
    def county_ranking(self, period: Any = None, rulebook: str | None = None
                       ) -> list[dict[str, Any]]:
        """Every county of the city, best first (ties share a rank), with its rows."""
        return queries.county_ranking(self._facts().all(), rulebook, period)

    @rpc
    def explain(self, county_code: str, rulebook: str | None = None) -> dict[str, Any]:
        """One county's score: indicator → raw → normalised → points; rows sum to total."""
        return queries.explain(self._facts().all(), str(county_code), rulebook)

    @rpc
    def what_if(self, rulebook_a: str, rulebook_b: str) -> dict[str, dict[str, str]]:
        """Per county, per indicator: points under b minus points under a (non-zero only)."""
        return queries.what_if(self._facts().all(), rulebook_a, rulebook_b)

    @rpc
    def health(self) -> dict[str, Any]:
        return {"service": self.name, "inbox": dict(self.inbox.counts),
                "parked": self.inbox.parked_count()}

    def _facts(self) -> ScoringFacts:
        return ScoringFacts(self.inbox.db)
