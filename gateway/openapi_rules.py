"""Rules the server checks that the OpenAPI document states, so a client generated from it
sends valid requests: the codes a field takes (catalog codes and their zh-CN labels,
county and agency codes), ids as UUIDs. apispec states `OneOf` and `Range` itself; these come from
the platform's own fields and validators."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import fields

from yinfa.reference import load_city
from yinfa.schemas import IdString, county_in_city, unit_in_city


def stated_rules(self: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    """An apispec attribute function: extra JSON-schema keywords for one field."""
    rules: dict[str, Any] = {}
    if isinstance(field, IdString):
        rules["format"] = "uuid"
    choices = _choices(field)
    if choices:
        rules["enum"] = choices
    return rules


def _choices(field: fields.Field) -> list[str] | None:
    aliases = getattr(field, "aliases", None)  # a code or its label (男 → male)
    if isinstance(aliases, Mapping):
        return list(aliases)
    labels = getattr(field, "labels", None)  # a catalog's codes, read at run time
    if callable(labels):
        found = labels()
        return [*found, *found.values()]
    if any(v is county_in_city for v in _validators(field)):
        return list(load_city().counties)
    if any(v is unit_in_city for v in _validators(field)):
        return list(load_city().units)
    return None


def _validators(field: fields.Field) -> list[Any]:
    return list(getattr(field, "validators", []) or [])
