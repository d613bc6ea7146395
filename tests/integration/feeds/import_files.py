"""Partners' files for the import tests: volunteers with valid (and some bad) ID numbers."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from contracts.feeds.imports import COLUMNS
from contracts.volunteers.id_number import make_id_number

HEADER = list(COLUMNS["volunteers"][0]) + ["skills"]
COUNTY = "320902"


def person(n: int, name: str, bad_id: bool = False) -> list[str]:
    """The n-th person of a file: unique by birth date and sequence number."""
    born = date(1950, 1, 1) + timedelta(days=n // 500)
    seq = (n % 500) * 2  # even: a woman
    number = make_id_number(COUNTY, born, seq)
    if bad_id:  # a wrong check digit
        number = number[:-1] + ("0" if number[-1] != "0" else "1")
    return [f"p{n}", name, "女", str(born.year), number, "13812345678", COUNTY, "退休", "culture"]


def volunteers_csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue()


def roster(first: int, count: int, bad_every: int = 20, name: str = "欧阳·娜娜"
           ) -> tuple[list[list[str]], int]:
    """`count` rows, one in `bad_every` with a bad ID number (5 %); how many are good."""
    rows = [person(n, name, bad_id=(n % bad_every == 0)) for n in range(first, first + count)]
    return rows, sum(1 for n in range(first, first + count) if n % bad_every)
