"""Report documents (contracts/scoring/reports.py): submitted, listed, read.

A submission is checked (size and type by the bytes, the unit one of the city's, the
rulebook in force for the year asking that unit for that kind of report), its bytes kept
in the service's store, then `ReportSubmitted` appended on the stream `report-<id>`.
Lists read the service's own event log: reports are few (a handful a unit a year).
"""
from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime
from typing import Any

from contracts.scoring import reports as contract
from contracts.scoring.documents import MEDIA_TYPES
from services.scoring.dependencies import Engine
from services.scoring.domain.commands import SubmitReport
from services.scoring.domain.report_dues import due_for
from services.scoring.domain.reports import Limits, check_content, submitted
from services.scoring.report_files import ReportFileStore
from yinfa.config import load_settings
from yinfa.errors import NotFound, ValidationFailed
from yinfa.events.envelope import NewEvent, RecordedEvent
from yinfa.reference import load_city
from yinfa.schemas import load_command
from yinfa.service.commands import CommandTable
from yinfa.service.dependencies import EventSourcedStreams


def limits() -> Limits:
    settings = load_settings()
    return Limits(settings.report_max_bytes,
                  frozenset(MEDIA_TYPES[name] for name in settings.report_types
                            if name in MEDIA_TYPES))


def known_unit(unit_kind: str, unit_code: str) -> None:
    city = load_city()
    units = city.counties if unit_kind == "county" else city.agencies
    if unit_code not in units:
        raise NotFound(f"no {unit_kind} {unit_code!r}", field="unit_code")


def submit_report(streams: EventSourcedStreams, command: SubmitReport, engine: Engine,
                  files: ReportFileStore) -> dict[str, Any]:
    try:
        content = base64.b64decode(command.content, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed({"content": ["Not base64."]}) from None
    actual = check_content(content, command.content_type, limits())
    known_unit(command.unit_kind, command.unit_code)
    _, book = engine.rulebooks.for_period(None, command.year)
    now = datetime.now(UTC)
    report_id = str(uuid.uuid4())
    data = submitted(report_id, command, content, actual,
                     due_for(book.reports, command.kind, command.unit_kind), now,
                     now.astimezone(load_city().zone).date())
    files.keep(report_id, data["sha256"], actual, content)
    recorded = streams.start(contract.stream_of(report_id), [
        NewEvent(type=contract.REPORT_SUBMITTED, data=data)])
    return as_answer(recorded[0])


def as_answer(event: RecordedEvent) -> dict[str, Any]:
    return {**event.data, "submitted_by": event.actor or ""}


def list_reports(streams: EventSourcedStreams, query: Any) -> list[dict[str, Any]]:
    """Reports matching the filters, latest first."""
    wanted = {k: v for k, v in load_command(contract.ReportQuery, query or {}).items()
              if v is not None}
    found = [as_answer(e) for e in streams.store.iter_all(0)
             if e.type == contract.REPORT_SUBMITTED
             and all(e.data.get(k) == v for k, v in wanted.items())]
    return sorted(found, key=lambda r: r["submitted_at"], reverse=True)


def get_report(streams: EventSourcedStreams, report_id: Any) -> dict[str, Any]:
    try:
        stream = contract.stream_of(str(uuid.UUID(str(report_id))))
    except ValueError:
        raise NotFound(f"no report {report_id!r}", field="report_id") from None
    events = streams.store.read_stream(stream)
    if not events:
        raise NotFound(f"no report {report_id!r}", field="report_id")
    return as_answer(events[0])


def report_content(streams: EventSourcedStreams, files: ReportFileStore, report_id: Any
                   ) -> dict[str, Any]:
    """The report and its bytes (base64)."""
    report = get_report(streams, report_id)
    content = files.read(report["report_id"])
    if content is None:  # pragma: no cover - kept before the event, never deleted
        raise NotFound(f"no file for report {report_id!r}", field="report_id")
    return {**report, "content": base64.b64encode(content).decode()}


COMMANDS = CommandTable(contract, {SubmitReport: submit_report})
