"""Counting the ID numbers that fit what a role sees of a person: masked forms, birth year
and gender. Fewer than 100,000 candidates would make a guess worth trying."""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta

from contracts.volunteers.id_number import check_digit

ID_SHAPED = re.compile(r"[0-9X*]{18}")


def id_shaped(texts: Iterable[str]) -> set[str]:
    """Every 18-character run of digits, X and * in these texts (masked or not)."""
    return {match for text in texts for match in ID_SHAPED.findall(text)}


def candidates(seen: Iterable[str], region: str, birth_year: int, gender: str) -> int:
    """ID numbers of someone born in `birth_year` of `gender` in `region` that agree,
    character by character, with every ID-shaped string seen."""
    patterns = [p for p in seen if p[:6] == region]
    count, day = 0, date(birth_year, 1, 1)
    while day.year == birth_year:
        for seq in range(1 if gender == "male" else 0, 1000, 2):
            first17 = f"{region}{day:%Y%m%d}{seq:03d}"
            number = first17 + check_digit(first17)
            if all(_fits(number, p) for p in patterns):
                count += 1
        day += timedelta(days=1)
    return count


def _fits(number: str, pattern: str) -> bool:
    return all(p in ("*", n) for n, p in zip(number, pattern, strict=True))
