"""Records that follow real life, over HTTP: a withdrawn volunteer's return (issue 18).
Roles and problem+json as the rest of the API: a county admin of the volunteer's county
(or the city) returns them with a reason; bad input changes nothing."""
from __future__ import annotations

import pytest
from gateway_support import DAFENG, TINGHU, registration
from nameko.standalone.rpc import ServiceRpcProxy

from gateway.exports.registry import adopt_former

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def county(platform):
    return platform.open_account("records-th", "county_admin", county_code=TINGHU)


@pytest.fixture(scope="module")
def other_county(platform):
    return platform.open_account("records-df", "county_admin", county_code=DAFENG)


def problem(answer, status: int) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith(PROBLEM)
    return answer.json()


def withdrawn(county, reason_code: str = "moved_away") -> str:
    volunteer_id = county.post("/volunteers", registration()).json()["volunteer_id"]
    county.post(f"/volunteers/{volunteer_id}/verify", {"county_code": TINGHU})
    answer = county.post(f"/volunteers/{volunteer_id}/withdraw", {"reason_code": reason_code})
    assert answer.json()["status"] == "withdrawn", answer.text
    return volunteer_id


def test_a_county_admin_returns_a_withdrawn_volunteer_with_their_record(county):
    volunteer_id = withdrawn(county)

    answer = county.post(f"/volunteers/{volunteer_id}/return", {"reason": "回盐城定居"})

    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "verified" and answer.json()["verified"] is True
    again = county.post(f"/volunteers/{volunteer_id}/return", {"reason": "再次"})
    assert problem(again, 409)["code"] == "rule_violated"


@pytest.mark.parametrize("body, field", [({}, "reason"), ({"reason": "  "}, "reason"),
                                         ({"reason": "x", "extra": 1}, "extra")])
def test_a_return_without_a_reason_is_422_and_changes_nothing(county, body, field):
    volunteer_id = withdrawn(county)
    before = county.get(f"/volunteers/{volunteer_id}").json()

    refused = problem(county.post(f"/volunteers/{volunteer_id}/return", body), 422)

    assert field in refused["errors"]
    assert county.get(f"/volunteers/{volunteer_id}").json() == before


def test_a_deceased_volunteer_cannot_return(county):
    volunteer_id = withdrawn(county, "deceased")
    refused = problem(county.post(f"/volunteers/{volunteer_id}/return", {"reason": "误录"}),
                      409)
    assert "death" in refused["detail"]
    assert county.get(f"/volunteers/{volunteer_id}").json()["status"] == "withdrawn"


def test_another_countys_admin_finds_no_such_volunteer(county, other_county):
    volunteer_id = withdrawn(county)
    problem(other_county.post(f"/volunteers/{volunteer_id}/return", {"reason": "试探"}), 404)
    assert county.get(f"/volunteers/{volunteer_id}").json()["status"] == "withdrawn"


def test_registering_a_withdrawn_person_again_is_409_pointing_to_the_return(county):
    body = registration()
    volunteer_id = county.post("/volunteers", body).json()["volunteer_id"]
    county.post(f"/volunteers/{volunteer_id}/withdraw", {"reason_code": "own_request"})

    refused = problem(county.post("/volunteers", body), 409)
    assert "return" in refused["detail"]


# ---- corrections ---------------------------------------------------------------------

ON = {"reason": "户籍信息更正", "authority": "public_security"}


def test_a_county_admin_corrects_an_id_number_and_the_lookup_finds_the_record(
        county, other_county):
    volunteer_id = county.post("/volunteers", registration()).json()["volunteer_id"]
    number = registration()["id_number"]  # a fresh, valid number of the same birth year

    answer = county.post(f"/volunteers/{volunteer_id}/record-corrections",
                         {"id_number": number, **ON})

    assert answer.status_code == 200, answer.text
    assert answer.json()["volunteer_id"] == volunteer_id
    found = county.post("/volunteers/lookup", {"id_number": number})
    assert found.status_code == 200 and found.json()["volunteer_id"] == volunteer_id
    problem(other_county.post("/volunteers/lookup", {"id_number": number}), 404)


