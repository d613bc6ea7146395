"""Report documents, pure: a type is told by the bytes, size and type are checked, a due
date from the rulebook makes a submission on time or late, and the measure counts the
kinds of report that came in on time."""
from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import UTC, date, datetime

import pytest

from contracts.scoring.documents import DOCX, JPEG, PDF, PNG, XLSX, sniff
from services.scoring.domain.commands import SubmitReport
from services.scoring.domain.county import CountyFacts, Period
from services.scoring.domain.report_dues import due_for
from services.scoring.domain.reports import Limits, check_content, submitted
from services.scoring.domain.rulebook import default_rulebook_path, load_rulebook, parse_rulebook
from yinfa.errors import DomainRuleViolated, ValidationFailed

LIMITS = Limits(1024, frozenset({PDF, DOCX, XLSX, JPEG, PNG}))


def package(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(part, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(("content", "expected"), [
    (b"%PDF-1.7\n...", PDF), (b"\x89PNG\r\n\x1a\n....", PNG), (b"\xff\xd8\xff\xe0..", JPEG),
    (package("word/document.xml"), DOCX), (package("xl/workbook.xml"), XLSX),
    (package("ppt/presentation.xml"), None), (b"PK\x03\x04 broken zip", None),
    (b"MZ\x90\x00", None), (b"", None),
])
def test_the_type_is_told_by_the_bytes(content: bytes, expected: str | None):
    assert sniff(content) == expected


def test_size_type_and_the_declared_type_are_checked():
    assert check_content(b"%PDF-1.4", "application/pdf; charset=binary", LIMITS) == PDF
    with pytest.raises(ValidationFailed) as empty:
        check_content(b"", PDF, LIMITS)
    assert "content" in empty.value.errors
    with pytest.raises(ValidationFailed):
        check_content(b"%PDF-" + b"x" * 1024, PDF, LIMITS)
    with pytest.raises(ValidationFailed):
        check_content(b"\x89PNG\r\n\x1a\n", PNG, Limits(1024, frozenset({PDF})))
    with pytest.raises(ValidationFailed) as mislabelled:
        check_content(b"\x89PNG\r\n\x1a\n", PDF, LIMITS)
    assert "content_type" in mislabelled.value.errors


def command(kind: str = "annual_report", unit_kind: str = "county") -> SubmitReport:
    return SubmitReport(kind=kind, unit_kind=unit_kind, unit_code="320902", year=2026,
                        content_type=PDF, content="")


def test_on_time_is_by_the_local_due_day_of_the_rulebook():
    dues = load_rulebook(default_rulebook_path()).reports
    due = due_for(dues, "implementation_plan", "county")
    at = datetime(2026, 8, 31, 15, 59, tzinfo=UTC)
    data = submitted("r1", command("implementation_plan"), b"%PDF-", PDF, due, at,
                     date(2026, 8, 31))
    assert data["due_on"] == "2026-08-31" and data["on_time"] is True
    assert data["sha256"] == hashlib.sha256(b"%PDF-").hexdigest() and data["size"] == 5
    late = submitted("r2", command("implementation_plan"), b"%PDF-", PDF, due, at,
                     date(2026, 9, 1))
    assert late["on_time"] is False


def test_a_report_the_rulebook_does_not_ask_of_the_unit_is_refused():
    dues = load_rulebook(default_rulebook_path()).reports
    assert due_for(dues, "annual_report", "agency") is None
    with pytest.raises(DomainRuleViolated):
        submitted("r3", command("annual_report", "agency"), b"%PDF-", PDF, None,
                  datetime.now(UTC), date(2026, 1, 1))


def test_a_due_date_must_be_a_day_of_every_year():
    text = default_rulebook_path().read_text(encoding="utf-8").replace('due: "08-31"',
                                                                       'due: "02-29"')
    with pytest.raises(Exception, match="reports.0.due"):
        parse_rulebook(text, "2026.yaml")


def test_the_measure_counts_kinds_on_time_in_the_period_once():
    facts = CountyFacts("320902")
    facts.reports = {"a": ("annual_report", 2026, True), "b": ("annual_report", 2026, True),
                     "c": ("implementation_plan", 2026, False),
                     "d": ("implementation_plan", 2025, True)}
    year_2026 = Period(date(2026, 1, 1), date(2027, 1, 1))
    assert facts.measures(year_2026)["reports_on_time"].value == 1
    assert facts.measures(Period(date(2025, 1, 1), date(2026, 1, 1)))[
        "reports_on_time"].value == 1
