"""Demo data for the branches service: retiree party organisations of every county of the
reference city, with a plausible spread of certification levels. Deterministic per seed and
`as_of` day: every date lies before it, and every certification is still valid on it.

Per county (seed 004's four levels): the bureau's 党工委; two or three town/street 党总支
with community 支部 under them; 支部 of former employers directly under the bureau; a
功能性 and a 兼合式 支部 (seed 002's "1+N"); a few 特色党小组 under 支部. Of the 支部,
most hold 达标, some 县级示范, a few 市级示范, one or two in the city 省级示范, and some
none yet. Two in five demonstration branches cultivate a party-building brand.
"""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, replace
from datetime import date, timedelta

from contracts.activities.catalog import load_activity_catalog
from contracts.branches.catalog import load_branch_catalog, load_checklists
from demo.people import GIVEN, SURNAMES
from yinfa.reference import City, County

TOWNS = ("新兴镇", "南洋镇", "盐东镇", "便仓镇", "大冈镇", "五星街道", "文峰街道", "新洋街道")
COMMUNITIES = ("幸福", "朝阳", "向阳", "和平", "光明", "新华", "长青", "丽景", "青年")
EMPLOYERS = ("教育局", "卫生健康委", "财政局", "农业农村局", "交通运输局", "住房城乡建设局",
             "人力资源社会保障局", "水利局", "供销合作总社", "司法局", "文化广电和旅游局")
FUNCTIONAL = ("老年大学", "银发人才库", "关工委宣讲团")
GROUPS = ("夕阳红宣讲", "书画", "银发调解", "健康义诊", "红色故事")
# Share of formal 支部 per level climbed to (None: not yet certified); the rest hold 达标,
# and one or two in the city 省级示范.
LEVEL_SHARES = ((None, 0.12), ("county_demo", 0.22), ("city_demo", 0.06))
CHECKLISTS = (("liuyou_yitisheng", 0.7), ("wuhua", 0.3))


@dataclass(frozen=True)
class DemoBranch:
    establish: dict  # EstablishBranch payload
    climb: tuple[tuple[str, date], ...] = ()  # (level, granted_on), ladder order
    checklist: str = "liuyou_yitisheng"
    brand: dict | None = None  # ApplyForBrand payload

    @property
    def branch_id(self) -> str:
        return str(self.establish["branch_id"])

    @property
    def county_code(self) -> str:
        return str(self.establish["county_code"])


def _id(seed: int, *parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"yinfa-demo:{seed}:" + ":".join(parts)))


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _weighted(rng: random.Random, shares: tuple) -> str | None:
    return rng.choices([value for value, _ in shares], [share for _, share in shares])[0]


