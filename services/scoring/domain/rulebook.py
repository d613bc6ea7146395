"""Rulebooks: which indicators, measured how, normalised how, worth how many points.

A rulebook is a YAML file validated with marshmallow. A malformed one raises
`RulebookError` naming the line and the reason: the file is composed with `yaml.compose`
first, so every key and list item keeps its line, and each validation error is mapped
back to the deepest node of its field path.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.scoring.domain.entities import BRANCH_MEASURES, VOLUNTEER_MEASURES
from services.scoring.domain.facts import CERTIFIED_LEVELS, MEASURES, Period
from services.scoring.domain.report_dues import ReportDue, ReportDueSchema, report_dues

NORMALISATIONS = ("none", "per_100_retired_cadres", "per_formal_branch", "share")
ENTITY_NORMALISATIONS = ("none", "share")  # a branch or volunteer has no baseline
LEVEL_MEASURES = frozenset({"demonstration_points", "certification_points"})
DIRECTIONS = ("higher_is_better", "lower_is_better")
TOTAL_POINTS = Decimal(100)


class RulebookError(Exception):
    def __init__(self, source: str, line: int | None, reason: str) -> None:
        where = f"{source} line {line}" if line is not None else source
        super().__init__(f"{where}: {reason}")
        self.source = source
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    source: tuple[str, ...]
    measure: str
    normalisation: str
    weight: Decimal
    target: Decimal
    direction: str = "higher_is_better"
    zero_at: Decimal | None = None
    level_weights: Mapping[str, Decimal] | None = None


@dataclass(frozen=True)
class Rulebook:
    version: str
    title: str
    period: Period
    indicators: tuple[Indicator, ...]
    # rankings within a county; empty: this rulebook ranks counties only
    branch_indicators: tuple[Indicator, ...] = ()
    volunteer_indicators: tuple[Indicator, ...] = ()
    # the city agencies' (市直单位) ranking, by the county measures; empty: none
    agency_indicators: tuple[Indicator, ...] = ()
    # the reports the units submit and when each is due; empty: none asked for
    reports: tuple[ReportDue, ...] = ()

    def indicator(self, code: str) -> Indicator:
        for item in self.indicators:
            if item.code == code:
                return item
        raise KeyError(code)


def _positive(**kwargs: Any) -> fields.Decimal:
    return fields.Decimal(validate=validate.Range(min=0, min_inclusive=False), **kwargs)


class PeriodSchema(Schema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)

    @validates_schema
    def _ordered(self, data: dict, **kwargs: Any) -> None:
        if data["end"] <= data["start"]:
            raise ValidationError("Must be after start.", "end")


class IndicatorSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]*$"))
    label = fields.String(required=True, validate=validate.Length(min=1, max=60))
    source = fields.List(fields.String(validate=validate.Length(min=1)), required=True,
                         validate=validate.Length(min=1))
    measure = fields.String(required=True, validate=validate.OneOf(sorted(MEASURES)))
    normalisation = fields.String(required=True, validate=validate.OneOf(NORMALISATIONS))
    direction = fields.String(load_default="higher_is_better",
                              validate=validate.OneOf(DIRECTIONS))
    weight = _positive(required=True)
    target = _positive(required=True)
    zero_at = _positive(load_default=None)
    level_weights = fields.Dict(keys=fields.String(validate=validate.OneOf(CERTIFIED_LEVELS)),
                                values=fields.Decimal(validate=validate.Range(min=0)),
                                load_default=None)

    @validates_schema
    def _consistent(self, data: dict, **kwargs: Any) -> None:
        lower = data.get("direction") == "lower_is_better"
        zero_at = data.get("zero_at")
        if lower and zero_at is None:
            raise ValidationError("Required when direction is lower_is_better.", "zero_at")
        if lower and zero_at is not None and zero_at <= data["target"]:
            raise ValidationError("Must be above target.", "zero_at")
        if not lower and zero_at is not None:
            raise ValidationError("Only for direction lower_is_better.", "zero_at")
        if data.get("measure") in LEVEL_MEASURES and not data.get("level_weights"):
            raise ValidationError(f"Required for {data['measure']}.", "level_weights")
        if data.get("normalisation") == "share" and data.get("target", 0) > 1:
            raise ValidationError("A share's target is at most 1.", "target")


class BranchIndicatorSchema(IndicatorSchema):
    measure = fields.String(required=True, validate=validate.OneOf(sorted(BRANCH_MEASURES)))
    normalisation = fields.String(required=True, validate=validate.OneOf(ENTITY_NORMALISATIONS))


class VolunteerIndicatorSchema(IndicatorSchema):
    measure = fields.String(required=True, validate=validate.OneOf(sorted(VOLUNTEER_MEASURES)))
    normalisation = fields.String(required=True, validate=validate.OneOf(ENTITY_NORMALISATIONS))


def _indicator_list(schema: type[Schema], **kwargs: Any) -> fields.List:
    return fields.List(fields.Nested(schema), validate=validate.Length(min=1), **kwargs)


class RulebookSchema(Schema):
    version = fields.String(required=True, validate=validate.Length(min=1, max=40))
    title = fields.String(load_default="")
    period = fields.Nested(PeriodSchema, required=True)
    indicators = _indicator_list(IndicatorSchema, required=True)
    branch_indicators = _indicator_list(BranchIndicatorSchema, load_default=list)
    volunteer_indicators = _indicator_list(VolunteerIndicatorSchema, load_default=list)
    agency_indicators = _indicator_list(IndicatorSchema, load_default=list)
    reports = fields.List(fields.Nested(ReportDueSchema), load_default=list)

    @validates_schema
    def _whole(self, data: dict, **kwargs: Any) -> None:
        for section in ("indicators", "branch_indicators", "volunteer_indicators",
                        "agency_indicators"):
            indicators = data.get(section) or []
            seen: set[str] = set()
            for i, item in enumerate(indicators):
                if item["code"] in seen:
                    raise ValidationError({section: {i: {"code": ["Duplicate code."]}}})
                seen.add(item["code"])
            total = sum((item["weight"] for item in indicators), Decimal(0))
            if indicators and total != TOTAL_POINTS:
                raise ValidationError(f"Weights sum to {total}, must sum to {TOTAL_POINTS}.",
                                      section)


# --- line numbers -----------------------------------------------------------------------
def _child(node: yaml.Node, key: Any) -> tuple[yaml.Node | None, yaml.Node | None]:
    """(key node, value node) of a mapping key or sequence index, or (None, None)."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == str(key):
                return k, v
    if isinstance(node, yaml.SequenceNode):
        try:
            index = int(key)
        except (TypeError, ValueError):
            return None, None
        if 0 <= index < len(node.value):
            return node.value[index], node.value[index]
    return None, None


