"""POST /volunteers/batch over HTTP, in front of the real services: a roster import is
answered item by item, in order; a county admin writes only its own county's items; a
retried import is harmless; too many items are refused whole."""
from __future__ import annotations

from datetime import date, timedelta
from itertools import count

import pytest
from gateway_support import DAFENG, TINGHU, Api, registration
from nameko.standalone.rpc import ServiceRpcProxy

from contracts.volunteers.id_number import make_id_number

PROBLEM = "application/problem+json"
_people = count()


def person(county: str = TINGHU, **overrides) -> dict:
    """A registration of a new person born in 1950 (apart from `registration()`'s)."""
    n = next(_people)
    born = date(1950, 1, 1) + timedelta(days=n // 500)
    return registration(county, birth_year=1950,
                        id_number=make_id_number(county, born, (n % 500) * 2 + 1), **overrides)


def total(city: Api, county: str = TINGHU) -> int:
    return city.get("/volunteers", params={"county_code": county, "limit": 1}).json()["total"]


def statuses(answer) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [r["status"] for r in answer.json()["results"]]


def test_each_item_is_answered_in_order_and_only_the_good_ones_are_registered(city):
    known = person()
    assert city.post("/volunteers", known).status_code == 201
    bad = person()
    bad["id_number"] = bad["id_number"][:-1] + ("0" if bad["id_number"][-1] != "0" else "1")
    twice = person()
    items = [person(), bad, known, twice, {**twice, "name": "重复的人"},
             {k: v for k, v in person().items() if k != "county_code"}, person(DAFENG)]
    before = total(city)

    answer = city.post("/volunteers/batch", {"items": items})

    assert statuses(answer) == ["created", "invalid", "exists", "created", "exists", "invalid",
                                "created"]
    body = answer.json()
    assert [r["index"] for r in body["results"]] == list(range(len(items)))
    assert body["created"] == 3
    assert "id_number" in body["results"][1]["errors"]
    assert "county_code" in body["results"][5]["errors"]
    assert total(city) == before + 2
    for result in body["results"]:
        if result["status"] == "created":
            shown = city.get(f"/volunteers/{result['volunteer_id']}").json()
            assert shown["status"] == "registered" and "id_number" not in shown
    assert not any(item["id_number"] in answer.text for item in items if "id_number" in item)
    assert "13812345678" not in answer.text


def test_a_county_admin_imports_only_its_own_countys_items(platform, city):
    county = platform.open_account("roster-th", "county_admin", county_code=TINGHU)
    elsewhere = person(DAFENG)
    before = (total(city, TINGHU), total(city, DAFENG))

    answer = county.post("/volunteers/batch", {"items": [person(), elsewhere, person()]})

    assert statuses(answer) == ["created", "refused", "created"]
    assert "county_code" in answer.json()["results"][1]["errors"]
    assert "volunteer_id" not in answer.json()["results"][1]
    assert (total(city, TINGHU), total(city, DAFENG)) == (before[0] + 2, before[1])
    # nothing of the refused item was written: the city can still register that person
    assert statuses(city.post("/volunteers/batch", {"items": [elsewhere]})) == ["created"]


def test_a_feed_client_imports_with_its_api_key_and_a_volunteer_may_not(platform, city):
    city.post("/accounts", {"username": "roster-feed", "password": "feed-password-1",
                            "role": "feed_client"})
    key = city.post("/accounts/roster-feed/api-keys", {"label": "民政局名单"}).json()["api_key"]
    feed = Api(platform.base, headers={"X-Api-Key": key})

    assert statuses(feed.post("/volunteers/batch", {"items": [person(), person(DAFENG)]})) == [
        "created", "created"]
    secretary = platform.open_account("roster-ops", "ops")
    refused = secretary.post("/volunteers/batch", {"items": [person()]})
    assert refused.status_code == 403
    assert refused.headers["Content-Type"].startswith(PROBLEM)


def test_five_hundred_items_are_registered_in_one_request_and_more_are_refused_whole(city):
    before = total(city)

    answer = city.post("/volunteers/batch", {"items": [person() for _ in range(500)]})

    assert statuses(answer) == ["created"] * 500
    assert len({r["volunteer_id"] for r in answer.json()["results"]}) == 500
    assert total(city) == before + 500
    too_many = city.post("/volunteers/batch", {"items": [person() for _ in range(501)]})
    assert too_many.status_code == 422
    assert too_many.headers["Content-Type"].startswith(PROBLEM)
    assert "items" in too_many.json()["errors"]
    bulky = person(name="名" * 50, former_employer="单" * 100)
    too_large = city.post("/volunteers/batch", {"items": [bulky] * 2000})  # over 1 MiB
    assert too_large.status_code == 413
    assert total(city) == before + 500


@pytest.mark.parametrize("body", [{}, {"items": []}, {"items": {"0": {}}},
                                  {"items": [{}], "source": "民政局"}])
def test_a_body_that_is_not_a_roster_is_a_422_problem(city, body):
    answer = city.post("/volunteers/batch", body)

    assert answer.status_code == 422, answer.text
    assert answer.headers["Content-Type"].startswith(PROBLEM)


def test_an_idempotency_key_replays_the_import_and_a_plain_retry_finds_them_existing(city):
    items = [person() for _ in range(5)]
    headers = {"Idempotency-Key": "roster-2026-11-30"}
    before = total(city)

    first = city.post("/volunteers/batch", {"items": items}, headers=headers)
    replayed = city.post("/volunteers/batch", {"items": items}, headers=headers)
    retried = city.post("/volunteers/batch", {"items": items})

    assert statuses(first) == ["created"] * 5
    assert replayed.json() == first.json()
    assert replayed.headers.get("Idempotent-Replayed") == "true"
    assert statuses(retried) == ["exists"] * 5
    assert [r["volunteer_id"] for r in retried.json()["results"]] == [
        r["volunteer_id"] for r in first.json()["results"]]
    assert total(city) == before + 5


def test_the_request_id_becomes_the_correlation_id_of_every_imported_event(platform, city):
    answer = city.post("/volunteers/batch", {"items": [person(), person()]},
                       headers={"X-Request-Id": "roster-req-7"})
    ids = {f"volunteer-{r['volunteer_id']}" for r in answer.json()["results"]}

    config = {"AMQP_URI": platform.config["AMQP_URI"], "serializer": "json"}
    with ServiceRpcProxy("volunteers", config) as volunteers:
        events = volunteers.events_after(0, 5000)
    mine = [e for e in events if e["stream_id"] in ids]
    assert len(mine) == 2
    assert {(e["correlation_id"], e["actor"]) for e in mine} == {
        ("roster-req-7", "city_admin:city")}
