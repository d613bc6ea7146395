"""Demo data for the activities service: an autumn season of activities and wishes.

Everything happened in the weeks before today, so activities can be completed and wishes
confirmed. Deterministic per seed (dates are relative to the day the demo runs).
"""
from __future__ import annotations

import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from yinfa.reference import Agency, City, County

THEMED_KINDS = [
    ("party_story", "talk", "红色故事宣讲"),
    ("rural_revitalisation", "tech_guidance", "农技下乡指导"),
    ("rural_revitalisation", "medical", "送医下乡义诊"),
    ("grassroots_governance", "mediation", "邻里纠纷调解"),
    ("grassroots_governance", "legal_outreach", "法治宣传进社区"),
    ("sci_tech_innovation", "policy_suggestion", "银发建言献策座谈"),
    ("youth_cultivation", "pairing", "手牵手结对帮扶"),
    ("youth_cultivation", "talk", "青少年党史课堂"),
]
WISHES = [
    ("daily_necessities", "王奶奶", "想要一台收音机"),
    ("home_repair", "李爷爷", "厨房水管漏水"),
    ("companionship", "张奶奶", "希望有人每周陪她聊天"),
    ("study_support", "小刘", "想要一套课外读物"),
    ("medical_help", "陈爷爷", "需要陪同去医院复查"),
    ("errands", "赵奶奶", "代缴水电费"),
]
WISH_ENDINGS = ["open", "claimed", "fulfilled", "confirmed", "confirmed", "expired"]


@dataclass
class DemoActivity:
    publication: dict
    code: str
    sign_ups: list[str] = field(default_factory=list)
    attended: dict[str, float] = field(default_factory=dict)  # volunteer → share of time
    audience: int = 0
    endorsed: bool = False


@dataclass
class DemoWish:
    posting: dict
    ending: str


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def season(city: City, volunteers_by_county: dict[str, list[str]], seed: int,
           per_county: int = 4, units: Iterable[County | Agency] | None = None
           ) -> list[DemoActivity]:
    """Activities of every county (or of the `units` given: the city agencies)."""
    rng = random.Random(seed + 2)
    today = datetime.now(UTC).replace(hour=1, minute=0, second=0, microsecond=0)
    activities = []
    for county in city.counties.values() if units is None else units:
        pool = volunteers_by_county.get(county.code, [])
        for n in range(per_county):
            theme, kind, title = rng.choice(THEMED_KINDS)
            start = today - timedelta(days=rng.randint(3, 80), hours=rng.choice([0, 5]))
            hours = rng.choice([2, 2, 3, 4])
            capacity = rng.randint(3, 12)
            publication = {
                "client_request_id": _uuid(rng), "theme": theme, "kind": kind,
                "title": f"{county.name}{title}", "county_code": county.code,
                "organiser": {"kind": "bureau", "id": f"county-{county.code}"},
                "place": f"{county.name}新时代文明实践站", "capacity": capacity,
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=hours)).isoformat(),
            }
            chosen = rng.sample(pool, min(len(pool), capacity + rng.randint(0, 2)))
            activity = DemoActivity(publication, code=f"YF{rng.randint(100000, 999999)}",
                                    sign_ups=chosen,
                                    audience=rng.randint(20, 400),
                                    endorsed=kind == "policy_suggestion" and n % 2 == 0)
            activity.attended = {v: rng.choice([1.0, 1.0, 1.0, 0.8, 0.4])
                                 for v in chosen[:capacity]}
            activities.append(activity)
    return activities


def wishes(city: City, seed: int, per_county: int = 3) -> list[DemoWish]:
    rng = random.Random(seed + 3)
    now = datetime.now(UTC).replace(microsecond=0)
    made = []
    for county in city.counties.values():
        for _ in range(per_county):
            category, label, text = rng.choice(WISHES)
            ending = rng.choice(WISH_ENDINGS)
            days_ago = 70 if ending == "expired" else rng.randint(5, 40)
            made.append(DemoWish({
                "client_request_id": _uuid(rng), "label": label, "county_code": county.code,
                "category": category, "description": text,
                "posted_by": {"kind": "community", "id": f"community-{county.code}"},
                "at": (now - timedelta(days=days_ago)).isoformat(),
            }, ending))
    return made
