"""Rulebooks by name, reloaded when their file changes: a malformed edit never replaces the
running version (the rejection is kept with its line); a file that never parsed is refused."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from services.scoring.domain.rulebook import default_rulebook_path
from services.scoring.engine.rulebooks import Rulebooks
from yinfa.errors import NotFound, ValidationFailed

GOOD = default_rulebook_path().read_text(encoding="utf-8")


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if fragment in line)


def write(path: Path, text: str, bump: float) -> None:
    """Write the file and move its mtime on: a reload is triggered by an mtime change, and
    two writes within a clock tick would otherwise look the same."""
    path.write_text(text, encoding="utf-8")
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + bump))


@pytest.fixture
def books(tmp_path: Path) -> Rulebooks:
    return Rulebooks(tmp_path)


def test_a_good_file_loads(books: Rulebooks, tmp_path: Path) -> None:
    write(tmp_path / "2026.yaml", GOOD, 1)

    assert books.named("2026").version == "2026.1"
    assert books.named(None).version == "2026.1"  # the default name
    assert books.rejected == {}


def test_a_malformed_edit_keeps_the_running_version_and_says_why(books: Rulebooks,
                                                                  tmp_path: Path) -> None:
    path = tmp_path / "2026.yaml"
    write(path, GOOD, 1)
    running = books.named("2026")
    bad = GOOD.replace('version: "2026.1"', 'version: "2026.2"').replace(
        "    weight: 30\n", "    weight: 29\n")
    write(path, bad, 2)

    assert books.named("2026") is running
    reason = books.rejected["2026"]
    line = line_of(bad, "branch_indicators:")
    assert f"line {line}: " in reason and "99" in reason
    assert books.named("2026") is running  # asked again: still the last good one

    fixed = GOOD.replace('version: "2026.1"', 'version: "2026.3"')
    write(path, fixed, 3)
    assert books.named("2026").version == "2026.3"
    assert "2026" not in books.rejected


def test_a_malformed_file_never_loaded_before_is_refused(books: Rulebooks,
                                                         tmp_path: Path) -> None:
    bad = GOOD.replace("measure: activities_served", "measure: audience_reached")
    write(tmp_path / "draft.yaml", bad, 1)
    line = [n for n, text in enumerate(bad.splitlines(), start=1)
            if "measure: audience_reached" in text][1]

    with pytest.raises(ValidationFailed) as caught:
        books.named("draft")
    (message,) = caught.value.errors["rulebook"]
    assert f"line {line}: " in message and "volunteer_indicators.1.measure" in message
    assert books.rejected["draft"] == message


def test_a_rulebook_that_does_not_exist_is_not_found(books: Rulebooks) -> None:
    with pytest.raises(NotFound):
        books.named("2031")
    with pytest.raises(NotFound):
        books.named("../2026")
