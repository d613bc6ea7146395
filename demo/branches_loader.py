"""Load the branches demo through the service's own RPC commands, many calls in flight,
and show certification coverage per county."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from demo import branches_data as data
from demo.loader import pipelined
from demo.report import _cell
from yinfa.reference import City
from yinfa.schemas import city_today

LEVEL_ORDER = ("working_committee", "general_branch", "branch", "group")


def load_branches(rpc: Any, city: City, seed: int, progress: Callable[[str], None]) -> None:
    service = rpc.branches
    as_of = city_today()
    made = data.branches_for(city, seed, as_of)
    for level in LEVEL_ORDER:  # parents before their children
        pipelined(service.establish_branch,
                  [b.establish for b in made if b.establish["level"] == level])
    progress(f"established {len(made)} party organisations in {len(city.counties)} counties")

    for step in range(max(len(b.climb) for b in made)):
        climbing = [b for b in made if len(b.climb) > step]
        pipelined(service.apply_for_certification, [data.application(b, step) for b in climbing])
        pipelined(service.review_items, [data.item_reviews(b, step) for b in climbing])
        pipelined(service.grant_certification, [data.grant(b, step) for b in climbing])
        progress(f"certified {len(climbing)} branches at {climbing[0].climb[step][0]}")

    applications = [b.brand for b in made if b.brand is not None]
    branded = [b for b in made if b.brand is not None]
    if branded:
        pipelined(service.apply_brand, applications)
        first_year = as_of.year - 3
        for year in range(first_year, as_of.year):
            pipelined(service.review_brand, [data.brand_reviews(b, year) for b in branded])
        chosen = service.select_top_brands(data.top_brand_scores(branded, seed, as_of.year - 1))
        progress(f"{len(branded)} party-building brands; {len(chosen['selected'])} chosen "
                 f"as the best of {as_of.year - 1}")


def coverage_table(rows: list[dict[str, Any]]) -> str:
    """Certification coverage per county (seed 002: every formal branch at 达标 or above)."""
    header = ["县（市、区）", "代码", "建制性支部", "达标及以上", "覆盖率", "距100%目标"]
    widths = [20, 7, 10, 10, 8, 10]
    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    lines = ["  ".join(_cell(h, w) for h, w in zip(header, widths, strict=True)), rule]
    ordered = sorted(rows, key=lambda r: (-float(r["share"] or 0), r["county_code"]))
    formal = certified = 0
    for row in ordered:
        gap = row["formal_branches"] - row["certified"]
        cells = [row["county_name"], row["county_code"], row["formal_branches"], row["certified"],
                 _percent(row["share"]), "已达标" if row["meets_target"] else f"差{gap}个"]
        lines.append("  ".join(_cell(c, w, right=1 < i < 5) for i, (c, w) in
                               enumerate(zip(cells, widths, strict=True))))
        formal += row["formal_branches"]
        certified += row["certified"]
    share = f"{100 * certified / formal:.1f}%" if formal else "—"
    lines += [rule, f"全市合计：建制性支部 {formal} 个，达标及以上 {certified} 个，覆盖率 {share}"]
    return "\n".join(lines)


def _percent(share: str | None) -> str:
    return "—" if share is None else f"{100 * float(share):.1f}%"
