"""The figures of a county's certification coverage (the assessment's indicator): formal
active branches at a certifiable level (the 建制性支部 of seed 002), and how many of them
validly hold any level on the day (queries.coverage counts them from the views).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

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

