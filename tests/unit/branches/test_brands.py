from dataclasses import replace
from decimal import Decimal

import pytest

from services.branches.domain import branch as b, brand as br, commands as cmd
from services.branches.handlers import COMMANDS
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound

FINANCE_ID = "1b5ad7ba-4a6c-5a4f-8a39-7b2d2c7d2f10"  # the brands' commands do not read it
SILVER_PIONEERS = cmd.ApplyForBrand(FINANCE_ID, "江海银发先锋", "老党员结对帮扶青年创业者", 2021)


def reviewing(year, passed=True):
    return cmd.ReviewBrand(FINANCE_ID, year, passed, reviewer="市局评审组",
                           note=None if passed else "活动流于形式")


@pytest.fixture
def brand(branch, catalog):
    """A brand state after applying in 2021 and the given yearly review outcomes."""

    def make(*outcomes, of=None, first_year=2021, selected=()):
        command = replace(SILVER_PIONEERS, year=first_year)
        state = br.replay(br.apply_brand(None, command, of or branch(), catalog))
        for passed in outcomes:
            state = br.replay(br.review_brand(state, reviewing(state.next_review_year, passed)),
                              state)
        for year, rank in selected:
            state = br.evolve(state, "BrandSelected", {"year": year, "rank": rank,
                                                       "score": "90", "top_n": 10})
        return state

    return make


def test_applying_starts_a_three_year_cultivation(brand):
    state = brand()

    assert (state.status, state.first_year, state.cultivation_years) == ("cultivating", 2021, 3)
    assert state.next_review_year == 2021


def test_a_branch_has_one_live_brand(brand, branch, catalog):
    with pytest.raises(AlreadyExists, match="一支部一品牌"):
        br.apply_brand(brand(), SILVER_PIONEERS, branch(), catalog)


def test_a_dissolved_or_unknown_branch_cannot_apply_for_a_brand(branch, catalog):
    with pytest.raises(DomainRuleViolated, match="dissolved"):
        br.apply_brand(None, SILVER_PIONEERS, branch(status=b.DISSOLVED), catalog)
    with pytest.raises(NotFound):
        br.apply_brand(None, SILVER_PIONEERS, None, catalog)


def test_three_passed_reviews_establish_the_brand(brand):
    assert brand(True, True).status == "cultivating"
    assert brand(True, True, True).status == "established"


def test_a_failed_cultivation_year_ends_the_cultivation(brand):
    state = brand(True, False)

    assert state.status == "failed"
    with pytest.raises(DomainRuleViolated, match="has failed"):
        br.review_brand(state, reviewing(2023))


def test_an_established_brand_is_still_reviewed_every_year_and_delisted_on_failure(brand):
    assert brand(True, True, True, True).status == "established"
    assert brand(True, True, True, False).status == "delisted"


def test_brands_are_reviewed_once_a_year_in_order(brand):
    with pytest.raises(DomainRuleViolated, match="in order") as refused:
        br.review_brand(brand(True), reviewing(2023))
    assert refused.value.context == {"expected": 2022}
    with pytest.raises(DomainRuleViolated, match="in order"):
        br.review_brand(brand(True), reviewing(2021))


def test_after_a_failure_the_branch_may_start_a_new_cultivation(brand, branch, catalog):
    failed = brand(True, False, selected=[(2021, 3)])

    with pytest.raises(DomainRuleViolated, match="after the last review"):
        br.apply_brand(failed, replace(SILVER_PIONEERS, year=2022), branch(), catalog)
    state = br.replay(br.apply_brand(failed, replace(SILVER_PIONEERS, name="银发先锋2.0",
                                                     year=2024), branch(), catalog), failed)
    assert (state.status, state.first_year, state.reviews) == ("cultivating", 2024, {})
    assert state.selected == {2021: 3}


# --- 十佳: the top ten of a year ---------------------------------------------------------


@pytest.fixture
def field_of(brand, branch, ids):
    """`field_of(n)`: n brands (品牌1 … 品牌n), each of its own branch, passed in 2021."""

    def make(count):
        return {ids(f"品牌{i}"): brand(True, of=branch(f"品牌{i}党支部"))
                for i in range(1, count + 1)}

    return make


def loaded(scores):
    """The panel's scores as the boundary schema hands them on: Decimals to two places."""
    return COMMANDS.load(cmd.SelectTopBrands, {"year": 2021, "scores": [
        {"branch_id": branch_id, "score": score} for branch_id, score in scores.items()]}
                         ).scores


