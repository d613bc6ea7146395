"""Party-building brands (党建品牌), as pure functions.

One brand per branch (一支部一品牌): the stream is `brand-<branch_id>`. A brand is applied
for, then reviewed once a year, year after year without gaps. The first
`cultivation_years` reviews (3 by default: 三年申报创建) are its cultivation: all passed,
the brand is established; one failed, cultivation has failed. An established brand is
still reviewed every year (每年品牌复核) and is delisted when it fails. After a failure
the branch may apply again, starting a new cultivation.

Each year the bureau selects the top N (十佳) among the brands that passed that year's
review: `select_top_brands`. Ranking is by score, highest first, with shared ranks for
equal scores (1, 2, 2, 4 …). A group of equal scores that straddles the cut-off is left
out as a whole, so fewer than N may be chosen: no brand is chosen or dropped by list
order or id. The panel breaks such a tie by rescoring; the brands left out are reported.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from contracts.branches import events as ev
from contracts.branches.catalog import BranchCatalog
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound
from yinfa.events import fold
from yinfa.events.envelope import NewEvent, derived_event_id

from . import commands as cmd
from .branch import Branch

CULTIVATING, ESTABLISHED, FAILED, DELISTED = "cultivating", "established", "failed", "delisted"
LIVE = (CULTIVATING, ESTABLISHED)


@dataclass(frozen=True)
class Brand:
    name: str
    description: str
    first_year: int
    cultivation_years: int
    theme: str | None = None  # the programme theme it serves (none before themes were asked)
    status: str = CULTIVATING
    reviews: Mapping[int, bool] = field(default_factory=dict)  # this cultivation: year -> passed
    selected: Mapping[int, int] = field(default_factory=dict)  # every year chosen -> rank

    @property
    def next_review_year(self) -> int:
        return self.first_year + len(self.reviews)

    def passed_in(self, year: int) -> bool:
        return self.reviews.get(year) is True


@dataclass(frozen=True)
class Selection:
    """The outcome of a year's 十佳 selection: events per brand stream (keyed by branch id)."""

    events: Mapping[str, list[NewEvent]]
    ranked: tuple[tuple[str, int], ...]  # (branch_id, rank) of the chosen, best first
    tied_out: tuple[str, ...]  # equal scores straddling the cut-off


# --- commands ---------------------------------------------------------------------------


def apply_brand(state: Brand | None, command: cmd.ApplyForBrand, branch: Branch | None,
                catalog: BranchCatalog) -> list[NewEvent]:
    if branch is None:
        raise NotFound("no such branch", field="branch_id")
    if not branch.is_active:
        raise DomainRuleViolated(f"a {branch.status} branch cannot apply for a brand",
                                 field="branch_id")
    year = command.year
    if state is not None:
        if state.status in LIVE:
            raise AlreadyExists("the branch already has a brand (一支部一品牌)",
                                field="branch_id", brand=state.name)
        if year < state.next_review_year:
            raise DomainRuleViolated("a new cultivation starts after the last review",
                                     field="year", earliest=state.next_review_year)
    return [ev.new_event(ev.BRAND_APPLIED, {
        "name": command.name,
        "description": command.description,
        "first_year": year,
        "cultivation_years": catalog.brand_cultivation_years,
        "theme": command.theme,
    })]


def review_brand(state: Brand | None, command: cmd.ReviewBrand) -> list[NewEvent]:
    if state is None:
        raise NotFound("the branch has no brand", field="branch_id")
    if state.status not in LIVE:
        raise DomainRuleViolated(f"the brand has {state.status}; apply again first",
                                 field="branch_id")
    if command.year != state.next_review_year:
        raise DomainRuleViolated("brands are reviewed once a year, in order",
                                 field="year", expected=state.next_review_year)
    return [ev.new_event(ev.BRAND_REVIEWED, {
        "year": command.year, "passed": command.passed, "note": command.note,
        "reviewer_ref": command.reviewer_ref,
    })]


def select_top_brands(year: int, brands: Mapping[str, Brand | None],
                      scores: Mapping[str, Decimal], catalog: BranchCatalog) -> Selection:
    """Choose up to `catalog.brand_top_per_year` brands of `year` by the panel's `scores`
    (branch id -> score, as the boundary schema loads them: 0 or more). Every scored brand
    must have passed that year's review. Brands already chosen for the year get no second
    event, so a rerun with the same scores only completes a selection that was cut short."""
    for branch_id in scores:
        brand = brands.get(branch_id)
        if brand is None:
            raise NotFound("no brand for this branch", field="scores", branch_id=branch_id)
        if not brand.passed_in(year):
            raise DomainRuleViolated(f"the brand did not pass its {year} review",
                                     field="scores", branch_id=branch_id)
    top_n = catalog.brand_top_per_year
    ranked, tied_out = _rank(scores, top_n)
    events: dict[str, list[NewEvent]] = {}
    for branch_id, rank in ranked:
        brand = brands[branch_id]
        assert brand is not None
        if year in brand.selected:
            continue
        events[branch_id] = [ev.new_event(ev.BRAND_SELECTED, {
            "year": year, "rank": rank, "score": str(scores[branch_id]), "top_n": top_n,
        }, event_id=derived_event_id("branches.brand-selected", f"{branch_id}:{year}"))]
    return Selection(events=events, ranked=tuple(ranked), tied_out=tuple(tied_out))


def _rank(scored: Mapping[str, Decimal], top_n: int) -> tuple[list[tuple[str, int]], list[str]]:
    by_score: dict[Decimal, list[str]] = {}
    for branch_id, score in scored.items():
        by_score.setdefault(score, []).append(branch_id)
    ranked: list[tuple[str, int]] = []
    rank = 1
    for score in sorted(by_score, reverse=True):
        group = sorted(by_score[score])
        if rank + len(group) - 1 > top_n:
            return ranked, group if rank <= top_n else []
        ranked.extend((branch_id, rank) for branch_id in group)
        rank += len(group)
    return ranked, []


# --- state ------------------------------------------------------------------------------


_FOLD = fold.Fold("brand", ev.BRAND_APPLIED, {
    ev.BRAND_APPLIED: lambda state, data: _applied(state, data),
    ev.BRAND_REVIEWED: lambda state, data: _reviewed(state, data),
    ev.BRAND_SELECTED: lambda state, data: replace(
        state, selected={**state.selected, data["year"]: data["rank"]}),
})
evolve, replay = _FOLD.evolve, _FOLD.replay


def _applied(state: Brand | None, data: Mapping[str, Any]) -> Brand:
    return Brand(
        name=data["name"],
        description=data["description"],
        first_year=data["first_year"],
        cultivation_years=data["cultivation_years"],
        theme=data.get("theme"),
        selected=state.selected if state else {},
    )


def _reviewed(state: Brand, data: Mapping[str, Any]) -> Brand:
    reviews = {**state.reviews, data["year"]: data["passed"]}
    return replace(state, reviews=reviews, status=_status_after(state, data["passed"], reviews))


def _status_after(state: Brand, passed: bool, reviews: Mapping[int, bool]) -> str:
    if not passed:
        return DELISTED if state.status == ESTABLISHED else FAILED
    if state.status == CULTIVATING and len(reviews) >= state.cultivation_years:
        return ESTABLISHED
    return state.status
