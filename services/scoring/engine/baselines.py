"""Baselines by year (reference/baselines/<year>.yaml), reloaded when their file changes.

Like the rulebooks: a file that no longer parses changes no score; the last good version of
that year keeps running and the rejection (file, reason) is kept for `health`. On top of
that, a year whose assessment is published is frozen: the figures it was ranked by are in
its `AssessmentPublished`, they are what that year is ranked by from then on, and a file
for the year with other figures is refused — a published appraisal cannot move.

With no baselines folder at all, the figures of the city file are used (one set for every
year), as before baselines were kept by year.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.scoring.domain.baselines import Figures, YearBaselines, for_year
from yinfa.reference import (
    Code,
    ReferenceDataError,
    load_city,
    reference_dir,
    require_unique,
    validated,
)

log = logging.getLogger(__name__)

FIRST_YEAR, LAST_YEAR = 2000, 2100
UNPUBLISHED_RECHECK_SECONDS = 2.0  # how long "not published yet" is believed
PublishedLookup = Callable[[int], "YearBaselines | None"]


class UnitBaselineSchema(Schema):
    code = Code(required=True, validate=validate.Length(min=2, max=12))
    retired_cadres = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    party_branches = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


class BaselineFileSchema(Schema):
    year = fields.Integer(required=True, strict=True,
                          validate=validate.Range(min=FIRST_YEAR, max=LAST_YEAR))
    counties = fields.List(fields.Nested(UnitBaselineSchema), required=True,
                           validate=validate.Length(min=1))
    # city agencies (市直单位); a file without them ranks the agencies by the city file's
    agencies = fields.List(fields.Nested(UnitBaselineSchema), load_default=None)

    @validates_schema
    def _every_county_once(self, data: dict, **kwargs: Any) -> None:
        codes = [row["code"] for row in data["counties"]]
        require_unique(codes, "counties")
        known = set(load_city().counties)
        unknown, missing = sorted(set(codes) - known), sorted(known - set(codes))
        if unknown:
            raise ValidationError(f"not counties of the city: {', '.join(unknown)}", "counties")
        if missing:
            raise ValidationError(f"counties without a baseline: {', '.join(missing)}",
                                  "counties")

    @validates_schema
    def _every_agency_once(self, data: dict, **kwargs: Any) -> None:
        codes = [row["code"] for row in data.get("agencies") or []]
        require_unique(codes, "agencies")
        unknown = sorted(set(codes) - set(load_city().agencies))
        if unknown:
            raise ValidationError(f"not agencies of the city: {', '.join(unknown)}",
                                  "agencies")


# the unit kinds a baselines file holds, each a list of UnitBaselineSchema rows
UNIT_KINDS = ("counties", "agencies")


def parse_file(path: Path) -> YearBaselines:
    """One year's file, validated; raises ReferenceDataError naming file and field."""
    raw = validated(path, BaselineFileSchema())
    if path.stem != str(raw["year"]):
        raise ReferenceDataError(f"{path}: year: {raw['year']} in a file named {path.name}")
    units: dict[str, Mapping[str, Figures]] = {
        kind: MappingProxyType({row["code"]: Figures(row["retired_cadres"],
                                                     row["party_branches"])
                                for row in raw[kind]})
        for kind in UNIT_KINDS if raw.get(kind) is not None}
    if "agencies" not in units:
        units["agencies"] = city_file_figures(raw["year"]).agencies
    return YearBaselines(raw["year"], MappingProxyType(units))


def city_file_figures(year: int) -> YearBaselines:
    city = load_city()
    counties = {code: Figures(c.retired_cadres, c.branches)
                for code, c in city.counties.items()}
    agencies = {code: Figures(a.retired_cadres, a.branches)
                for code, a in city.agencies.items()}
    return YearBaselines(year, MappingProxyType({"counties": MappingProxyType(counties),
                                                 "agencies": MappingProxyType(agencies)}))


@dataclass(frozen=True)
class Loaded:
    mtime: float
    baselines: YearBaselines


class Baselines:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self._good: dict[int, Loaded] = {}
        self.rejected: dict[str, str] = {}
        self._published: dict[int, YearBaselines] = {}
        self._unpublished_at: dict[int, float] = {}
        self._lock = threading.Lock()

    def folder(self) -> Path:
        return self.directory or reference_dir() / "baselines"

    def for_year(self, year: int, published: PublishedLookup) -> YearBaselines:
        """The figures a period of `year` is ranked by: frozen ones once it is published,
        else the files' (its own year's, else the nearest earlier year's)."""
        on_file = self.on_file(published)
        frozen = self._frozen(year, published)
        current = for_year(year, on_file) or city_file_figures(year)
        if frozen is not None:
            return frozen.completed_by(current)
        return current

    def is_frozen(self, year: int, published: PublishedLookup) -> bool:
        """Whether the year's assessment is published with the figures it ranked by."""
        return self._frozen(year, published) is not None

    def published_now(self, year: int, baselines: YearBaselines) -> None:
        """This replica just published the year: freeze it without asking the store."""
        with self._lock:
            self._published[year] = baselines

    def on_file(self, published: PublishedLookup) -> dict[int, YearBaselines]:
        """Every year on file that loads (its last good version when an edit is refused)."""
        found: dict[int, YearBaselines] = {}
        folder = self.folder()
        if not folder.is_dir():
            return found
        for path in sorted(folder.glob("*.yaml")):
            if not path.stem.isdigit():
                continue
            loaded = self._load(path, published)
            if loaded is not None:
                found[loaded.year] = loaded
        return found

    def _load(self, path: Path, published: PublishedLookup) -> YearBaselines | None:
        year = int(path.stem)
        mtime = path.stat().st_mtime
        with self._lock:
            good = self._good.get(year)
            if good is not None and good.mtime == mtime:
                return good.baselines
        try:
            baselines = parse_file(path)
            frozen = self._frozen(year, published)
            if frozen is not None and not frozen.same_figures(baselines):
                raise ReferenceDataError(
                    f"{path}: the assessment of {year} is published; its baselines cannot "
                    f"change (a published appraisal cannot move)")
        except ReferenceDataError as error:
            with self._lock:
                if self.rejected.get(path.name) != str(error):
                    log.error("baselines %s rejected, %s: %s", path.name,
                              "keeping the last good version" if good else "none running",
                              error)
                self.rejected[path.name] = str(error)
                # the file is refused for good at this mtime; a fixed edit is read again
                if good is not None:
                    self._good[year] = Loaded(mtime, good.baselines)
                return frozen if (frozen := self._published.get(year)) else (
                    good.baselines if good else None)
        with self._lock:
            self._good[year] = Loaded(mtime, baselines)
            self.rejected.pop(path.name, None)
        return baselines

    def _frozen(self, year: int, published: PublishedLookup) -> YearBaselines | None:
        with self._lock:
            if year in self._published:
                return self._published[year]
            checked = self._unpublished_at.get(year)
            if checked is not None and time.monotonic() - checked < UNPUBLISHED_RECHECK_SECONDS:
                return None
        frozen = published(year)
        with self._lock:
            if frozen is None:
                self._unpublished_at[year] = time.monotonic()
            else:
                self._published[year] = frozen
                self._unpublished_at.pop(year, None)
        return frozen