def _ranks(selection):
    return [(branch_id, rank) for branch_id, rank in selection.ranked]


def test_the_ten_best_scores_are_selected_with_their_ranks(field_of, ids, catalog):
    brands = field_of(12)
    scores = loaded({ids(f"品牌{i}"): 100 - i for i in range(1, 13)})

    selection = br.select_top_brands(2021, brands, scores, catalog)

    assert _ranks(selection) == [(ids(f"品牌{i}"), i) for i in range(1, 11)]
    assert set(selection.events) == {ids(f"品牌{i}") for i in range(1, 11)}
    event = selection.events[ids("品牌1")][0]
    assert (event.type, event.data) == ("BrandSelected", {"year": 2021, "rank": 1,
                                                          "score": "99.00", "top_n": 10})


def test_equal_scores_share_a_rank_inside_the_top_ten(field_of, ids, catalog):
    brands = field_of(4)
    scores = loaded({ids("品牌1"): 95, ids("品牌2"): 90, ids("品牌3"): 90, ids("品牌4"): 80})

    selection = br.select_top_brands(2021, brands, scores, catalog)

    assert dict(selection.ranked) == {ids("品牌1"): 1, ids("品牌2"): 2, ids("品牌3"): 2,
                                      ids("品牌4"): 4}


def test_a_tie_straddling_the_cut_off_leaves_all_tied_brands_out(field_of, ids, catalog):
    brands = field_of(12)
    # 品牌1–8 score 99…92; 品牌9, 品牌10 and 品牌11 tie at 80 for places 9–11.
    scores = {ids(f"品牌{i}"): 100 - i for i in range(1, 9)}
    scores.update({ids("品牌9"): 80, ids("品牌10"): 80, ids("品牌11"): 80, ids("品牌12"): 70})

    selection = br.select_top_brands(2021, brands, loaded(scores), catalog)

    assert len(selection.ranked) == 8
    assert selection.tied_out == tuple(sorted([ids("品牌9"), ids("品牌10"), ids("品牌11")]))
    assert ids("品牌12") not in selection.events


def test_the_selection_does_not_depend_on_the_order_of_the_scores(field_of, ids, catalog):
    brands = field_of(12)
    scores = loaded({ids(f"品牌{i}"): (100 - i) // 4 for i in range(1, 13)})  # four-way ties
    reversed_scores = dict(reversed(list(scores.items())))

    first = br.select_top_brands(2021, brands, scores, catalog)
    again = br.select_top_brands(2021, brands, reversed_scores, catalog)

    assert (first.ranked, first.tied_out) == (again.ranked, again.tied_out)
    assert (len(first.ranked), len(first.tied_out)) == (8, 4)


def test_only_brands_that_passed_the_years_review_can_be_scored(brand, branch, ids, catalog):
    brands = {ids("品牌1"): brand(True), ids("品牌2"): brand(False, of=branch("品牌2党支部"))}

    with pytest.raises(DomainRuleViolated, match="did not pass its 2021 review") as refused:
        br.select_top_brands(2021, brands, loaded({ids("品牌1"): 90, ids("品牌2"): 85}),
                             catalog)
    assert refused.value.context == {"branch_id": ids("品牌2")}
    with pytest.raises(DomainRuleViolated, match="did not pass its 2022 review"):
        br.select_top_brands(2022, brands, loaded({ids("品牌1"): 90}), catalog)


def test_scoring_an_unknown_brand_is_not_found(field_of, ids, catalog):
    with pytest.raises(NotFound) as refused:
        br.select_top_brands(2021, field_of(1), loaded({ids("无此品牌"): 90}), catalog)
    assert refused.value.field == "scores"


def test_rerunning_a_selection_only_completes_what_was_cut_short(field_of, ids, catalog):
    brands = field_of(3)
    scores = loaded({ids("品牌1"): 90, ids("品牌2"): 85, ids("品牌3"): Decimal("80.5")})
    first = br.select_top_brands(2021, brands, scores, catalog)
    brands[ids("品牌1")] = br.replay(first.events[ids("品牌1")], brands[ids("品牌1")])

    again = br.select_top_brands(2021, brands, scores, catalog)

    assert set(again.events) == {ids("品牌2"), ids("品牌3")}
    assert again.events[ids("品牌2")][0].event_id == first.events[ids("品牌2")][0].event_id
    assert brands[ids("品牌1")].selected == {2021: 1}
