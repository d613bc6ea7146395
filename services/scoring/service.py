"""The scoring service: ranks the counties of the city, and the branches and volunteers
within each county, under a versioned rulebook; explains every score down to the events
behind it; answers as of any past instant and under another rulebook; publishes the
closed period's ranking as `AssessmentPublished`.

Every event of volunteers, branches and activities is checked and kept in scoring's
journal (engine/); each replica folds the journal into memory (views.py) in
an order-independent way (domain/state.py), so replicas sharing one queue agree, and a
rebuild is a re-fold that swaps in when complete. Its own event log holds the published
assessments and the reports the units submit (their bytes beside it, `report_files`); it
follows that log too, so a report's timeliness is a fact like any other.
"""
from __future__ import annotations

from typing import Any

from contracts.scoring import assessments, reports as report_contract
from services.scoring import agency_queries, handlers, queries, reports
from services.scoring.dependencies import Engine, ScoringEngine
from services.scoring.domain.baselines import YearBaselines
from services.scoring.domain.commands import ClosePeriod, SubmitReport
from services.scoring.domain.rulebook import Rulebook
from services.scoring.engine.rulebooks import DEFAULT_RULEBOOK, Rulebooks
from services.scoring.report_files import ReportFiles, ReportFileStore
from yinfa.errors import NotFound
from yinfa.service.base import EventSourcedService
from yinfa.service.dependencies import EventSourcedStreams, EventSourcing
from yinfa.service.rpc import rpc
from yinfa.service.subscriptions import every_event_of