@pytest.mark.parametrize("body, field", [
    ({"name": "王建华", "authority": "public_security"}, "reason"),
    ({"name": "王建华", "reason": "更正"}, "authority"),
    ({"name": "王建华", **ON, "authority": "neighbour"}, "authority"),
    (ON, "_schema"),
    ({"id_number": "320902195603080010", **ON}, "id_number"),
])
def test_bad_corrections_are_422_naming_the_field_and_change_nothing(county, body, field):
    volunteer_id = county.post("/volunteers", registration()).json()["volunteer_id"]
    before = county.get(f"/volunteers/{volunteer_id}").json()

    refused = problem(county.post(f"/volunteers/{volunteer_id}/record-corrections", body),
                      422)

    assert field in refused["errors"]
    assert county.get(f"/volunteers/{volunteer_id}").json() == before


def test_another_records_number_is_409_pointing_to_the_merge(county):
    volunteer_id = county.post("/volunteers", registration()).json()["volunteer_id"]
    other = registration()
    county.post("/volunteers", other)

    refused = problem(county.post(f"/volunteers/{volunteer_id}/record-corrections",
                                  {"id_number": other["id_number"], **ON}), 409)

    assert "merge" in refused["detail"] and "id_number" in refused["errors"]


def test_a_lookup_with_a_bad_number_is_422(county):
    assert "id_number" in problem(county.post("/volunteers/lookup", {"id_number": "123"}),
                                  422)["errors"]


# ---- star levels approved by level -------------------------------------------------------

