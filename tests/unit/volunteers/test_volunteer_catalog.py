import pytest

from contracts.volunteers.catalog import load_volunteer_catalog
from yinfa.reference import ReferenceDataError, reference_dir


def test_the_catalog_has_twelve_team_categories_including_those_of_seed_002():
    categories = load_volunteer_catalog().team_categories

    assert len(categories) == 12
    assert {"理论宣讲", "乡村振兴", "民企发展", "润苗育才", "和谐助稳"} <= set(categories.values())


def test_the_catalog_lists_talent_pool_skills_and_withdrawal_reasons():
    catalog = load_volunteer_catalog()

    assert {"law", "medicine", "agriculture", "education", "science", "theory"} <= set(
        catalog.skills)
    assert catalog.withdrawal_reasons["deceased"] == "去世"
    assert catalog.max_hours_per_entry == 24


def test_a_catalog_whose_star_hours_do_not_rise_is_refused(tmp_path):
    text = (reference_dir() / "volunteers.yaml").read_text(encoding="utf-8")
    path = tmp_path / "volunteers.yaml"
    path.write_text(text.replace("hours: 600", "hours: 250"), encoding="utf-8")

    with pytest.raises(ReferenceDataError, match="star_levels: hours must increase"):
        load_volunteer_catalog(path)
