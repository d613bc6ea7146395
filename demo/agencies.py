"""The city agencies (市直单位) in the demo: each agency's retiree office registers and
verifies a few of its retirees as volunteers (as many per head as the counties have),
files their hours, establishes the agency's party branches and has them certified, and
runs a few activities; the agencies are then ranked beside the counties.

Agency retirees live in the city seat (the city file's first county, 亭湖区 for
Yancheng): their ID numbers are issued there, their unit is the agency.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from contracts.volunteers.id_number import make_id_number
from demo import season as season_data
from demo.branches_data import (
    DemoBranch,
    _climb,
    _id,
    _person,
    application,
    grant as county_grant,
    item_reviews,
)
from demo.loader import _hour_sheets, pipelined
from demo.people import EMPLOYERS, GIVEN, SURNAMES, DemoVolunteer, _entries, _total_hours
from demo.report import SHORT_LABELS, _cell
from demo.season_loader import load_season, wait_for_directory
from yinfa.reference import Agency, City
from yinfa.schemas import city_today

ACTIVITIES_PER_AGENCY = 2
DEMO_LEVELS = ("standard", "standard", "standard", "county_demo", "city_demo")


def volunteers_for(city: City, county_volunteers: int, seed: int
                   ) -> list[tuple[Agency, DemoVolunteer]]:
    """Per agency, as many volunteers per retired cadre as the counties were given."""
    rng = random.Random(seed + 19)
    per_cadre = county_volunteers / sum(c.retired_cadres for c in city.counties.values())
    residence = next(iter(city.counties))
    people = []
    for agency in city.agencies.values():
        for _ in range(max(1, round(agency.retired_cadres * per_cadre))):
            born = date(rng.randint(1944, 1964), rng.randint(1, 12), rng.randint(1, 28))
            gender_digit = rng.randint(0, 499) * 2 + rng.choice([0, 1])
            registration = {
                "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                "gender": "男" if gender_digit % 2 else "女", "birth_year": born.year,
                "id_number": make_id_number(residence, born, gender_digit),
                "phone": f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}",
                "county_code": agency.code, "former_employer": agency.name,
                "retirement_status": "退休", "party_member": rng.random() < 0.9,
                "skills": rng.choice(list(EMPLOYERS.values())),
                "insurance": rng.random() < 0.7,
            }
            people.append((agency, DemoVolunteer(
                registration, verify=True, hours=_entries(rng, _total_hours(rng)))))
    return people


def branches_for(city: City, seed: int, as_of: date) -> list[DemoBranch]:
    """One formal 支部 per agency, a second one for an agency of eight or more branches;
    most at 达标, some 县级示范 (granted by the agency's office), one in five 市级示范."""
    rng = random.Random(seed + 23)
    made = []
    for agency in city.agencies.values():
        names = [f"{agency.name}离退休干部党支部"]
        if agency.branches >= 8:
            names.append(f"{agency.name}离退休干部第二党支部")
        for name in names:
            founded = as_of - timedelta(days=rng.randint(5 * 365, 15 * 365))
            made.append(DemoBranch({
                "branch_id": _id(seed, agency.code, name), "name": name,
                "branch_type": "formal", "level": "branch", "county_code": agency.code,
                "parent_id": None, "secretary": _person(rng), "liaison": _person(rng),
                "established_on": founded.isoformat(), "former_employer": agency.name,
            }, climb=_climb(rng, as_of, rng.choice(DEMO_LEVELS))))
    return made


def grant(made: DemoBranch, step: int) -> dict:
    """A county-level decision on an agency's branch is its retiree office's."""
    payload = county_grant(made, step)
    if payload["granted_by"] == "county_bureau":
        payload["granted_by"] = "agency_office"
    return payload


def load(rpc: Any, city: City, county_volunteers: int, seed: int,
         progress: Callable[[str], None]) -> None:
    people = volunteers_for(city, county_volunteers, seed)
    shown = pipelined(rpc.volunteers.register_volunteer, (p.registration for _, p in people))
    ids = [s["volunteer_id"] for s in shown]
    pipelined(rpc.volunteers.verify_volunteer, (
        {"volunteer_id": v, "county_code": a.code} for v, (a, _) in zip(ids, people, strict=True)))
    chosen = [(v, p) for v, (_, p) in zip(ids, people, strict=True)]
    pipelined(rpc.volunteers.record_hours_batch, _hour_sheets(chosen))
    progress(f"the retiree offices of {len(city.agencies)} city agencies registered and "
             f"verified {len(ids)} volunteers")

    made = branches_for(city, seed, city_today())
    pipelined(rpc.branches.establish_branch, (b.establish for b in made))
    for step in range(max(len(b.climb) for b in made)):
        climbing = [b for b in made if len(b.climb) > step]
        pipelined(rpc.branches.apply_for_certification,
                  [application(b, step) for b in climbing])
        pipelined(rpc.branches.review_items, [item_reviews(b, step) for b in climbing])
        pipelined(rpc.branches.grant_certification, [grant(b, step) for b in climbing])
    progress(f"established and certified {len(made)} branches of the city agencies")

    wait_for_directory(rpc.activities, county_volunteers + len(ids), progress)
    serving: dict[str, list[str]] = {}
    for volunteer_id, (agency, _) in zip(ids, people, strict=True):
        serving.setdefault(agency.code, []).append(volunteer_id)
    planned = season_data.season(city, serving, seed + 29, ACTIVITIES_PER_AGENCY,
                                 units=city.agencies.values())
    load_season(rpc, planned, [], progress)


def ranking_table(ranking: list[dict[str, Any]]) -> str:
    """The live agency ranking: rank, total and each indicator's points."""
    codes = [row["code"] for row in ranking[0]["rows"]] if ranking else []
    heads = [SHORT_LABELS.get(c.removeprefix("agency_"), c[:4]) for c in codes]
    header = ["名次", "市直单位", "总分", *heads]
    widths = [4, 18, 7] + [6] * len(codes)
    lines = ["  ".join(_cell(h, w) for h, w in zip(header, widths, strict=True))]
    lines.append("-" * (sum(widths) + 2 * (len(widths) - 1)))
    for agency in ranking:
        points = {row["code"]: row["points"] for row in agency["rows"]}
        cells = [agency["rank"], agency["agency_name"], agency["total"],
                 *[points[c] for c in codes]]
        lines.append("  ".join(_cell(c, w, right=i != 1) for i, (c, w) in
                               enumerate(zip(cells, widths, strict=True))))
    return "\n".join(lines)
