"""The on-time reporting indicator over the real broker and store: scoring follows its own
log, so a report submitted by its due date counts under a rulebook that names
`reports_on_time` (2026_reports.yaml, version 2026.2), a late one does not, the default
rulebook ignores both, and a rebuild gives the same ranking.

Due dates are the rulebook's (annual report: 31 December of its year), so the test picks
years around today's on the city's clock: next year's report is on time, last year's late.
"""
from __future__ import annotations

import base64
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from services.scoring.service import ScoringService

ZONE = "320972"
PDF = base64.b64encode(b"%PDF-1.4\n%%EOF\n").decode()
THIS_YEAR = datetime.now(ZoneInfo("Asia/Shanghai")).year


@pytest.fixture
def scoring(runner_factory, platform_config, rpc_proxy):
    runner_factory(platform_config, ScoringService).start()
    return rpc_proxy("scoring")


def report(scoring, year: int) -> dict:
    return scoring.submit_report({"kind": "annual_report", "unit_code": ZONE, "year": year,
                                  "content_type": "application/pdf", "content": PDF})


def on_time_row(ranking: list[dict]) -> dict | None:
    county = next(c for c in ranking if c["county_code"] == ZONE)
    return next((r for r in county["rows"] if r["code"] == "reports_on_time"), None)


def test_a_report_by_its_due_date_counts_and_a_late_one_does_not(scoring, eventually):
    early, late = report(scoring, THIS_YEAR + 1), report(scoring, THIS_YEAR - 1)
    assert early["on_time"] is True and early["due_on"] == f"{THIS_YEAR + 1}-12-31"
    assert late["on_time"] is False

    def counted():
        row = on_time_row(scoring.county_ranking(period=THIS_YEAR + 1,
                                                 rulebook="2026_reports"))
        return row if row["raw"] == "1.0000" else None

    row = eventually(counted)
    assert row["points"] == "3.00"  # one of the two reports asked, of 6 points
    late_year = on_time_row(scoring.county_ranking(period=THIS_YEAR - 1,
                                                   rulebook="2026_reports"))
    assert late_year["raw"] == "0.0000" and late_year["points"] == "0.00"
    assert on_time_row(scoring.county_ranking(period=THIS_YEAR + 1)) is None  # 2026.1
    evidence = scoring.evidence("county", ZONE, "reports_on_time", period=THIS_YEAR + 1,
                                rulebook="2026_reports")
    assert evidence["total"] >= 1

    live = scoring.county_ranking(period=THIS_YEAR + 1, rulebook="2026_reports")
    scoring.rebuild()
    eventually(lambda: scoring.rebuild_progress()["phase"] == "done")
    assert scoring.county_ranking(period=THIS_YEAR + 1, rulebook="2026_reports") == live
