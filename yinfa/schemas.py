"""Pieces every service's boundary schemas share: strict commands, ids, trimmed text, and
the numbers and labels of answers.

`load_command(Schema, payload)` is the one way input enters a service: a clean dict, or
`ValidationFailed` with marshmallow's messages per field. Unknown fields are refused.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from yinfa.city_time import local_day
from yinfa.errors import ValidationFailed
from yinfa.reference import load_city


def load_command(schema: type[Schema] | Schema, payload: Any) -> dict[str, Any]:
    """`schema` a class, or an instance when many payloads are loaded with it (building
    one costs about as much as loading a payload)."""
    try:
        return (schema() if isinstance(schema, type) else schema).load(payload)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise ValidationFailed(messages) from exc


class Command(Schema):
    class Meta:
        unknown = RAISE


class IdString(fields.String):
    """A UUID, handed on in its canonical string form."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        try:
            return str(uuid.UUID(str(super()._deserialize(value, attr, data, **kwargs))))
        except ValueError as exc:
            raise ValidationError("Not a valid UUID.") from exc


class Trimmed(fields.String):
    """Text with surrounding blanks removed, so that "  " counts as empty."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


class Hours(fields.Decimal):
    """Service hours: a number or numeric string with at most one decimal."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        hours = super()._deserialize(value, attr, data, **kwargs)
        assert hours is not None  # None is refused before deserialising
        try:
            tenths = hours.quantize(Decimal("0.1"))
        except InvalidOperation as exc:  # too many digits to be hours
            raise ValidationError("Not a number of hours.") from exc
        if hours != tenths:
            raise ValidationError("Use at most one decimal, e.g. 2.5.")
        return tenths


class CatalogCode(fields.String):
    """A code of a reference catalog, or its zh-CN label (宣讲 → talk), read when loading.
    Exactly a code or a label: a padded or look-alike value is refused, never trimmed into
    one (authority may be decided on it), unless `strip` says padding is harmless."""

    def __init__(self, labels: Callable[[], Mapping[str, str]], strip: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.labels, self.strip = labels, strip

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        labels = self.labels()
        aliases = {**{code: code for code in labels}, **{zh: code for code, zh in labels.items()}}
        found = aliases.get(text.strip() if self.strip else text)
        if found is None:
            raise ValidationError(f"Must be one of: {', '.join(labels)}.")
        return found


def trimmed(max_length: int, **kwargs: Any) -> fields.String:
    """Required-looking text of 1..max_length characters after trimming."""
    return Trimmed(validate=validate.Length(min=1, max=max_length), **kwargs)


def decimal_text(**kwargs: Any) -> fields.String:
    """A number answered as text ("2.5"), so that no reader rounds it."""
    return fields.String(validate=validate.Regexp(r"^-?\d+(\.\d+)?$"), **kwargs)


def label(**kwargs: Any) -> fields.String:
    """The zh-CN label of a code, answered next to it for display (支部, 达标)."""
    return fields.String(metadata={"description": "zh-CN label"}, **kwargs)


def city_today() -> date:
    """Today on the city's clock (in Beijing a day starts eight hours before UTC's)."""
    return local_day(datetime.now(UTC), load_city().zone)


def not_in_future(day: date) -> None:
    if day > city_today():
        raise ValidationError("Cannot be in the future.")


def county_in_city(code: str) -> None:
    if code not in load_city().counties:
        raise ValidationError("Not a county of this city.")


def unit_in_city(code: str) -> None:
    """An assessed unit: one of the city's counties or one of its agencies (市直单位)."""
    if code not in load_city().units:
        raise ValidationError("Not a county or city agency of this city.")
