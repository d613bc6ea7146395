"""The scoring service's commands, as its handlers receive them: loaded once by the
published schema of the same name (`contracts.scoring.assessments`)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClosePeriod:
    period: str  # a year, "2026"
    rulebook: str | None = None  # None: the rulebook in force for the period


@dataclass(frozen=True)
class SubmitReport:
    kind: str  # implementation_plan, annual_report, activity_files
    unit_kind: str  # county or agency
    unit_code: str
    year: int
    content_type: str  # as declared; checked against the bytes
    content: str  # base64
