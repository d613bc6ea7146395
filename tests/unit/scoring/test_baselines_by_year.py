"""Baselines by year: a period is ranked by its own year's figures, an edit of one year
moves no other, a published year is frozen, a broken edit keeps the last good version."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from services.scoring.domain.baselines import Figures, YearBaselines, as_data, for_year, from_data
from services.scoring.engine.baselines import Baselines, parse_file
from yinfa.reference import ReferenceDataError

SHIPPED = Path(__file__).resolve().parents[3] / "reference" / "baselines"
ZONE = "320972"


def nobody_published(year: int) -> None:
    return None


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for path in SHIPPED.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    stat = path.stat()  # a later mtime even on a coarse clock
    os.utime(path, (stat.st_atime, stat.st_mtime + 5))


def test_the_shipped_files_cover_every_county_and_name_their_year():
    for path in SHIPPED.glob("*.yaml"):
        baselines = parse_file(path)
        assert str(baselines.year) == path.stem
        assert len(baselines.counties) == 11


def test_a_year_is_ranked_by_its_own_figures_and_an_edit_moves_no_other(folder: Path):
    baselines = Baselines(folder)
    before_2025 = baselines.for_year(2025, nobody_published)
    edit(folder / "2026.yaml", 'code: "320972", retired_cadres: 480',
         'code: "320972", retired_cadres: 960')
    assert baselines.for_year(2026, nobody_published).counties[ZONE].retired_cadres == 960
    after_2025 = baselines.for_year(2025, nobody_published)
    assert after_2025 == before_2025
    assert after_2025.counties[ZONE].retired_cadres == 471


def test_a_year_without_a_file_takes_the_nearest_earlier_one():
    on_file = {2025: YearBaselines(2025), 2026: YearBaselines(2026)}
    assert for_year(2027, on_file) is on_file[2026]
    assert for_year(2024, on_file) is on_file[2025]
    assert for_year(2025, {}) is None


def test_a_published_year_is_frozen_and_an_edit_of_it_is_refused(folder: Path):
    baselines = Baselines(folder)
    published = baselines.for_year(2025, nobody_published)
    frozen = from_data(as_data(published))  # as the event carries them
    edit(folder / "2025.yaml", 'code: "320972", retired_cadres: 471',
         'code: "320972", retired_cadres: 999')
    # a replica that learns of the publication from the store
    replica = Baselines(folder)
    answer = replica.for_year(2025, lambda year: frozen if year == 2025 else None)
    assert answer.counties[ZONE].retired_cadres == 471
    assert "published" in replica.rejected["2025.yaml"]
    # the replica that published it
    baselines.published_now(2025, frozen)
    assert baselines.for_year(2025, nobody_published).counties[ZONE].retired_cadres == 471
    assert "published" in baselines.rejected["2025.yaml"]
    # 2026 still follows its file
    assert replica.for_year(2026, nobody_published).counties[ZONE].retired_cadres == 480


def test_a_broken_edit_keeps_the_last_good_version(folder: Path):
    baselines = Baselines(folder)
    good = baselines.for_year(2026, nobody_published)
    edit(folder / "2026.yaml", 'code: "320902", retired_cadres: 5200',
         'code: "320902", retired_cadres: -1')
    assert baselines.for_year(2026, nobody_published) == good
    assert "retired_cadres" in baselines.rejected["2026.yaml"]
    edit(folder / "2026.yaml", 'retired_cadres: -1', 'retired_cadres: 5300')
    assert baselines.for_year(2026, nobody_published).counties["320902"].retired_cadres == 5300
    assert "2026.yaml" not in baselines.rejected


def test_a_file_missing_a_county_or_naming_another_year_is_refused(folder: Path):
    path = folder / "2024.yaml"
    path.write_text('year: 2024\ncounties:\n  - {code: "320902", retired_cadres: 1, '
                    'party_branches: 1}\n', encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="counties without a baseline"):
        parse_file(path)
    wrong = folder / "2023.yaml"
    wrong.write_text((folder / "2025.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="2023.yaml"):
        parse_file(wrong)


def test_the_figures_round_trip_through_the_event_shape():
    baselines = YearBaselines(2026, {"counties": {ZONE: Figures(480, 11)}})
    again = from_data(as_data(baselines))
    assert again.same_figures(baselines) and again.fingerprint == baselines.fingerprint


years = st.sets(st.integers(min_value=2000, max_value=2100), min_size=1, max_size=8)


@given(on_file=years, asked=st.integers(min_value=1990, max_value=2110),
       edited=st.integers(min_value=2000, max_value=2100))
def test_an_edit_moves_only_the_years_ranked_by_the_edited_file(on_file, asked, edited):
    files = {y: YearBaselines(y, {"counties": {ZONE: Figures(100, 1)}}) for y in on_file}
    chosen = for_year(asked, files)
    earlier = [y for y in on_file if y <= asked]
    assert chosen is not None
    assert chosen.year == (max(earlier) if earlier else min(on_file))
    after = {**files, edited: YearBaselines(edited, {"counties": {ZONE: Figures(999, 1)}})}
    moved = for_year(asked, after)
    assert moved is not None
    if moved.counties[ZONE].retired_cadres != chosen.counties[ZONE].retired_cadres:
        # only a period ranked by the edited year's file (or newly by it) moves
        assert moved.year == edited
