from __future__ import annotations

from contracts.volunteers.commands import RegisterVolunteer, load_command
from contracts.volunteers.id_number import check_id_number, gender_of
from demo.people import teams_for, volunteers_for
from demo.report import county_table
from yinfa.reference import load_city


def test_every_demo_registration_passes_the_boundary_schema():
    for person in volunteers_for(load_city(), 120, seed=7):
        command = load_command(RegisterVolunteer, person.registration)
        assert check_id_number(command["id_number"]) == []
        assert gender_of(command["id_number"]) == command["gender"]


def test_the_same_seed_gives_the_same_people():
    first = [p.registration for p in volunteers_for(load_city(), 20, seed=3)]
    again = [p.registration for p in volunteers_for(load_city(), 20, seed=3)]
    other = [p.registration for p in volunteers_for(load_city(), 20, seed=4)]
    assert first == again != other


def test_every_county_gets_teams():
    city = load_city()
    assert {t["county_code"] for t in teams_for(city, 1)} == set(city.counties)


def test_the_county_table_ranks_by_volunteers_per_hundred_retired_cadres():
    rows = [
        {"county_code": "320902", "county_name": "亭湖区", "retired_cadres": 5200,
         "volunteers": 52, "per_100_retired": 1.0, "by_status": {"active": 50},
         "by_star_level": {"1": 3}, "teams": 3},
        {"county_code": "320972", "county_name": "盐南高新区", "retired_cadres": 480,
         "volunteers": 12, "per_100_retired": 2.5, "by_status": {"registered": 12},
         "by_star_level": {}, "teams": 2},
    ]
    table = county_table(rows).splitlines()
    assert table[2].startswith("盐南高新区") and table[3].startswith("亭湖区")
    assert "志愿者 64 人" in table[-1]
