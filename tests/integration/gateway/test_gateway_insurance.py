"""Accident insurance over HTTP, on the real broker and store: an activity that takes
insured volunteers only refuses an uninsured volunteer's sign-up with a clear 409, and the
report lists uninsured volunteers signed up for such activities, scoped by county."""
from __future__ import annotations

import pytest
from gateway_support import DAFENG, TINGHU, activity_body, registration

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def tinghu(platform):
    return platform.open_account("insure-th", "county_admin", county_code=TINGHU)


@pytest.fixture(scope="module")
def dafeng(platform):
    return platform.open_account("insure-df", "county_admin", county_code=DAFENG)


def verified(county, insured: bool) -> str:
    volunteer_id = county.post("/volunteers", registration(insurance=insured)).json()[
        "volunteer_id"]
    county.post(f"/volunteers/{volunteer_id}/verify", {"county_code": TINGHU})
    return volunteer_id


def published(county, **overrides) -> str:
    answer = county.post("/activities", {**activity_body(), **overrides})
    assert answer.status_code == 201, answer.text
    return answer.json()["activity_id"]


def signing_up(county, activity_id: str, volunteer_id: str):
    return county.post(f"/activities/{activity_id}/sign-ups", {"volunteer_id": volunteer_id})


def signed_up(county, activity_id: str, volunteer_id: str, eventually) -> None:
    """Once the activities service's directory knows the volunteer, they are signed up."""
    eventually(lambda: signing_up(county, activity_id, volunteer_id).status_code == 201)


def test_an_uninsured_volunteer_is_refused_where_insurance_is_required(tinghu, eventually):
    insured, bare = verified(tinghu, True), verified(tinghu, False)
    insured_only = published(tinghu, insurance_required=True)
    open_to_all = published(tinghu)
    assert tinghu.get(f"/activities/{insured_only}").json()["insurance_required"] is True
    signed_up(tinghu, insured_only, insured, eventually)
    signed_up(tinghu, open_to_all, bare, eventually)  # the directory knows them both now

    refused = signing_up(tinghu, insured_only, bare)

    assert refused.status_code == 409, refused.text
    assert refused.headers["Content-Type"].startswith(PROBLEM)
    assert refused.json()["code"] == "rule_violated" and "insurance" in refused.json()["detail"]
    assert tinghu.get(f"/activities/{insured_only}").json()["participants"] == [insured]


def test_the_report_lists_who_signed_up_and_lost_their_cover_in_their_county_only(
        tinghu, dafeng, city, eventually):
    volunteer_id = verified(tinghu, True)
    activity_id = published(tinghu, insurance_required=True, title="送医下乡义诊")
    signed_up(tinghu, activity_id, volunteer_id, eventually)

    def listed(client, **params):
        answer = client.get("/reports/uninsured", params=params)
        assert answer.status_code == 200, answer.text
        return [(r["activity_id"], r["volunteer_id"]) for r in answer.json()["items"]]

    assert (activity_id, volunteer_id) not in listed(tinghu)
    lapsed = tinghu.request("PATCH", f"/volunteers/{volunteer_id}", json={"insurance": False})
    assert lapsed.status_code == 200, lapsed.text

    eventually(lambda: (activity_id, volunteer_id) in listed(tinghu))
    row = next(r for r in tinghu.get("/reports/uninsured").json()["items"]
               if r["volunteer_id"] == volunteer_id)
    assert row["name"] == "王建国" and row["title"] == "送医下乡义诊"
    assert row["waitlisted"] is False and row["county_code"] == TINGHU
    assert (activity_id, volunteer_id) in listed(city, county_code=TINGHU)
    assert listed(dafeng) == []
    assert dafeng.get("/reports/uninsured", params={"county_code": TINGHU}).status_code == 404
    assert tinghu.get("/reports/uninsured", params={"county_code": "999999"}).status_code == 422
