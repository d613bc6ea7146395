"""Star volunteers (星级志愿者): the level earned by cumulative verified service hours."""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal


def star_level(total_hours: Decimal | float | int, thresholds: Sequence[int]) -> int:
    """How many thresholds the hours reach: 0 below the first, len(thresholds) at the top."""
    return sum(1 for threshold in thresholds if Decimal(str(total_hours)) >= threshold)
