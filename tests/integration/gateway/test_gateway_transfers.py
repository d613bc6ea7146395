"""Transfers between counties (转移接续) over HTTP, on the real services, broker and store:
亭湖区 asks, 盐都区 accepts or declines, 亭湖区 releases; each county acts only for its
side, a third county sees nothing, the city may take any step."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from gateway_support import DAFENG, TINGHU, registration

PROBLEM = "application/problem+json"
YANDU = "320903"


@pytest.fixture(scope="module")
def tinghu(platform):
    return platform.open_account("transfers-th", "county_admin", county_code=TINGHU)


@pytest.fixture(scope="module")
def yandu(platform):
    return platform.open_account("transfers-yd", "county_admin", county_code=YANDU)


@pytest.fixture(scope="module")
def dafeng(platform):
    return platform.open_account("transfers-df", "county_admin", county_code=DAFENG)


def problem(answer, status: int) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith(PROBLEM)
    return answer.json()


def ok(answer, status: int = 200) -> dict:
    assert answer.status_code == status, answer.text
    return answer.json()


def volunteer_of(tinghu) -> str:
    """A verified 亭湖区 volunteer with 6 hours on the ledger."""
    volunteer_id = ok(tinghu.post("/volunteers", registration()), 201)["volunteer_id"]
    ok(tinghu.post(f"/volunteers/{volunteer_id}/verify", {"county_code": TINGHU}))
    ok(tinghu.post(f"/volunteers/{volunteer_id}/hours", {
        "entry_id": str(uuid.uuid4()), "hours": "6", "served_on": "2026-05-04",
        "source": "bureau"}), 201)
    return volunteer_id


def requested(tinghu, volunteer_id: str, to: str = YANDU) -> dict:
    return ok(tinghu.post(f"/volunteers/{volunteer_id}/transfers",
                          {"to_county": to, "reason_code": "moved_home"}), 201)


def test_a_volunteer_moves_to_another_county_with_their_record(tinghu, yandu):
    volunteer_id = volunteer_of(tinghu)
    transfer = requested(tinghu, volunteer_id)
    assert (transfer["status"], transfer["from_county"], transfer["to_county"]) == (
        "requested", TINGHU, YANDU)
    path = f"/transfers/{transfer['transfer_id']}"

    assert ok(yandu.post(f"{path}/accept", {}))["status"] == "accepted"
    released = ok(tinghu.post(f"{path}/release", {}))

    assert released["status"] == "released" and released["effective_at"]
    moved = ok(yandu.get(f"/volunteers/{volunteer_id}"))
    assert (moved["county_code"], moved["total_hours"], moved["status"]) == (
        YANDU, "6.0", "active")
    problem(tinghu.get(f"/volunteers/{volunteer_id}"), 404)  # no longer theirs


def test_each_county_lists_its_transfers_by_side_and_a_third_sees_nothing(
        tinghu, yandu, dafeng, city):
    transfer = requested(tinghu, volunteer_of(tinghu))
    tid = transfer["transfer_id"]

    def listed(api, **query):
        return [t["transfer_id"] for t in ok(api.get("/transfers", params=query))["items"]]

    assert tid in listed(tinghu, side="sending") and tid not in listed(tinghu, side="receiving")
    assert tid in listed(yandu, side="receiving") and tid not in listed(yandu, side="sending")
    assert tid in listed(city) and tid not in listed(dafeng)
    problem(dafeng.get(f"/transfers/{tid}"), 404)
    problem(dafeng.post(f"/transfers/{tid}/accept", {}), 404)
    problem(dafeng.get("/transfers", params={"county_code": TINGHU}), 404)


def test_each_county_takes_only_its_own_steps(tinghu, yandu):
    path = f"/transfers/{requested(tinghu, volunteer_of(tinghu))['transfer_id']}"

    problem(tinghu.post(f"{path}/accept", {}), 403)
    problem(tinghu.post(f"{path}/decline", {"reason_code": "other"}), 403)
    assert "accepted" in problem(tinghu.post(f"{path}/release", {}), 409)["detail"]
    ok(yandu.post(f"{path}/accept", {}))
    problem(yandu.post(f"{path}/release", {}), 403)
    assert ok(tinghu.get(path))["status"] == "accepted"


def test_the_city_may_take_every_step(tinghu, city):
    volunteer_id = volunteer_of(tinghu)
    transfer = ok(city.post(f"/volunteers/{volunteer_id}/transfers",
                            {"to_county": DAFENG, "reason_code": "with_family"}), 201)
    path = f"/transfers/{transfer['transfer_id']}"
    ok(city.post(f"{path}/accept", {}))
    ok(city.post(f"{path}/release", {}))
    assert ok(city.get(f"/volunteers/{volunteer_id}"))["county_code"] == DAFENG


def test_a_declined_transfer_is_over_and_names_its_reason(tinghu, yandu):
    volunteer_id = volunteer_of(tinghu)
    path = f"/transfers/{requested(tinghu, volunteer_id)['transfer_id']}"

    declined = ok(yandu.post(f"{path}/decline", {"reason_code": "not_resident"}))

    assert (declined["status"], declined["decline_reason_code"]) == ("declined",
                                                                     "not_resident")
    problem(yandu.post(f"{path}/accept", {}), 409)
    assert ok(tinghu.get(f"/volunteers/{volunteer_id}"))["county_code"] == TINGHU
    requested(tinghu, volunteer_id)  # a new transfer may be asked for


@pytest.mark.parametrize("canceller", ["tinghu", "yandu"])
def test_either_side_may_cancel_before_the_release(canceller, tinghu, yandu):
    path = f"/transfers/{requested(tinghu, volunteer_of(tinghu))['transfer_id']}"
    ok(yandu.post(f"{path}/accept", {}))

    cancelled = ok({"tinghu": tinghu, "yandu": yandu}[canceller].post(f"{path}/cancel", {}))

    assert cancelled["cancelled_by"] == {"tinghu": "sending", "yandu": "receiving"}[canceller]
    problem(tinghu.post(f"{path}/release", {}), 409)


@pytest.mark.parametrize("body, field", [
    ({"to_county": "110101", "reason_code": "moved_home"}, "to_county"),  # not of the city
    ({"to_county": YANDU, "reason_code": "不想待了"}, "reason_code"),
    ({"to_county": YANDU}, "reason_code"),
    ({"to_county": YANDU, "reason_code": "moved_home", "acting_county": YANDU},
     "acting_county"),  # never from a body
])
def test_a_bad_request_is_422_and_changes_nothing(body, field, tinghu):
    volunteer_id = volunteer_of(tinghu)
    refused = problem(tinghu.post(f"/volunteers/{volunteer_id}/transfers", body), 422)
    assert field in refused["errors"]
    assert ok(tinghu.get("/transfers", params={"status": "requested"}))["items"] == [] or all(
        t["volunteer_id"] != volunteer_id
        for t in ok(tinghu.get("/transfers", params={"status": "requested"}))["items"])


def test_a_transfer_to_the_same_county_or_of_a_deceased_person_is_409(tinghu):
    volunteer_id = volunteer_of(tinghu)
    same = problem(tinghu.post(f"/volunteers/{volunteer_id}/transfers",
                               {"to_county": TINGHU, "reason_code": "moved_home"}), 409)
    assert same["code"] == "rule_violated"
    ok(tinghu.post(f"/volunteers/{volunteer_id}/withdraw", {"reason_code": "deceased"}))
    problem(tinghu.post(f"/volunteers/{volunteer_id}/transfers",
                        {"to_county": YANDU, "reason_code": "moved_home"}), 409)


def test_another_countys_volunteer_cannot_be_asked_for(yandu, tinghu):
    volunteer_id = volunteer_of(tinghu)
    problem(yandu.post(f"/volunteers/{volunteer_id}/transfers",
                       {"to_county": YANDU, "reason_code": "moved_home"}), 404)


def at_once(*calls) -> list:
    with ThreadPoolExecutor(len(calls)) as pool:
        return [f.result() for f in [pool.submit(api.post, path, body)
                                     for api, path, body in calls]]


def test_two_bureaus_deciding_at_once_one_wins_the_other_gets_409(tinghu, yandu):
    for _ in range(3):
        path = f"/transfers/{requested(tinghu, volunteer_of(tinghu))['transfer_id']}"
        ok(yandu.post(f"{path}/accept", {}))

        answers = at_once((tinghu, f"{path}/release", {}), (yandu, f"{path}/cancel", {}))

        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        final = ok(tinghu.get(path))["status"]
        assert final == ("released" if answers[0].status_code == 200 else "cancelled")


def test_two_decisions_of_the_receiving_side_at_once_one_wins(tinghu, yandu, city):
    path = f"/transfers/{requested(tinghu, volunteer_of(tinghu))['transfer_id']}"

    answers = at_once((yandu, f"{path}/accept", {}),
                      (city, f"{path}/decline", {"reason_code": "documents_missing"}))

    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    assert problem(next(a for a in answers if a.status_code == 409), 409)["code"] == (
        "rule_violated")