class ScoringService(EventSourcedService):
    name = "scoring"

    engine: Engine = ScoringEngine()
    streams: EventSourcedStreams = EventSourcing(
        report_contract.register(assessments.build_registry()))
    report_files: ReportFileStore = ReportFiles()

    # ---- consuming: each batch of delivered events kept in one journal entry ----------

    @every_event_of("volunteers")
    def on_volunteers_event(self, payloads: list[Any]) -> list[str]:
        return self.engine.take_batch(payloads)

    @every_event_of("branches")
    def on_branches_event(self, payloads: list[Any]) -> list[str]:
        return self.engine.take_batch(payloads)

    @every_event_of("activities")
    def on_activities_event(self, payloads: list[Any]) -> list[str]:
        return self.engine.take_batch(payloads)

    @every_event_of("scoring")
    def on_scoring_event(self, payloads: list[Any]) -> list[str]:
        """Its own log: the reports submitted (what the on-time indicator counts)."""
        return self.engine.take_batch(payloads)

    # ---- counties ----------------------------------------------------------------------

    @rpc
    def county_ranking(self, period: Any = None, rulebook: str | None = None,
                       as_of: Any = None) -> list[dict[str, Any]]:
        """Every county of the city, best first (ties share a rank), with its rows."""
        name, book = self._rulebooks.for_period(rulebook, period)
        baselines = self._baselines(book)
        if as_of is not None:
            return queries.county_ranking(self.engine.state(as_of), book, baselines)
        return self.engine.live.cached(
            ("counties", name, book.period, baselines.fingerprint),
            lambda state: queries.county_ranking(state, book, baselines))

    @rpc
    def explain(self, county_code: str, rulebook: str | None = None, period: Any = None,
                as_of: Any = None) -> dict[str, Any]:
        """One county's score: indicator → raw → normalised → points; rows sum to total."""
        _, book = self._rulebooks.for_period(rulebook, period)
        return queries.explain(self.engine.state(as_of), county_code, book,
                               self._baselines(book))

    # ---- city agencies (市直单位), ranked beside the counties ---------------------------

    @rpc
    def agency_ranking(self, period: Any = None, rulebook: str | None = None,
                       as_of: Any = None) -> list[dict[str, Any]]:
        """Every city agency, best first (ties share a rank), under the agency indicators."""
        name, book = self._rulebooks.for_period(rulebook, period)
        baselines = self._baselines(book)
        if as_of is not None:
            return agency_queries.agency_ranking(self.engine.state(as_of), book, baselines)
        return self.engine.live.cached(
            ("agencies", name, book.period, baselines.fingerprint),
            lambda state: agency_queries.agency_ranking(state, book, baselines))

    @rpc
    def explain_agency(self, agency_code: str, rulebook: str | None = None,
                       period: Any = None, as_of: Any = None) -> dict[str, Any]:
        _, book = self._rulebooks.for_period(rulebook, period)
        return agency_queries.explain_agency(self.engine.state(as_of), agency_code, book,
                                             self._baselines(book))

    @rpc
    def timeline(self) -> dict[str, Any]:
        """The rulebooks one may rank by, and when the earliest and latest events scoring
        has folded were recorded (an as-of outside them knows nothing of that time)."""
        return queries.timeline(self._rulebooks.available(), DEFAULT_RULEBOOK,
                                self.engine.live.span.as_dict())

    # ---- branches and volunteers within a county ----------------------------------------

    @rpc
    def branch_ranking(self, county_code: str, period: Any = None, rulebook: str | None = None,
                       as_of: Any = None, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        return self._entity_ranking("branch", county_code, period, rulebook, as_of, limit,
                                    offset)

    @rpc
    def volunteer_ranking(self, county_code: str, period: Any = None,
                          rulebook: str | None = None, as_of: Any = None, limit: int = 50,
                          offset: int = 0) -> dict[str, Any]:
        return self._entity_ranking("volunteer", county_code, period, rulebook, as_of, limit,
                                    offset)

    @rpc
    def explain_branch(self, branch_id: str, rulebook: str | None = None, period: Any = None,
                       as_of: Any = None) -> dict[str, Any]:
        return self._explain_entity("branch", branch_id, rulebook, period, as_of)

    @rpc
    def explain_volunteer(self, volunteer_id: str, rulebook: str | None = None,
                          period: Any = None, as_of: Any = None) -> dict[str, Any]:
        return self._explain_entity("volunteer", volunteer_id, rulebook, period, as_of)

    @rpc
    def evidence(self, subject: str, subject_id: str, indicator: str, period: Any = None,
                 rulebook: str | None = None, as_of: Any = None, after: str | None = None,
                 limit: int = 50) -> dict[str, Any]:
        """The ids of the events behind one row of an explanation, a page at a time."""
        limit_n, _ = queries.paging(limit, 0)
        _, book = self._rulebooks.for_period(rulebook, period)
        return queries.evidence(self.engine.state(as_of), str(subject), str(subject_id),
                                str(indicator), book, after, limit_n)

    # ---- what-if -------------------------------------------------------------------------

    @rpc
    def what_if(self, rulebook_a: str, rulebook_b: str, period: Any = None
                ) -> dict[str, dict[str, str]]:
        """Per county, per indicator: points under b minus points under a (non-zero only)."""
        _, left = self._rulebooks.for_period(rulebook_a, period)
        _, right = self._rulebooks.for_period(rulebook_b, period)
        return queries.what_if(self.engine.state(), left, right,
                               (self._baselines(left), self._baselines(right)))

    @rpc
    def compare_rulebooks(self, rulebook_a: str, rulebook_b: str, period: Any = None,
                          as_of: Any = None) -> dict[str, Any]:
        """The same events under two rulebooks, side by side, with rank and point deltas."""
        _, left = self._rulebooks.for_period(rulebook_a, period)
        _, right = self._rulebooks.for_period(rulebook_b, period)
        return queries.side_by_side(self.engine.state(as_of), left, right,
                                    (self._baselines(left), self._baselines(right)))

    # ---- assessments ---------------------------------------------------------------------

    @rpc
    def close_period(self, payload: dict[str, Any]) -> dict[str, Any]:
        return handlers.COMMANDS.handle(self.streams, ClosePeriod, payload,
                                        engine=self.engine)

    @rpc
    def get_assessment(self, period: Any) -> dict[str, Any]:
        events = self.streams.store.read_stream(assessments.stream_of(str(period)))
        if not events:
            raise NotFound(f"no assessment published for {period!r}", field="period")
        return assessments.as_answer(dict(events[0].data), events[0].position)

    @rpc
    def list_assessments(self) -> list[dict[str, Any]]:
        return [{"period": e.data["period"], "rulebook_version": e.data["rulebook_version"],
                 "taken_at": e.data["taken_at"], "event_position": e.position}
                for e in self.streams.store.iter_all(0)
                if e.type == assessments.ASSESSMENT_PUBLISHED]

    # ---- baselines ------------------------------------------------------------------------

    @rpc
    def baselines(self, year: Any) -> dict[str, Any]:
        """The figures a period of `year` is ranked by, the year they hold for, and whether
        they are frozen (the year's assessment is published)."""
        _, book = self._rulebooks.for_period(None, year)  # a calendar year, or refused
        figures = self._baselines(book)
        frozen = self.engine.baselines.is_frozen(
            book.period.start.year, lambda y: handlers.published_baselines(self.streams, y))
        return queries.baselines_answer(book.period.start.year, figures, frozen)

    # ---- reports: documents the units submit for the assessment ------------------------

    @rpc
    def submit_report(self, payload: dict[str, Any]) -> dict[str, Any]:
        return reports.COMMANDS.handle(self.streams, SubmitReport, payload,
                                       engine=self.engine, files=self.report_files)

    @rpc
    def list_reports(self, query: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return reports.list_reports(self.streams, query)

    @rpc
    def get_report(self, report_id: str) -> dict[str, Any]:
        return reports.get_report(self.streams, report_id)

    @rpc
    def report_content(self, report_id: str) -> dict[str, Any]:
        return reports.report_content(self.streams, self.report_files, report_id)

    # ---- operations ----------------------------------------------------------------------

    @rpc
    def rebuild(self, from_sources: bool = False) -> dict[str, Any]:
        """Start a rebuild: re-fold the journal (and first, with `from_sources`, backfill it
        from the sources' event logs); answers at once with the progress so far."""
        return self.engine.start_rebuild(bool(from_sources))

    @rpc
    def rebuild_progress(self) -> dict[str, Any]:
        return self.engine.progress.as_dict()

    @rpc
    def health(self) -> dict[str, Any]:
        live = self.engine.live
        return {"service": self.name, **self.streams.relay_lag(),
                "intake": dict(self.engine.counts),
                "journal_head": self.engine.journal.head(), "folded_position": live.position,
                "rulebooks_rejected": dict(self._rulebooks.rejected),
                "baselines_rejected": dict(self.engine.baselines.rejected)}

    @property
    def _rulebooks(self) -> Rulebooks:
        return self.engine.rulebooks

    def _baselines(self, book: Rulebook) -> YearBaselines:
        """The figures of the period's year (frozen once its assessment is published)."""
        return self.engine.baselines.for_year(
            book.period.start.year, lambda year: handlers.published_baselines(self.streams, year))

    # ---- helpers -------------------------------------------------------------------------

    def _entity_ranking(self, kind: str, county_code: Any, period: Any, rulebook: Any,
                        as_of: Any, limit: Any, offset: Any) -> dict[str, Any]:
        limit_n, offset_n = queries.paging(limit, offset)
        code = agency_queries.known_unit(county_code)  # a county's or an agency's
        name, book = self._rulebooks.for_period(rulebook, period)
        def items(state: Any) -> list[dict[str, Any]]:
            return queries.entity_items(queries.entity_scores(state, kind, code, book), kind)

        if as_of is not None:
            ranked = items(self.engine.state(as_of))
        else:
            ranked = self.engine.live.cached((kind, code, name, book.period), items)
        return queries.entity_ranking(ranked, code, book, limit_n, offset_n)

    def _explain_entity(self, kind: str, entity_id: Any, rulebook: Any, period: Any,
                        as_of: Any) -> dict[str, Any]:
        state = self.engine.state(as_of)
        code = queries.county_of(state, kind, str(entity_id))
        _, book = self._rulebooks.for_period(rulebook, period)
        scores = queries.entity_scores(state, kind, code, book)
        return queries.explain_entity(scores, kind, str(entity_id), code, book)
