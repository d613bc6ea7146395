"""Resident ID numbers (居民身份证号, GB 11643) and masking of personal data.

Layout: 6-digit region code, 8-digit birth date (YYYYMMDD), 3-digit sequence whose last
digit is odd for men and even for women, and an ISO 7064 MOD 11-2 check character.
"""
from __future__ import annotations

import re
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# Province-level prefixes of GB/T 2260 (incl. Taiwan 71, Hong Kong 81, Macao 82).
PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)
_SHAPE = re.compile(r"^\d{17}[\dX]$")


def normalise(value: str) -> str:
    return value.strip().upper()


def check_digit(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def check_id_number(value: object, today: date | None = None) -> list[str]:
    """Reasons why `value` is not a valid ID number; an empty list means it is valid."""
    if not isinstance(value, str):
        return ["must be a string"]
    number = normalise(value)
    if len(number) != 18:
        return [f"must be 18 characters, got {len(number)}"]
    if not _SHAPE.match(number):
        return ["must be 17 digits followed by a digit or X"]
    reasons = []
    if number[:2] not in PROVINCE_CODES:
        reasons.append(f"region code {number[:6]} names no province")
    birth = _birth_date(number)
    if birth is None:
        reasons.append(f"birth date {number[6:14]} is not a real date")
    elif not date(1900, 1, 1) <= birth <= (today or date.today()):
        reasons.append(f"birth date {birth.isoformat()} is out of range")
    if check_digit(number[:17]) != number[17]:
        reasons.append("check digit does not match")
    return reasons


def birth_date_of(id_number: str) -> date:
    birth = _birth_date(normalise(id_number))
    if birth is None:
        raise ValueError("ID number carries no valid birth date")
    return birth


def birth_year_of(id_number: str) -> int:
    return birth_date_of(id_number).year


def gender_of(id_number: str) -> str:
    return "male" if int(normalise(id_number)[16]) % 2 else "female"


def mask_id_number(id_number: str) -> str:
    """Only the region: with the birth year and gender a role also sees, the birth day and
    sequence number still leave 365 × 500 = 182,500 candidates (the check digit follows
    from them). Showing the last four digits too would leave about 33."""
    number = normalise(id_number)
    return number[:6] + "*" * (len(number) - 6)


def mask_phone(phone: str) -> str:
    digits = phone.strip()
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def make_id_number(region: str, birth_date: date | str, seq: int) -> str:
    """A valid ID number for test and demo data; `seq` 0–999, odd for a man."""
    if not (len(region) == 6 and region.isdigit()):
        raise ValueError("region must be 6 digits")
    if not 0 <= seq <= 999:
        raise ValueError("seq must be 0–999")
    born = date.fromisoformat(birth_date) if isinstance(birth_date, str) else birth_date
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)


def _birth_date(number: str) -> date | None:
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None
