"""Rankings and assessments through the gateway, from the scoring service fed by the real
services: the county ranking, one county explained (scoped), as-of, what-if, branch and
volunteer rankings by cursor, evidence, and closing a period once."""
from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation

import polling
import pytest
from gateway_support import DAFENG, TINGHU, registration


def counted(row: dict) -> bool:
    try:
        return Decimal(str(row.get("raw"))) != 0
    except InvalidOperation:
        return False


def eventually(check):
    return polling.eventually(check, timeout=30.0, every=0.3)


@pytest.fixture(scope="module")
def served(platform, city):
    """Three verified volunteers of 亭湖区 with hours; scoring has seen them."""
    volunteer_ids = []
    for hours in ("4", "6", "2"):
        vid = city.post("/volunteers", registration()).json()["volunteer_id"]
        city.post(f"/volunteers/{vid}/verify", {"county_code": TINGHU})
        answer = city.post(f"/volunteers/{vid}/hours", {
            "entry_id": str(uuid.uuid4()), "hours": hours, "served_on": "2026-03-01",
            "source": "bureau"})
        assert answer.status_code == 201, answer.text
        volunteer_ids.append(vid)

    def tinghu_counts():
        explained = city.get(f"/rankings/counties/{TINGHU}").json()
        return any(counted(row) for row in explained["rows"])

    eventually(tinghu_counts)
    return volunteer_ids


def test_the_county_ranking_lists_every_county_with_rows(city, served):
    ranking = city.get("/rankings/counties").json()["items"]
    assert len(ranking) == 11
    assert [c["rank"] for c in ranking] == sorted(c["rank"] for c in ranking)
    assert all(c["rows"] for c in ranking)


def test_a_county_admin_has_its_county_explained_but_not_another(platform, city, served):
    county = platform.open_account("rank-th", "county_admin", county_code=TINGHU)
    explained = county.get(f"/rankings/counties/{TINGHU}")
    assert explained.status_code == 200 and explained.json()["county_code"] == TINGHU
    assert county.get(f"/rankings/counties/{DAFENG}").status_code == 404
    assert county.get("/rankings/counties/999999").status_code == 404


def test_as_of_a_moment_before_the_hours_shows_them_not_served(city, served):
    first = city.get("/rankings/timeline").json()["first_event_at"]
    then = city.get(f"/rankings/counties/{TINGHU}", params={"as_of": first})
    now = city.get(f"/rankings/counties/{TINGHU}")
    assert then.status_code == 200, then.text
    assert then.json()["total"] != now.json()["total"]


def test_what_if_with_the_same_rulebook_changes_nothing(city, served):
    answer = city.get("/rankings/what-if", params={"rulebook_a": "2026", "rulebook_b": "2026"})
    assert answer.status_code == 200, answer.text
    assert not any(answer.json().values())


def test_volunteers_of_a_county_rank_by_cursor(city, served):
    first = city.get(f"/rankings/counties/{TINGHU}/volunteers", params={"limit": 2})
    assert first.status_code == 200, first.text
    page = first.json()
    assert page["total"] >= 3 and len(page["items"]) == 2 and page["next"]
    rest = city.get(f"/rankings/counties/{TINGHU}/volunteers",
                    params={"limit": 2, "cursor": page["next"]}).json()
    ranked = [v["volunteer_id"] for v in page["items"] + rest["items"]]
    assert len(ranked) == len(set(ranked))
    assert set(served) <= set(ranked) or page["total"] > 3


def test_a_volunteer_sees_their_own_explanation_only(platform, city, served):
    own, other = served[0], served[1]
    volunteer = platform.open_account(f"rank-{own[:6]}", "volunteer", county_code=TINGHU,
                                      volunteer_id=own)
    assert volunteer.get(f"/rankings/volunteers/{own}").status_code == 200
    assert volunteer.get(f"/rankings/volunteers/{other}").status_code == 404


def test_the_evidence_behind_an_indicator_is_event_ids(city, served):
    rows = city.get(f"/rankings/counties/{TINGHU}").json()["rows"]
    row = next(r for r in rows if counted(r))
    answer = city.get("/rankings/evidence", params={
        "subject": "county", "subject_id": TINGHU, "indicator": row["code"]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["event_ids"], (row, answer.json())


def test_a_period_is_closed_once_and_stays_readable(city, served):
    closed = city.post("/assessments", {"period": "2026", "rulebook": "2026"})
    assert closed.status_code == 201, closed.text
    assert closed.headers["Location"] == "/assessments/2026"
    again = city.post("/assessments", {"period": "2026", "rulebook": "2026"})
    assert again.status_code == 409
    read = city.get("/assessments/2026")
    assert read.status_code == 200 and read.json()["period"] == "2026"
    listed = city.get("/assessments").json()
    assert [a["period"] for a in listed["items"]] == ["2026"]
