"""Rulebooks by name (reference/rulebooks/<name>.yaml), reloaded when their file changes.

A file that no longer parses does not take the service down or change any score: the
last good version of that rulebook keeps running and the rejection (file, line, reason)
is kept for `health` to show. A rulebook that never parsed is refused with that reason.
"""
from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from services.scoring.domain.rulebook import Rulebook, RulebookError, load_rulebook, period_for_year
from yinfa.errors import NotFound, ValidationFailed
from yinfa.reference import reference_dir

log = logging.getLogger(__name__)

DEFAULT_RULEBOOK = "2026"
RULEBOOK_NAME = re.compile(r"^[0-9A-Za-z_][0-9A-Za-z_.-]{0,39}$")
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True)
class Loaded:
    mtime: float
    rulebook: Rulebook


class Rulebooks:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self._good: dict[str, Loaded] = {}
        self.rejected: dict[str, str] = {}
        self._lock = threading.Lock()

    def path(self, name: str) -> Path:
        return (self.directory or reference_dir() / "rulebooks") / f"{name}.yaml"

    def named(self, name: str | None) -> Rulebook:
        name = str(name or DEFAULT_RULEBOOK)
        path = self.path(name)
        if not RULEBOOK_NAME.match(name) or not path.is_file():
            raise NotFound(f"no rulebook {name!r}", field="rulebook")
        mtime = path.stat().st_mtime
        with self._lock:
            good = self._good.get(name)
            if good is not None and good.mtime == mtime:
                return good.rulebook
            try:
                rulebook = load_rulebook(path)
            except RulebookError as error:
                if self.rejected.get(name) != str(error):
                    log.error("rulebook %s rejected, %s: %s", name,
                              "keeping the running version" if good else "none running",
                              error)
                self.rejected[name] = str(error)
                if good is None:
                    raise ValidationFailed({"rulebook": [str(error)]}) from error
                return good.rulebook
            self._good[name] = Loaded(mtime, rulebook)
            self.rejected.pop(name, None)
            return rulebook

    def available(self) -> list[tuple[str, Rulebook]]:
        """Every rulebook that loads, by name (one that never parsed is left out)."""
        directory = self.directory or reference_dir() / "rulebooks"
        found = []
        for path in sorted(directory.glob("*.yaml")):
            try:
                found.append((path.stem, self.named(path.stem)))
            except (NotFound, ValidationFailed):
                continue
        return found

    def for_period(self, name: str | None, period: Any) -> tuple[str, Rulebook]:
        """(name, rulebook), its period replaced by `period` (a calendar year) if given."""
        name = str(name or DEFAULT_RULEBOOK)
        rulebook = self.named(name)
        if period is None:
            return name, rulebook
        text = str(period)
        if not re.fullmatch(r"\d{4}", text) or not FIRST_YEAR <= int(text) <= LAST_YEAR:
            raise ValidationFailed({"period": [f"a calendar year from {FIRST_YEAR} to "
                                               f"{LAST_YEAR}, e.g. 2026"]})
        return name, replace(rulebook, period=period_for_year(int(text)))