def _first_error(messages: Any, path: tuple = ()) -> tuple[tuple, str]:
    if isinstance(messages, Mapping):
        for key in sorted(messages, key=lambda k: (str(type(k)), k)):
            return _first_error(messages[key], (*path, key))
    if isinstance(messages, list) and messages:
        first = messages[0]
        if isinstance(first, (Mapping, list)):
            return _first_error(first, path)
        return path, str(first)
    return path, str(messages)


def _line_of(root: yaml.Node, path: tuple) -> int:
    node, line = root, root.start_mark.line
    for key in path:
        if key == "_schema":
            continue
        key_node, value_node = _child(node, key)
        if value_node is None or key_node is None:
            break
        node, line = value_node, key_node.start_mark.line
    return line + 1


def _dotted(path: tuple) -> str:
    return ".".join(str(p) for p in path if p != "_schema") or "(top level)"


def parse_rulebook(text: str, source: str = "<rulebook>") -> Rulebook:
    try:
        root = yaml.compose(text)
        raw = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise RulebookError(source, line, f"not valid YAML: {exc.problem}") from exc
    if root is None or not isinstance(raw, dict):
        raise RulebookError(source, 1, "a rulebook is a mapping with version, period, "
                                       "indicators")
    try:
        data = RulebookSchema().load(raw)
    except ValidationError as exc:
        path, reason = _first_error(exc.messages)
        raise RulebookError(source, _line_of(root, path), f"{_dotted(path)}: {reason}") from exc
    return Rulebook(
        version=data["version"],
        title=data["title"],
        period=Period(data["period"]["start"], data["period"]["end"]),
        indicators=_indicators(data["indicators"]),
        branch_indicators=_indicators(data["branch_indicators"]),
        volunteer_indicators=_indicators(data["volunteer_indicators"]),
        agency_indicators=_indicators(data["agency_indicators"]),
        reports=report_dues(data["reports"]),
    )


def _indicators(items: list[dict[str, Any]]) -> tuple[Indicator, ...]:
    return tuple(
        Indicator(
            code=i["code"], label=i["label"], source=tuple(i["source"]),
            measure=i["measure"], normalisation=i["normalisation"], weight=i["weight"],
            target=i["target"], direction=i["direction"], zero_at=i["zero_at"],
            level_weights=i["level_weights"])
        for i in items)


def load_rulebook(path: str | Path) -> Rulebook:
    path = Path(path)
    return parse_rulebook(path.read_text(encoding="utf-8"), str(path))


def default_rulebook_path(year: int = 2026) -> Path:
    return Path(__file__).resolve().parents[3] / "reference" / "rulebooks" / f"{year}.yaml"


def period_for_year(year: int) -> Period:
    return Period(date(year, 1, 1), date(year + 1, 1, 1))
