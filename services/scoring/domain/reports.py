"""Submitting a report document: the rules a submission must meet and the event it makes.

Pure: the bytes are checked (size, type by their magic bytes, the declared type agreeing)
and described (hash, size, type); the rulebook says whether the unit is asked for that
kind of report and by which local day; the event carries the description, never the bytes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from contracts.scoring.documents import digest, media_type, sniff
from services.scoring.domain.commands import SubmitReport
from services.scoring.domain.report_dues import ReportDue
from yinfa.errors import DomainRuleViolated, ValidationFailed


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    media_types: frozenset[str]  # allowed, e.g. application/pdf


def check_content(content: bytes, declared: str, limits: Limits) -> str:
    """The media type of an acceptable document; ValidationFailed on `content` otherwise."""
    if not content:
        raise ValidationFailed({"content": ["The document is empty."]})
    if len(content) > limits.max_bytes:
        raise ValidationFailed({"content": [f"At most {limits.max_bytes} bytes."]})
    actual = sniff(content)
    if actual is None or actual not in limits.media_types:
        raise ValidationFailed({"content": ["Not a file of an allowed type."]})
    if media_type(declared) != actual:
        raise ValidationFailed({"content_type": [f"The content is {actual}."]})
    return actual


def submitted(report_id: str, command: SubmitReport, content: bytes, actual_type: str,
              due: ReportDue | None, submitted_at: datetime, local_day: date
              ) -> dict[str, Any]:
    """The `ReportSubmitted` data. A unit the rulebook does not ask for this kind of
    report is refused; on time: submitted on or before the due day (city clock)."""
    if due is None:
        raise DomainRuleViolated(
            f"the rulebook asks no {command.unit_kind} for a {command.kind} report",
            field="kind")
    due_on = due.due_on(command.year)
    return {
        "report_id": report_id, "kind": command.kind, "unit_kind": command.unit_kind,
        "unit_code": command.unit_code, "year": command.year, "sha256": digest(content),
        "size": len(content), "content_type": actual_type,
        "submitted_at": submitted_at.isoformat(), "due_on": due_on.isoformat(),
        "on_time": local_day <= due_on,
    }
