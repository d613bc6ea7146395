"""Read-side helpers for the assessment: certification coverage and demonstration branches.

Both look at the branches that count (active bodies of a formal type at a certifiable
level: the 建制性支部 of seed 002) and at what each validly holds on a given day, so the
same folded streams and the same day always give the same figures.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from contracts.branches.catalog import BranchCatalog

from .branch import Branch
from .certification import Certification, current_level

SHARE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class CountyCoverage:
    county_code: str
    formal_branches: int
    certified: int  # at the first level (达标) or above

    @property
    def share(self) -> Decimal | None:
        """certified / formal_branches to four places; None when there is no branch."""
        if not self.formal_branches:
            return None
        return (Decimal(self.certified) / self.formal_branches).quantize(
            SHARE_PLACES, rounding=ROUND_HALF_UP)


def counts_for_coverage(branch: Branch, catalog: BranchCatalog) -> bool:
    return (branch.is_active and catalog.branch_types[branch.branch_type].formal
            and catalog.structure_levels[branch.level].certifiable)


def certification_coverage(branches: Mapping[str, Branch],
                           certifications: Mapping[str, Certification | None], on: date,
                           catalog: BranchCatalog, counties: Iterable[str] = ()
                           ) -> dict[str, CountyCoverage]:
    """Per county: formal active branches and how many validly hold any level on `on`.
    `certifications` is keyed by branch id; `counties` adds counties with no branch."""
    totals = {code: [0, 0] for code in counties}
    for branch_id, branch in branches.items():
        if not counts_for_coverage(branch, catalog):
            continue
        tally = totals.setdefault(branch.county_code, [0, 0])
        tally[0] += 1
        tally[1] += current_level(certifications.get(branch_id), on) is not None
    return {code: CountyCoverage(code, formal, certified)
            for code, (formal, certified) in sorted(totals.items())}


def demonstration_branches(branches: Mapping[str, Branch],
                           certifications: Mapping[str, Certification | None], on: date,
                           catalog: BranchCatalog) -> dict[str, dict[str, int]]:
    """Per county, per demonstration level (every level above the first), how many active
    branches validly hold exactly that level on `on` (a 省级示范 is not also counted as 市级)."""
    demo_levels = [level.code for level in catalog.certification_levels[1:]]
    result: dict[str, dict[str, int]] = {}
    for branch_id, branch in sorted(branches.items()):
        level = current_level(certifications.get(branch_id), on) if branch.is_active else None
        if level is not None and level in demo_levels:
            counts = result.setdefault(branch.county_code, dict.fromkeys(demo_levels, 0))
            counts[level] += 1
    return dict(sorted(result.items()))
