"""Baselines by year: the figures a period is ranked by (retired cadres, party branches of
each assessed unit), as they stood for that period's year.

A ranking divides by these figures, so a past period must keep the figures of its own
year: editing this year's cannot move a past result, and the figures a published
assessment used are frozen into its event (`as_data`) and win over any later edit.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class Figures:
    """One unit's baseline (fits `ranking.Baseline`)."""

    retired_cadres: int
    branches: int


@dataclass(frozen=True)
class YearBaselines:
    """The figures of one year, by unit kind ("counties", and any kind added beside it)."""

    year: int
    units: Mapping[str, Mapping[str, Figures]] = field(default_factory=dict)

    @property
    def counties(self) -> Mapping[str, Figures]:
        return self.units.get("counties", MappingProxyType({}))

    @property
    def agencies(self) -> Mapping[str, Figures]:
        """The city agencies' (市直单位) figures, ranked beside the counties."""
        return self.units.get("agencies", MappingProxyType({}))

    @property
    def fingerprint(self) -> str:
        """Identifies the figures (not the file's comments): equal figures, equal print."""
        text = json.dumps(as_data(self), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def same_figures(self, other: YearBaselines) -> bool:
        """`other` holds these figures; a kind of unit these do not hold (agencies, in an
        assessment published before they were ranked) is not compared."""
        theirs = as_data(other)["units"]
        return all(theirs.get(kind) == figures
                   for kind, figures in as_data(self)["units"].items())

    def completed_by(self, other: YearBaselines) -> YearBaselines:
        """These figures, with the kinds of unit only `other` holds added."""
        return YearBaselines(self.year, MappingProxyType({**other.units, **self.units}))


def as_data(baselines: YearBaselines) -> dict[str, Any]:
    """The figures as an event carries them: {year, units: {kind: {code: {…}}}}."""
    return {"year": baselines.year,
            "units": {kind: {code: {"retired_cadres": f.retired_cadres,
                                    "party_branches": f.branches}
                             for code, f in sorted(units.items())}
                      for kind, units in sorted(baselines.units.items())}}


def from_data(data: Mapping[str, Any]) -> YearBaselines:
    return YearBaselines(
        year=int(data["year"]),
        units=MappingProxyType({
            kind: MappingProxyType({code: Figures(int(f["retired_cadres"]),
                                                  int(f["party_branches"]))
                                    for code, f in units.items()})
            for kind, units in data["units"].items()}))


def for_year(year: int, on_file: Mapping[int, YearBaselines]) -> YearBaselines | None:
    """The figures a period of `year` is ranked by: its own year's; else the nearest
    earlier year's (figures hold until a bureau files new ones); before the first year on
    file, the first year's. None when nothing is on file."""
    if not on_file:
        return None
    if year in on_file:
        return on_file[year]
    earlier = [y for y in on_file if y < year]
    return on_file[max(earlier) if earlier else min(on_file)]
