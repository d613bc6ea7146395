"""Names, ids and payloads shared by the branches service's integration tests."""
from __future__ import annotations

import uuid
from datetime import datetime

from contracts.branches.catalog import load_checklists
from yinfa.service.clock import ClockProvider

TINGHU, YANDU = "320902", "320903"
FINANCE = "财政局离退休干部党支部"
# Who grants each level, and the county a county-scoped granter names.
GRANTER = {
    "standard": ("county_bureau", TINGHU),
    "county_demo": ("county_bureau", TINGHU),
    "city_demo": ("city_bureau", None),
    "province_demo": ("city_bureau", None),
}
LADDER = ("standard", "county_demo", "city_demo", "province_demo")


def ids(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"yinfa-test:{name}"))


def checklist_items(checklist: str = "liuyou_yitisheng") -> list[str]:
    return [item.code for item in load_checklists()[checklist].items]


def evidence(checklist: str = "liuyou_yitisheng") -> list[dict]:
    return [{"item": item.code, "text": f"{item.label}：台账齐全"}
            for item in load_checklists()[checklist].items]


def grant_payload(branch_id: str, application_id: str, level: str, granted_on: str) -> dict:
    role, county = GRANTER[level]
    payload = {"branch_id": branch_id, "application_id": application_id,
               "granted_by": role, "granter_county": county, "granted_on": granted_on}
    if level == "province_demo":
        payload["external_reference"] = "苏老干〔2024〕12号"
    return payload


def set_clock(container, moment: str) -> None:
    """Move a running service's frozen clock (CLOCK_NOW) to another instant."""
    provider = next(d for d in container.dependencies if isinstance(d, ClockProvider))
    provider.clock.frozen = datetime.fromisoformat(moment)
