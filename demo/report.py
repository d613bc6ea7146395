"""What the demo shows: volunteers per county, per 100 retired cadres, by star level."""
from __future__ import annotations

import unicodedata
from typing import Any

STATUS_LABELS = {"registered": "待核", "verified": "已核", "active": "在岗",
                 "suspended": "暂停", "withdrawn": "退出"}


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(text: Any, width: int, right: bool = False) -> str:
    text = str(text)
    pad = " " * max(0, width - _width(text))
    return pad + text if right else text + pad


def county_table(rows: list[dict[str, Any]]) -> str:
    header = ["县（市、区）", "代码", "离退休干部", "志愿者", "每百人", "在岗", "待核",
              "1★", "2★", "3★", "4★", "5★", "团队"]
    widths = [20, 7, 10, 7, 7, 5, 5, 4, 4, 4, 4, 4, 5]
    lines = ["  ".join(_cell(h, w) for h, w in zip(header, widths, strict=True))]
    lines.append("-" * (sum(widths) + 2 * (len(widths) - 1)))
    ordered = sorted(rows, key=lambda r: (-(r["per_100_retired"] or 0), r["county_code"]))
    totals = {"volunteers": 0, "retired": 0}
    for row in ordered:
        stars = row["by_star_level"]
        status = row["by_status"]
        serving = status.get("active", 0) + status.get("verified", 0)
        cells = [row["county_name"], row["county_code"], row["retired_cadres"], row["volunteers"],
                 f"{row['per_100_retired']:.2f}", serving, status.get("registered", 0),
                 *[stars.get(str(n), 0) for n in range(1, 6)], row["teams"]]
        lines.append("  ".join(_cell(c, w, right=i > 1) for i, (c, w) in
                               enumerate(zip(cells, widths, strict=True))))
        totals["volunteers"] += row["volunteers"]
        totals["retired"] += row["retired_cadres"]
    per100 = 100 * totals["volunteers"] / totals["retired"] if totals["retired"] else 0
    lines.append("-" * (sum(widths) + 2 * (len(widths) - 1)))
    lines.append(f"全市合计：志愿者 {totals['volunteers']} 人，每百名离退休干部 {per100:.2f} 人")
    return "\n".join(lines)


def activity_table(volunteer_rows: list[dict[str, Any]], activity_summary: dict[str, Any]
                   ) -> str:
    """Per county: activities completed, themes covered, hours credited, audience, wishes."""
    header = ["县（市、区）", "完成活动", "主题覆盖", "活动时长", "志愿总时长", "受众人次",
              "微心愿", "已实现"]
    widths = [20, 8, 8, 9, 10, 8, 6, 6]
    lines = ["  ".join(_cell(h, w) for h, w in zip(header, widths, strict=True))]
    lines.append("-" * (sum(widths) + 2 * (len(widths) - 1)))
    for row in sorted(volunteer_rows, key=lambda r: r["county_code"]):
        summary = activity_summary.get(row["county_code"], {})
        wishes = summary.get("wishes", {})
        cells = [row["county_name"], summary.get("activities", {}).get("completed", 0),
                 f"{len(summary.get('themes', {}))}/5", row.get("activity_hours", "0"),
                 row.get("hours", "0"), summary.get("audience", 0), sum(wishes.values()),
                 wishes.get("confirmed", 0) + wishes.get("fulfilled", 0)]
        lines.append("  ".join(_cell(c, w, right=i > 0) for i, (c, w) in
                               enumerate(zip(cells, widths, strict=True))))
    return "\n".join(lines)


SHORT_LABELS = {  # column heads for the rulebook's indicators
    "certification_coverage": "达标", "demonstration_branches": "示范",
    "volunteer_participation": "参与", "active_volunteers": "活跃",
    "service_hours": "时长", "theme_coverage": "主题", "audience_reached": "受众",
    "wishes_fulfilled": "心愿", "wish_speed": "时效", "endorsements": "批示",
}


def ranking_table(ranking: list[dict[str, Any]]) -> str:
    """The live county ranking: rank, total and each indicator's points (ties share a rank)."""
    codes = [row["code"] for row in ranking[0]["rows"]] if ranking else []
    header = ["名次", "县（市、区）", "总分"] + [SHORT_LABELS.get(c, c[:4]) for c in codes]
    widths = [4, 20, 7] + [6] * len(codes)
    lines = ["  ".join(_cell(h, w) for h, w in zip(header, widths, strict=True))]
    lines.append("-" * (sum(widths) + 2 * (len(widths) - 1)))
    for county in ranking:
        points = {row["code"]: row["points"] for row in county["rows"]}
        cells = [county["rank"], county["county_name"], county["total"],
                 *[points[c] for c in codes]]
        lines.append("  ".join(_cell(c, w, right=i != 1) for i, (c, w) in
                               enumerate(zip(cells, widths, strict=True))))
    return "\n".join(lines)
