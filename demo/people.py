"""Demo data: plausible retired cadres of the reference city, deterministic per seed."""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from contracts.volunteers.id_number import make_id_number
from yinfa.reference import City

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢"
    "宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = ["建国", "建华", "国强", "秀英", "桂英", "玉兰", "志刚", "德明", "文华", "海燕", "淑珍",
         "春生", "永红", "立新", "明华", "凤英", "爱民", "振华", "卫东", "红梅", "守仁", "克勤"]
EMPLOYERS = {
    "教育局": ["education", "theory"],
    "人民医院": ["medicine"],
    "农业农村局": ["agriculture", "economy"],
    "司法局": ["law", "mediation"],
    "科技局": ["science"],
    "文广旅局": ["culture", "local_history"],
    "财政局": ["finance", "economy"],
    "住建局": ["planning"],
    "党史办": ["local_history", "theory"],
}
TEAM_KINDS = [("theory_outreach", "理论宣讲团"), ("rural_revitalisation", "乡村振兴服务队"),
              ("youth_nurturing", "润苗育才队"), ("harmony_stability", "和谐助稳调解队"),
              ("health_care", "银发义诊队")]
# Share of volunteers per band of cumulative hours: most are new, a few are veterans.
HOUR_BANDS = [(0.45, 10, 95), (0.30, 100, 290), (0.14, 300, 590), (0.08, 600, 990),
              (0.03, 1000, 1600)]


@dataclass
class DemoVolunteer:
    registration: dict
    verify: bool
    hours: list[float] = field(default_factory=list)
    withdraw: bool = False
    suspend: bool = False


def _total_hours(rng: random.Random) -> float:
    pick, acc = rng.random(), 0.0
    for share, low, high in HOUR_BANDS:
        acc += share
        if pick <= acc:
            return float(rng.randint(low, high))
    return 50.0


def _entries(rng: random.Random, total: float) -> list[float]:
    """Split a total into ledger entries of at most 24 h (one day of service)."""
    entries = []
    while total > 0:
        chunk = min(total, float(rng.choice([4, 6, 8, 12, 16, 24])))
        entries.append(chunk)
        total -= chunk
    return entries


def volunteers_for(city: City, count: int, seed: int) -> list[DemoVolunteer]:
    rng = random.Random(seed)
    counties = list(city.counties.values())
    weights = [c.retired_cadres * rng.uniform(0.5, 1.5) for c in counties]
    people = []
    for _ in range(count):
        county = rng.choices(counties, weights)[0]
        born = date(rng.randint(1942, 1964), 1, 1) + timedelta(days=rng.randint(0, 364))
        gender_digit = rng.randint(0, 499) * 2 + rng.choice([0, 1])
        employer, skills = rng.choice(list(EMPLOYERS.items()))
        registration = {
            "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "gender": "男" if gender_digit % 2 else "女",
            "birth_year": born.year,
            "id_number": make_id_number(county.code, born, gender_digit),
            "phone": f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}",
            "county_code": county.code,
            "former_employer": f"{county.name}{employer}",
            "retirement_status": "离休" if born.year < 1947 else "退休",
            "party_member": rng.random() < 0.85,
            "skills": skills,
            "insurance": rng.random() < 0.7,
        }
        verify = rng.random() < 0.85
        hours = _entries(rng, _total_hours(rng)) if verify else []
        people.append(DemoVolunteer(registration, verify, hours,
                                    withdraw=rng.random() < 0.02,
                                    suspend=rng.random() < 0.02))
    return people


def teams_for(city: City, seed: int) -> list[dict]:
    rng = random.Random(seed + 1)
    teams = []
    for county in city.counties.values():
        for category, label in rng.sample(TEAM_KINDS, 2 if county.kind == "zone" else 3):
            teams.append({
                "team_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "name": f"{county.name}{label}",
                "category": category,
                "county_code": county.code,
            })
    return teams
