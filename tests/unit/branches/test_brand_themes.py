"""A brand names the programme theme it serves (五个聚力), or none: the theme travels in
BrandApplied v2, and a v1 event (before themes) reads as a brand without one."""
from __future__ import annotations

import pytest

from contracts.branches import commands as schemas, events as ev
from services.branches.domain import brand as br, commands as cmd
from yinfa.errors import ValidationFailed
from yinfa.events.envelope import NewEvent

BRANCH_ID = "1b5ad7ba-4a6c-5a4f-8a39-7b2d2c7d2f10"
APPLICATION = {"branch_id": BRANCH_ID, "name": "江海银发先锋",
               "description": "老党员结对帮扶青年创业者", "year": 2024}


def test_the_command_takes_a_theme_by_code_or_label_or_none():
    load = schemas.load_command
    assert load(schemas.ApplyForBrand, {**APPLICATION, "theme": "youth_cultivation"}
                )["theme"] == "youth_cultivation"
    assert load(schemas.ApplyForBrand, {**APPLICATION, "theme": "培育时代新人"}
                )["theme"] == "youth_cultivation"
    assert load(schemas.ApplyForBrand, APPLICATION)["theme"] is None
    with pytest.raises(ValidationFailed):
        load(schemas.ApplyForBrand, {**APPLICATION, "theme": "gardening"})


def test_the_theme_is_recorded_and_folded(branch, catalog):
    command = cmd.ApplyForBrand(BRANCH_ID, APPLICATION["name"], APPLICATION["description"],
                                2024, theme="party_story")
    [applied] = br.apply_brand(None, command, branch(), catalog)
    assert isinstance(applied, NewEvent)
    assert applied.data["theme"] == "party_story"
    assert ev.CURRENT_VERSIONS[ev.BRAND_APPLIED] == 2
    assert br.replay([applied]).theme == "party_story"


def test_a_brand_applied_for_before_themes_has_none():
    v1 = {"name": "江海银发先锋", "description": "老党员结对帮扶", "first_year": 2021,
          "cultivation_years": 3}
    upcast = ev.upcast(ev.BRAND_APPLIED, 1, v1)
    assert upcast == {**v1, "theme": None}
    assert ev.BrandAppliedV2().validate(upcast) == {}
