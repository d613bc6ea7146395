"""The reports a rulebook asks for and when each is due (the rulebook's optional `reports`
section): due dates are data, like the indicators, and a new date is a new version.

A due date is a month and day of the period's first year, on the city's clock: a report
submitted on or before that local day is on time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

REPORT_KINDS = ("implementation_plan", "annual_report", "activity_files")
SUBMITTERS = ("county", "agency")
MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


@dataclass(frozen=True)
class ReportDue:
    kind: str
    label: str
    submitters: tuple[str, ...]
    month: int
    day: int

    def due_on(self, year: int) -> date:
        return date(year, self.month, self.day)


class MonthDay(fields.String):
    """'08-31': a day of any year (29 February is refused: not every year has it)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> tuple[int, int]:
        text = super()._deserialize(value, attr, data, **kwargs)
        match = MONTH_DAY.match(text)
        try:
            if match is None:
                raise ValueError
            date(2001, int(match[1]), int(match[2]))
        except ValueError as exc:
            raise ValidationError("A month and day, MM-DD, e.g. 08-31.") from exc
        return int(match[1]), int(match[2])


class ReportDueSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(REPORT_KINDS))
    label = fields.String(required=True, validate=validate.Length(min=1, max=60))
    submitters = fields.List(fields.String(validate=validate.OneOf(SUBMITTERS)),
                             required=True, validate=validate.Length(min=1))
    due = MonthDay(required=True)


def report_dues(items: list[dict[str, Any]]) -> tuple[ReportDue, ...]:
    return tuple(ReportDue(kind=i["kind"], label=i["label"], submitters=tuple(i["submitters"]),
                           month=i["due"][0], day=i["due"][1]) for i in items)


def due_for(dues: tuple[ReportDue, ...], kind: str, submitter: str) -> ReportDue | None:
    """What the rulebook says of a kind of report from a kind of unit (None: it does not
    ask that unit for it)."""
    for due in dues:
        if due.kind == kind and submitter in due.submitters:
            return due
    return None
