"""GET /baselines/{year} over HTTP: the figures a year is ranked by, from the year's own
file or the nearest earlier one, frozen once the year's assessment is published."""
from __future__ import annotations

from gateway_support import TINGHU

ZONE = "320972"


def zone(answer: dict) -> dict:
    return next(u for u in answer["units"]["counties"] if u["code"] == ZONE)


def test_a_year_shows_the_figures_it_is_ranked_by(city, platform):
    past = city.get("/baselines/2025")
    assert past.status_code == 200, past.text
    body = past.json()
    assert (body["year"], body["figures_year"], body["frozen"]) == (2025, 2025, False)
    assert zone(body) == {"code": ZONE, "name": "盐南高新区", "retired_cadres": 471,
                          "party_branches": 11}
    assert len(body["units"]["counties"]) == 11
    later = city.get("/baselines/2031").json()  # no file of its own: the nearest earlier
    assert later["figures_year"] == 2026 and zone(later)["retired_cadres"] == 480
    county = platform.open_account("base-th", "county_admin", county_code=TINGHU)
    assert county.get("/baselines/2026").status_code == 200


def test_a_year_that_is_not_one_is_refused(city):
    for bad in ("20x6", "1999", "2026-01"):
        answer = city.get(f"/baselines/{bad}")
        assert answer.status_code == 422, (bad, answer.status_code)
        assert answer.headers["Content-Type"].startswith("application/problem+json")


def test_a_published_year_is_frozen(city):
    assert city.post("/assessments", {"period": "2024"}).status_code == 201
    frozen = city.get("/baselines/2024").json()
    assert frozen["frozen"] is True and frozen["figures_year"] == 2025  # the first on file
