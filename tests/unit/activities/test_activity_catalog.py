from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from contracts.activities.catalog import load_activity_catalog
from yinfa.reference import ReferenceDataError, reference_dir


@pytest.fixture
def catalog_file(tmp_path):
    """The shipped catalog with one part of it changed."""

    def write(**changes):
        document = yaml.safe_load((reference_dir() / "activities.yaml").read_text("utf-8"))
        for name, value in changes.items():
            section, _, key = name.partition("__")
            if key:
                document[section][key] = value
            else:
                document[section] = value
        path = tmp_path / "activities.yaml"
        path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        return path

    return write


def test_the_five_themes_are_the_five_focuses_of_seed_001(catalog):
    assert dict(catalog.themes) == {
        "party_story": "讲好党的故事",
        "rural_revitalisation": "促进乡村振兴",
        "grassroots_governance": "完善基层治理",
        "sci_tech_innovation": "助推科技创新",
        "youth_cultivation": "培育时代新人",
    }


def test_every_kind_names_the_themes_it_usually_serves(catalog):
    assert {"talk", "medical", "mediation", "pairing", "policy_suggestion", "other"} <= set(
        catalog.kinds)
    assert catalog.kinds["talk"].label == "宣讲"
    assert all(set(kind.themes) <= set(catalog.themes) for kind in catalog.kinds.values())


def test_only_policy_suggestions_are_endorsable(catalog):
    assert [code for code, kind in catalog.kinds.items() if kind.endorsable] == [
        "policy_suggestion"]


def test_the_default_rules(catalog):
    rules = catalog.rules
    assert rules.attendance_share == Decimal("0.6")
    assert rules.wish_expiry_days == 60
    assert str(catalog.zone) == "Asia/Shanghai"  # the city's clock, from the city file


def test_a_changed_file_is_read_as_given(catalog_file):
    changed = load_activity_catalog(catalog_file(rules__attendance_share=0.75))
    assert changed.rules.attendance_share == Decimal("0.75")


@pytest.mark.parametrize(("changes", "named"), [
    ({"rules__attendance_share": 1.5}, "rules.attendance_share"),
    ({"rules__wish_expiry_days": 0}, "rules.wish_expiry_days"),
    ({"kinds": [{"code": "talk", "label": "宣讲", "themes": ["dancing"]}]}, "dancing"),
    ({"themes": [{"code": "party_story", "label": "a"}, {"code": "party_story", "label": "b"}]},
     "duplicate codes: party_story"),
])
def test_a_malformed_catalog_names_the_problem(changes, named, catalog_file):
    with pytest.raises(ReferenceDataError) as failed:
        load_activity_catalog(catalog_file(**changes))
    assert named in str(failed.value)


def test_a_missing_catalog_names_the_file(tmp_path):
    with pytest.raises(ReferenceDataError) as failed:
        load_activity_catalog(Path(tmp_path / "nowhere.yaml"))
    assert "nowhere.yaml" in str(failed.value)
