"""What an export holds, as plain tables (title, Chinese headers, rows), built from the
services' answers. No I/O here: the formats turn a table into bytes."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from yinfa.reference import load_city

STATUS_LABELS = {"registered": "已注册", "verified": "已认证", "active": "活跃",
                 "suspended": "已暂停", "withdrawn": "已退出", "erased": "已注销",
                 "transferred_out": "已转出"}
BRANCH_STATUS_LABELS = {"active": "正常", "merged": "已合并", "dissolved": "已撤销"}
GENDER_LABELS = {"male": "男", "female": "女"}


def number(value: Any) -> Any:
    """Points, totals, values and hours as numbers (a spreadsheet sums them), not text;
    whatever is not a number stays as it is."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | Decimal):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return value


@dataclass(frozen=True)
class Table:
    title: str  # also the sheet name and the file name
    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


def county_name(code: str | None) -> str:
    unit = load_city().units.get(code or "")  # a county, or a city agency
    return unit.name if unit else (code or "")


def county_ranking(ranking: Iterable[Mapping[str, Any]], title: str) -> Table:
    """One row per county and indicator, so each county's points can be traced."""
    headers = ("排名", "县（市、区）代码", "县（市、区）", "总分", "指标代码", "指标",
               "口径", "原始值", "分母", "标准化值", "目标值", "权重", "得分")
    rows = []
    for county in ranking:
        for row in county.get("rows") or [{}]:
            rows.append((county.get("rank"), county.get("county_code"),
                         county.get("county_name") or county_name(county.get("county_code")),
                         number(county.get("total")), row.get("code"), row.get("label"),
                         row.get("measure"), number(row.get("raw")),
                         number(row.get("denominator")), number(row.get("normalised")),
                         number(row.get("target")), number(row.get("weight")),
                         number(row.get("points"))))
    return Table(title, headers, tuple(rows))


def volunteer_roster(volunteers: Iterable[Mapping[str, Any]], title: str) -> Table:
    headers = ("志愿者编号", "姓名", "性别", "出生年份", "身份证号（脱敏）", "手机（脱敏）",
               "县（市、区）", "原工作单位", "状态", "星级", "累计服务时长", "认证服务时长",
               "县（市、区）代码", "状态代码")
    rows = tuple(
        (v.get("volunteer_id"), v.get("name"), GENDER_LABELS.get(v.get("gender") or "", ""),
         v.get("birth_year"), v.get("id_number_masked"), v.get("phone_masked"),
         county_name(v.get("county_code")), v.get("former_employer"),
         STATUS_LABELS.get(v.get("status") or "", v.get("status")), v.get("star_level"),
         number(v.get("total_hours")), number(v.get("verified_hours")),
         v.get("county_code"), v.get("status"))
        for v in volunteers)
    return Table(title, headers, rows)


def branch_certifications(branches: Iterable[Mapping[str, Any]], title: str) -> Table:
    headers = ("支部编号", "支部名称", "县（市、区）", "类型", "层级", "状态", "认证等级",
               "认证日期", "有效期至", "支部书记", "县（市、区）代码", "状态代码", "认证等级代码")
    rows = tuple(
        (b.get("branch_id"), b.get("name"), county_name(b.get("county_code")),
         b.get("branch_type_label"), b.get("level_label"),
         BRANCH_STATUS_LABELS.get(b.get("status") or "", b.get("status")),
         b.get("certification_label") or "未认证", b.get("certified_on"),
         b.get("certified_until"), b.get("secretary"), b.get("county_code"), b.get("status"),
         b.get("certification_level"))
        for b in branches)
    return Table(title, headers, rows)
