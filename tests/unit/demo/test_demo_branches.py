from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from contracts.branches import commands as s
from contracts.branches.catalog import load_branch_catalog, load_checklists
from demo.branches_data import (
    application,
    branches_for,
    brand_reviews,
    grant,
    item_reviews,
    top_brand_scores,
)
from demo.branches_loader import coverage_table
from services.branches.domain import branch, brand, certification, commands as cmd
from services.branches.handlers import COMMANDS
from yinfa.reference import load_city

TODAY = date.today()  # the boundary refuses decision dates in the future


@pytest.fixture(scope="module")
def made():
    return branches_for(load_city(), seed=7, as_of=TODAY)


@pytest.fixture(scope="module")
def established(made):
    """Each branch's state after its establishment, through the pure domain."""
    catalog, states = load_branch_catalog(), {}
    for b in made:
        command = COMMANDS.load(cmd.EstablishBranch, b.establish)
        parent = states.get(command.parent_id)
        states[b.branch_id] = branch.replay(branch.establish(None, command, parent, catalog))
    return states


def commands(made):
    """Every command the loader sends, in its order, as (schema, payload)."""
    for b in made:
        yield s.EstablishBranch, b.establish
    for step in range(4):
        for b in (b for b in made if len(b.climb) > step):
            yield s.ApplyForCertification, application(b, step)
            yield s.ReviewItems, item_reviews(b, step)  # as the service's review_items loads it
            yield s.GrantCertification, grant(b, step)
    branded = [b for b in made if b.brand]
    for b in branded:
        yield s.ApplyForBrand, b.brand
        yield from ((s.ReviewBrand, brand_reviews(b, y)) for y in range(TODAY.year - 3, TODAY.year))
    yield s.SelectTopBrands, top_brand_scores(branded, 7, TODAY.year - 1)


def test_every_demo_command_passes_the_boundary_schema(made):
    loaded = [s.load_command(schema, payload) for schema, payload in commands(made)]
    decisions = sum(len(command.get("items", [command])) for command in loaded)
    assert decisions > 1000  # each item decision of a review_items counts as one


def test_the_same_seed_and_day_give_the_same_branches(made):
    again = branches_for(load_city(), seed=7, as_of=TODAY)
    other = branches_for(load_city(), seed=8, as_of=TODAY)
    assert again == made != other


def test_every_county_has_the_four_levels_and_the_one_plus_n_types(made):
    for code in load_city().counties:
        mine = [b.establish for b in made if b.county_code == code]
        assert {e["level"] for e in mine} == {"working_committee", "general_branch", "branch",
                                             "group"}
        assert {e["branch_type"] for e in mine} == {"formal", "functional", "joint",
                                                   "featured_group"}


def test_most_formal_branches_meet_the_standard_and_few_are_provincial(made):
    formal = [b for b in made if b.establish["branch_type"] == "formal"
              and b.establish["level"] == "branch"]
    top = Counter(b.climb[-1][0] if b.climb else None for b in formal)
    assert top["standard"] > len(formal) / 2
    assert top[None] and top["county_demo"] > top["city_demo"] > 0
    assert 1 <= sum(b.climb[-1][0] == "province_demo" for b in made if b.climb) <= 2


def test_the_whole_demo_keeps_every_domain_rule_and_holds_on_the_day(made, established):
    catalog, checklists = load_branch_catalog(), load_checklists()
    certifications = {}
    for b in (b for b in made if b.climb):
        state, subject = None, established[b.branch_id]
        for step in range(len(b.climb)):
            apply = COMMANDS.load(cmd.ApplyForCertification, application(b, step))
            state = certification.replay(
                certification.apply_for(state, apply, subject, checklists, catalog), state)
            for review in COMMANDS.load(cmd.ReviewItems, item_reviews(b, step)).items:
                state = certification.replay(certification.review_item(state, review), state)
            state = certification.replay(certification.grant(
                state, COMMANDS.load(cmd.GrantCertification, grant(b, step)), subject, catalog),
                state)
        assert certification.current_level(state, TODAY) == b.climb[-1][0]
        certifications[b.branch_id] = state

    certified_counties = {established[branch_id].county_code for branch_id in certifications}
    assert certified_counties == set(load_city().counties)


def test_the_brands_pass_their_cultivation_and_the_best_are_ranked(made, established):
    catalog, brands = load_branch_catalog(), {}
    branded = [b for b in made if b.brand]
    for b in branded:
        applied = COMMANDS.load(cmd.ApplyForBrand, b.brand)
        state = brand.replay(brand.apply_brand(None, applied, established[b.branch_id], catalog))
        for year in range(TODAY.year - 3, TODAY.year):
            review = COMMANDS.load(cmd.ReviewBrand, brand_reviews(b, year))
            state = brand.replay(brand.review_brand(state, review), state)
        assert state.status == brand.ESTABLISHED
        brands[b.branch_id] = state
    scores = COMMANDS.load(cmd.SelectTopBrands, top_brand_scores(branded, 7, TODAY.year - 1))

    chosen = brand.select_top_brands(TODAY.year - 1, brands, scores.scores, catalog)

    assert len(branded) >= 3
    assert [rank for _, rank in chosen.ranked][:1] == [1]
    assert len(chosen.ranked) <= catalog.brand_top_per_year


def test_the_coverage_table_ranks_counties_by_share_with_zh_labels():
    rows = [
        {"county_code": "320902", "county_name": "亭湖区", "formal_branches": 8, "certified": 6,
         "share": "0.7500", "meets_target": False},
        {"county_code": "320972", "county_name": "盐南高新区", "formal_branches": 3,
         "certified": 3, "share": "1.0000", "meets_target": True},
        {"county_code": "320971", "county_name": "盐城经济技术开发区", "formal_branches": 0,
         "certified": 0, "share": None, "meets_target": False},
    ]

    table = coverage_table(rows).splitlines()

    assert table[0].startswith("县（市、区）")
    assert table[2].startswith("盐南高新区") and "100.0%" in table[2] and "已达标" in table[2]
    assert table[3].startswith("亭湖区") and "75.0%" in table[3] and "差2个" in table[3]
    assert table[-1] == "全市合计：建制性支部 11 个，达标及以上 9 个，覆盖率 81.8%"
