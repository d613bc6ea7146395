"""Building blocks of event payload schemas, and one place that ties a service's
schemas to the kernel's registry.

Payloads travel as JSON, so dates, hours and ids are strings with a checked shape.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from yinfa.events.envelope import NewEvent
from yinfa.events.registry import SchemaRegistry

Upcasters = Mapping[tuple[str, int], Callable[[Mapping[str, Any]], dict[str, Any]]]


def _iso_date(value: str) -> None:
    try:
        date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError("Not an ISO date (YYYY-MM-DD).") from exc


def _hours_string(value: str) -> None:
    try:
        hours = Decimal(value)
        valid = hours.is_finite() and hours >= 0 and hours == hours.quantize(Decimal("0.1"))
    except InvalidOperation as exc:
        raise ValidationError("Not a decimal number.") from exc
    if not valid:
        raise ValidationError("Must be a non-negative number with at most one decimal.")


def IsoDate(**kwargs: Any) -> fields.String:  # noqa: N802 - reads like a field class
    return fields.String(validate=_iso_date, **kwargs)


def Hours(**kwargs: Any) -> fields.String:  # noqa: N802
    return fields.String(validate=_hours_string, **kwargs)


def Id(**kwargs: Any) -> fields.String:  # noqa: N802
    return fields.String(validate=validate.Length(min=1, max=100), **kwargs)


class PayloadCatalog:
    """A service's event payload schemas and upcasters, as a kernel SchemaRegistry."""

    def __init__(self, schemas: Mapping[tuple[str, int], type[Schema]],
                 upcasters: Upcasters | None = None) -> None:
        self.registry = SchemaRegistry().register_module(schemas, upcasters or {})
        self.current_versions = {name: self.registry.current_version(name)
                                 for name, _ in schemas}

    def upcast(self, event_type: str, version: int, data: Mapping[str, Any]) -> dict[str, Any]:
        """Bring a payload of any stored version up to the current one."""
        return self.registry.upcast(event_type, version, data)[1]

    def new_event(self, event_type: str, data: Mapping[str, Any], **identity: Any) -> NewEvent:
        """An event at the current schema version of its type; `identity` may fix its id."""
        return NewEvent(type=event_type, data=dict(data),
                        schema_version=self.current_versions[event_type], **identity)