def with_hours(county, hours: int) -> str:
    volunteer_id = county.post("/volunteers", registration()).json()["volunteer_id"]
    county.post(f"/volunteers/{volunteer_id}/verify", {"county_code": TINGHU})
    answer = county.post(f"/volunteers/{volunteer_id}/hours/batch", {"entries": [
        {"entry_id": f"00000000-0000-4000-8000-{n:012d}", "hours": 20,
         "served_on": f"2026-0{1 + n % 9}-{1 + n // 9:02d}", "source": "bureau"}
        for n in range(hours // 20)]})
    assert answer.status_code == 201, answer.text
    return volunteer_id


def pending_ids(admin) -> list[str]:
    answer = admin.get("/star-levels/pending", params={"limit": 200})
    assert answer.status_code == 200, answer.text
    return [v["volunteer_id"] for v in answer.json()["items"]]


def test_each_admin_lists_and_approves_the_levels_of_their_authority(county, city):
    volunteer_id = with_hours(county, 1000)  # four stars reached
    assert volunteer_id in pending_ids(county) and volunteer_id not in pending_ids(city)
    for level in (1, 2, 3):
        answer = county.post(f"/volunteers/{volunteer_id}/star-levels/approvals",
                             {"level": level, "note": "已认定"})
        assert answer.status_code == 201 and answer.json()["star_level"] == level
    assert volunteer_id not in pending_ids(county) and volunteer_id in pending_ids(city)

    refused = problem(county.post(f"/volunteers/{volunteer_id}/star-levels/approvals",
                                  {"level": 4}), 403)
    assert "city" in refused["detail"]
    approved = city.post(f"/volunteers/{volunteer_id}/star-levels/approvals", {"level": 4})
    assert approved.status_code == 201 and approved.json()["star_level"] == 4
    certificate = county.post(f"/volunteers/{volunteer_id}/certificates", {}).json()
    assert city.get(f"/certificates/{certificate['code']}").json()["star_level"] == 4


def test_a_level_not_pending_is_409_and_a_return_needs_a_reason(county):
    volunteer_id = with_hours(county, 100)
    before = county.get(f"/volunteers/{volunteer_id}").json()
    assert (before["star_level"], before["star_level_pending"]) == (0, 1)

    assert problem(county.post(f"/volunteers/{volunteer_id}/star-levels/approvals",
                               {"level": 2}), 409)["code"] == "rule_violated"
    assert "reason" in problem(county.post(f"/volunteers/{volunteer_id}/star-levels/returns",
                                           {"level": 1}), 422)["errors"]
    assert "approver" in problem(county.post(f"/volunteers/{volunteer_id}/star-levels/"
                                             "approvals", {"level": 1, "approver": "city"}),
                                 422)["errors"]  # the role says who approves, not the body
    assert county.get(f"/volunteers/{volunteer_id}").json() == before

    returned = county.post(f"/volunteers/{volunteer_id}/star-levels/returns",
                           {"level": 1, "reason": "签到表待核实"})
    assert returned.status_code == 201 and returned.json()["star_level_pending"] is None
    assert volunteer_id not in pending_ids(county)


def test_another_countys_admin_neither_lists_nor_approves(county, other_county):
    volunteer_id = with_hours(county, 100)
    assert volunteer_id not in pending_ids(other_county)
    problem(other_county.post(f"/volunteers/{volunteer_id}/star-levels/approvals",
                              {"level": 1}), 404)


# ---- certificates as events --------------------------------------------------------------

def test_a_revoked_certificate_verifies_as_revoked_and_prints_no_more(platform, county,
                                                                       other_county):
    volunteer_id = with_hours(county, 100)
    issued = county.post(f"/volunteers/{volunteer_id}/certificates", {})
    assert issued.status_code == 201, issued.text
    code = issued.json()["code"]
    checked = platform.anonymous.get(f"/certificates/{code.lower()}").json()
    assert (checked["valid"], checked["status"], checked["star_level"]) == (True, "有效", 0)

    problem(other_county.post(f"/certificates/{code}/revocation", {"reason": "试探"}), 404)
    assert "reason" in problem(county.post(f"/certificates/{code}/revocation", {}),
                               422)["errors"]
    revoked = county.post(f"/certificates/{code}/revocation", {"reason": "时长有误"})
    assert revoked.status_code == 201 and revoked.json()["status"] == "revoked"

    checked = platform.anonymous.get(f"/certificates/{code}").json()
    assert (checked["valid"], checked["status"]) == (False, "已撤销")
    assert checked["revoked_on"] == revoked.json()["revoked_on"]
    problem(county.get(f"/certificates/{code}/pdf"), 410)
    assert problem(county.post(f"/certificates/{code}/revocation", {"reason": "再次"}),
                   409)["code"] == "rule_violated"


class Calls:
    """The gateway's service calls, over a plain RPC proxy."""

    def __init__(self, config) -> None:
        self.config = config

    def call(self, service, method, *args, **kwargs):
        with ServiceRpcProxy(service, self.config) as proxy:
            return getattr(proxy, method)(*args, **kwargs)


def test_a_code_issued_by_the_gateway_before_verifies_then_moves_into_the_log(
        platform, county):
    volunteer_id = county.post("/volunteers", registration()).json()["volunteer_id"]
    former = {"_id": "ZZZZ-YYYY-XXXX", "code": "ZZZZ-YYYY-XXXX", "volunteer_id": volunteer_id,
              "county_code": TINGHU, "county_name": "亭湖区", "total_hours": "12.0",
              "verified_hours": "12.0", "star_level": 0, "issued_on": "2026-11-01",
              "issued_at": "2026-11-01T02:00:00+00:00", "issued_by": "city_admin:city"}
    platform.db["certificates"].insert_one(dict(former))

    checked = platform.anonymous.get("/certificates/ZZZZ-YYYY-XXXX").json()
    assert (checked["valid"], checked["status"], checked["total_hours"]) == (True, "有效",
                                                                             "12.0")
    assert adopt_former(platform.db, Calls(platform.config)) == 1
    assert platform.db["certificates"].count_documents({}) == 0
    assert platform.anonymous.get("/certificates/ZZZZ-YYYY-XXXX").json() == checked

    revoked = county.post("/certificates/ZZZZ-YYYY-XXXX/revocation", {"reason": "补发新证"})
    assert revoked.status_code == 201 and revoked.json()["issued_by"] == "city_admin"
    platform.db["certificates"].insert_one(dict(former))  # moved again: nothing changes
    assert adopt_former(platform.db, Calls(platform.config)) == 1
    assert platform.anonymous.get("/certificates/ZZZZ-YYYY-XXXX").json()["status"] == "已撤销"
