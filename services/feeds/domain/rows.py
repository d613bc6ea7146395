"""Rows of a partner's file, turned into the commands the services take.

Only the shape is settled here: the header's columns, one cell per column, an external
id, no external id twice in a file, and cell text turned into the JSON types the
commands read (a year as a number, yes/no as a boolean, skills as a list). Whether a
value is right (an ID number, a county, hours) is for the service that takes it.
"""
from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from contracts.feeds.imports import COLUMNS, EXTERNAL_ID, ONE_OF

TRUE = {"1", "true", "yes", "y", "是", "有", "t"}
FALSE = {"0", "false", "no", "n", "否", "无", "f", ""}
LIST_SEPARATORS = (";", "；", "、", ",", "，")
MAX_EXTERNAL_ID = 100


@dataclass(frozen=True)
class Row:
    line: int
    external_id: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Rejected:
    line: int
    external_id: str | None
    reason: str


def header_problem(kind: str, header: Sequence[str]) -> str | None:
    """Why a header cannot be read as the kind's columns (None: it can)."""
    required, optional = COLUMNS[kind]
    missing = [c for c in required if c not in header]
    extra = [c for c in header if c not in required and c not in optional]
    repeated = sorted({c for c in header if header.count(c) > 1})
    problems = []
    alternatives = ONE_OF.get(kind, ())
    if alternatives and not any(c in header for c in alternatives):
        problems.append(f"missing columns: one of {', '.join(alternatives)}")
    if missing:
        problems.append(f"missing columns: {', '.join(missing)}")
    if extra:
        problems.append(f"unknown columns: {', '.join(extra)}")
    if repeated:
        problems.append(f"repeated columns: {', '.join(repeated)}")
    return "; ".join(problems) or None


def _text(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _number(value: Any) -> Any:
    text = _text(value)
    if isinstance(text, str) and text.lstrip("-").isdigit():
        return int(text)
    if isinstance(text, float) and text.is_integer():
        return int(text)
    return text


def _flag(value: Any) -> Any:
    text = _text(value)
    if isinstance(text, str) and text.lower() in TRUE | FALSE:
        return text.lower() in TRUE
    return text


def _items(value: Any) -> Any:
    text = _text(value)
    if not isinstance(text, str):
        return text
    for separator in LIST_SEPARATORS[1:]:
        text = text.replace(separator, LIST_SEPARATORS[0])
    return [item.strip() for item in text.split(LIST_SEPARATORS[0]) if item.strip()]


def _hours(value: Any) -> Any:
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else (
        _text(value))


def _date(value: Any) -> Any:
    return value.isoformat()[:10] if hasattr(value, "isoformat") else _text(value)


def _instant(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else _text(value)


CELL_TYPES = {"birth_year": _number, "capacity": _number, "party_member": _flag,
              "insurance": _flag, "skills": _items, "hours": _hours, "served_on": _date,
              "starts_at": _instant, "ends_at": _instant}


def row_of(kind: str, line: int, cells: Mapping[str, Any], source: str) -> Row | Rejected:
    """The command payload of one row, or why it has none."""
    external_id = _text(cells.get(EXTERNAL_ID))
    if external_id is not None and not isinstance(external_id, str):
        external_id = str(external_id)
    if not external_id:
        return Rejected(line, None, "no external_id")
    if len(external_id) > MAX_EXTERNAL_ID:
        return Rejected(line, None, f"external_id longer than {MAX_EXTERNAL_ID} characters")
    required, optional = COLUMNS[kind]
    missing = [c for c in required if _text(cells.get(c)) in (None, "")]
    if missing:
        return Rejected(line, external_id, f"empty: {', '.join(missing)}")
    alternatives = ONE_OF.get(kind, ())
    given = [c for c in alternatives if _text(cells.get(c)) not in (None, "")]
    if alternatives and len(given) != 1:
        return Rejected(line, external_id, f"give exactly one of: {', '.join(alternatives)}")
    payload = {column: CELL_TYPES.get(column, _text)(cells[column])
               for column in (*required, *optional)
               if column != EXTERNAL_ID and _text(cells.get(column)) not in (None, "")}
    if kind == "hours":  # the ledger entry's id: the same row, the same entry
        payload.update(source="partner", entry_id=imported_id(source, kind, external_id))
    if kind == "activities":  # the activity's id derives from its client request id
        payload.update(organiser={"kind": "bureau", "id": source},
                       client_request_id=imported_id(source, kind, external_id))
    return Row(line, external_id, payload)


def imported_id(source: str, kind: str, external_id: str) -> str:
    """The id a service gives what a row creates, the same at every import of the row."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"yinfa-import:{source}:{kind}:{external_id}"))


class FirstSeen:
    """External ids already seen in this file: a second row with one is rejected."""

    def __init__(self) -> None:
        self.lines: dict[str, int] = {}

    def duplicate(self, row: Row) -> Rejected | None:
        first = self.lines.setdefault(row.external_id, row.line)
        if first == row.line:
            return None
        return Rejected(row.line, row.external_id,
                        f"external_id repeated (first on line {first})")