class _County:
    """Builds one county's organisations; `add` keeps parents before their children."""

    def __init__(self, county: County, seed: int, rng: random.Random, as_of: date) -> None:
        self.county, self.seed, self.rng, self.as_of = county, seed, rng, as_of
        self.made: list[DemoBranch] = []

    def add(self, name: str, branch_type: str, level: str, parent: DemoBranch | None = None,
            **base: str) -> DemoBranch:
        founded = self.as_of - timedelta(days=self.rng.randint(5 * 365, 18 * 365))
        made = DemoBranch({
            "branch_id": _id(self.seed, self.county.code, name), "name": name,
            "branch_type": branch_type, "level": level, "county_code": self.county.code,
            "parent_id": parent.branch_id if parent else None, "secretary": _person(self.rng),
            "liaison": _person(self.rng), "established_on": founded.isoformat(), **base,
        })
        self.made.append(made)
        return made

    def build(self) -> list[DemoBranch]:
        name, rng = self.county.name, self.rng
        committee = self.add(f"{name}委老干部局离退休干部党工委", "formal", "working_committee")
        small = self.county.kind == "zone"
        for town in rng.sample(TOWNS, 1 if small else rng.randint(2, 3)):
            general = self.add(f"{name}{town}离退休干部党总支", "formal", "general_branch",
                               committee, community=town)
            for community in rng.sample(COMMUNITIES, rng.randint(1, 2)):
                self.add(f"{town}{community}社区离退休干部党支部", "formal", "branch", general,
                         community=f"{town}{community}社区")
        for employer in rng.sample(EMPLOYERS, max(2, self.county.branches // 25)):
            self.add(f"{name}{employer}离退休干部党支部", "formal", "branch",
                     former_employer=f"{name}{employer}")
        self.add(f"{name}{rng.choice(FUNCTIONAL)}功能性党支部", "functional", "branch", committee)
        self.add(f"{name}{rng.choice(COMMUNITIES)}片区兼合式党支部", "joint", "branch")
        hosts = [b for b in self.made if b.establish["level"] == "branch"]
        for group in rng.sample(GROUPS, 1 if small else 2):
            self.add(f"{group}特色党小组", "featured_group", "group", rng.choice(hosts))
        return self.made


def _spread(rng: random.Random, count: int) -> list[str | None]:
    """The level each of `count` formal 支部 climbs to, by the shares above, shuffled."""
    tops: list[str | None] = ["province_demo"] * rng.randint(1, 2)
    for level, share in LEVEL_SHARES:
        tops += [level] * max(2, round(share * count))
    tops += ["standard"] * (count - len(tops))
    rng.shuffle(tops)
    return tops[:count]


def _certified(made: DemoBranch, top: str | None, rng: random.Random, as_of: date
               ) -> DemoBranch:
    if top is None:
        return made
    return replace(made, climb=_climb(rng, as_of, top), checklist=str(_weighted(rng, CHECKLISTS)))


def _climb(rng: random.Random, as_of: date, top: str) -> tuple[tuple[str, date], ...]:
    """Each rung up to `top`, four to eight months apart, the last within 300 days."""
    ladder = [level.code for level in load_branch_catalog().certification_levels]
    granted = as_of - timedelta(days=rng.randint(20, 300))
    climb: list[tuple[str, date]] = []
    for level in reversed(ladder[:ladder.index(top) + 1]):
        climb.insert(0, (level, granted))
        granted -= timedelta(days=rng.randint(120, 240))
    return tuple(climb)


def _with_brand(made: DemoBranch, rng: random.Random, first_year: int) -> DemoBranch:
    name = made.establish["name"].replace("离退休干部党支部", "")
    return replace(made, brand={
        "branch_id": made.branch_id, "name": f"{name}·{rng.choice(['银辉', '红帆', '先锋'])}",
        "description": "老党员讲党史、结对帮扶、社区共治，打造一支部一品牌",
        "year": first_year, "theme": _theme_of(made.branch_id)})


def _theme_of(branch_id: str) -> str:
    """The programme theme a demo brand serves, from its branch id (the seeded random
    sequence stays as it was)."""
    themes = list(load_activity_catalog().themes)
    return themes[uuid.UUID(branch_id).int % len(themes)]


def branches_for(city: City, seed: int, as_of: date) -> list[DemoBranch]:
    """Every county's organisations, parents before children; half the non-formal 支部
    hold 达标; two in five demonstration branches cultivate a brand (first year three
    years before `as_of`'s)."""
    rng = random.Random(seed)
    made = [b for county in city.counties.values()
            for b in _County(county, seed, rng, as_of).build()]
    certifiable = [i for i, b in enumerate(made) if b.establish["level"] == "branch"]
    formal = [i for i in certifiable if made[i].establish["branch_type"] == "formal"]
    tops = dict(zip(formal, _spread(rng, len(formal)), strict=True))
    for i in certifiable:
        top = tops[i] if i in tops else ("standard" if rng.random() < 0.5 else None)
        made[i] = _certified(made[i], top, rng, as_of)
    return [_with_brand(b, rng, as_of.year - 3) if len(b.climb) > 1 and rng.random() < 0.4
            else b for b in made]


# --- command payloads ---------------------------------------------------------------------

GRANTERS = {"standard": "county_bureau", "county_demo": "county_bureau",
            "city_demo": "city_bureau", "province_demo": "city_bureau"}


def application_id(made: DemoBranch, level: str) -> str:
    return str(uuid.uuid5(uuid.UUID(made.branch_id), f"application:{level}"))


def application(made: DemoBranch, step: int) -> dict:
    level, granted_on = made.climb[step]
    items = load_checklists()[made.checklist].items
    return {"branch_id": made.branch_id, "application_id": application_id(made, level),
            "level": level, "checklist": made.checklist,
            "applicant": made.establish["secretary"],
            "applied_on": (granted_on - timedelta(days=30)).isoformat(),
            "evidence": [{"item": item.code, "text": f"{item.label}：台账、照片、会议记录齐全"}
                         for item in items]}


def item_reviews(made: DemoBranch, step: int) -> dict:
    """Every item of the checklist reviewed as met, in one `review_items` payload."""
    level = made.climb[step][0]
    reviewer = "市委老干部局" if GRANTERS[level] == "city_bureau" else "县（市、区）委老干部局"
    return {"branch_id": made.branch_id, "application_id": application_id(made, level),
            "reviewer": reviewer,
            "items": [{"item": item.code, "met": True}
                      for item in load_checklists()[made.checklist].items]}


def grant(made: DemoBranch, step: int) -> dict:
    level, granted_on = made.climb[step]
    role = GRANTERS[level]
    payload = {"branch_id": made.branch_id, "application_id": application_id(made, level),
               "granted_by": role, "granted_on": granted_on.isoformat(),
               "granter_county": made.county_code if role == "county_bureau" else None}
    if level == "province_demo":
        payload["external_reference"] = f"苏老干〔{granted_on.year}〕{granted_on.month + 10}号"
    return payload


def brand_reviews(made: DemoBranch, year: int) -> dict:
    return {"branch_id": made.branch_id, "year": year, "passed": True, "reviewer": "市委老干部局"}


def top_brand_scores(brands: list[DemoBranch], seed: int, year: int) -> dict:
    rng = random.Random(seed + year)
    return {"year": year, "scores": [
        {"branch_id": b.branch_id, "score": f"{rng.randint(700, 990) / 10:.1f}"} for b in brands]}
