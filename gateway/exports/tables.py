"""What an export holds, as plain tables (title, Chinese headers, rows), built from the
services' answers. No I/O here: the formats turn a table into bytes."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from yinfa.reference import load_city

STATUS_LABELS = {"registered": "已注册", "verified": "已认证", "suspended": "已暂停",
                 "withdrawn": "已退出"}
GENDER_LABELS = {"male": "男", "female": "女"}


@dataclass(frozen=True)
class Table:
    title: str  # also the sheet name and the file name
    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


def county_name(code: str | None) -> str:
    county = load_city().counties.get(code or "")
    return county.name if county else (code or "")


def county_ranking(ranking: Iterable[Mapping[str, Any]], title: str) -> Table:
    """One row per county and indicator, so each county's points can be traced."""
    headers = ("排名", "县（市、区）代码", "县（市、区）", "总分", "指标代码", "指标",
               "口径", "原始值", "分母", "标准化值", "目标值", "权重", "得分")
    rows = []
    for county in ranking:
        for row in county.get("rows") or [{}]:
            rows.append((county.get("rank"), county.get("county_code"),
                         county.get("county_name") or county_name(county.get("county_code")),
                         county.get("total"), row.get("code"), row.get("label"),
                         row.get("measure"), row.get("raw"), row.get("denominator"),
                         row.get("normalised"), row.get("target"), row.get("weight"),
                         row.get("points")))
    return Table(title, headers, tuple(rows))


def volunteer_roster(volunteers: Iterable[Mapping[str, Any]], title: str) -> Table:
    headers = ("志愿者编号", "姓名", "性别", "出生年份", "身份证号（脱敏）", "手机（脱敏）",
               "县（市、区）", "原工作单位", "状态", "星级", "累计服务时长", "认证服务时长")
    rows = tuple(
        (v.get("volunteer_id"), v.get("name"), GENDER_LABELS.get(v.get("gender") or "", ""),
         v.get("birth_year"), v.get("id_number_masked"), v.get("phone_masked"),
         county_name(v.get("county_code")), v.get("former_employer"),
         STATUS_LABELS.get(v.get("status") or "", v.get("status")), v.get("star_level"),
         v.get("total_hours"), v.get("verified_hours"))
        for v in volunteers)
    return Table(title, headers, rows)


def branch_certifications(branches: Iterable[Mapping[str, Any]], title: str) -> Table:
    headers = ("支部编号", "支部名称", "县（市、区）", "类型", "层级", "状态", "认证等级",
               "认证日期", "有效期至", "支部书记")
    rows = tuple(
        (b.get("branch_id"), b.get("name"), county_name(b.get("county_code")),
         b.get("branch_type_label"), b.get("level_label"), b.get("status"),
         b.get("certification_label") or "未认证", b.get("certified_on"),
         b.get("certified_until"), b.get("secretary"))
        for b in branches)
    return Table(title, headers, rows)
