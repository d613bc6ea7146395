"""County summaries, trends and the wish funnel through the gateway, scoped like every
resource; trends and the funnel as of an instant; the as-of bounds (the dashboard's
pickers)."""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import polling
import pytest
from gateway_support import DAFENG, TINGHU, registration, wish_body

from yinfa.schemas import city_today


@pytest.fixture(scope="module")
def tinghu(platform, city):
    """A volunteer and a wish of 亭湖区, seen by scoring."""
    city.post("/volunteers", registration())
    posted = city.post("/wishes", wish_body())
    assert posted.status_code == 201, posted.text
    polling.eventually(lambda: city.get("/rankings/timeline").json()["first_event_at"],
                       timeout=30.0, every=0.3)
    return platform.open_account("summary-th", "county_admin", county_code=TINGHU)


def test_the_city_sees_every_county_summed_up(city, tinghu):
    items = city.get("/summaries/counties").json()["items"]
    assert len(items) == 11
    row = next(item for item in items if item["county_code"] == TINGHU)
    assert row["county_name"] == "亭湖区"
    assert row["volunteers"]["volunteers"] >= 1 and row["activities"]["wishes"]["open"] >= 1
    assert row["coverage"]["county_code"] == TINGHU


def test_a_county_admin_sees_its_own_county_and_no_other(tinghu):
    assert [r["county_code"] for r in tinghu.get("/summaries/counties").json()["items"]] \
        == [TINGHU]
    for path in ("", "/trends", "/wishes"):
        own = tinghu.get(f"/summaries/counties/{TINGHU}{path}")
        assert own.status_code == 200, own.text
        other = tinghu.get(f"/summaries/counties/{DAFENG}{path}")
        assert other.status_code == 404
        assert set(other.json()) <= {"type", "title", "status", "code", "detail", "instance",
                                     "request_id"}
        assert "大丰" not in other.text


def test_the_wish_funnel_counts_the_posted_wish(city, tinghu):
    funnel = city.get(f"/summaries/counties/{TINGHU}/wishes").json()
    assert funnel["steps"][0] == {"step": "posted", "count": 1}
    assert [s["step"] for s in funnel["steps"]] == ["posted", "claimed", "fulfilled",
                                                     "confirmed"]


def test_trends_name_the_five_themes(city, tinghu):
    trends = city.get(f"/summaries/counties/{TINGHU}/trends").json()
    assert trends["themes"]["party_story"] == "讲好党的故事" and len(trends["themes"]) == 5


def test_an_unknown_county_is_not_found(city):
    assert city.get("/summaries/counties/999999").status_code == 404


def test_the_timeline_names_the_rulebooks(city, tinghu):
    timeline = city.get("/rankings/timeline").json()
    assert timeline["default_rulebook"] == "2026"
    assert timeline["rulebooks"][0]["version"] == "2026.1"


def test_an_as_of_before_the_first_event_is_refused_with_a_reason(city, tinghu):
    answer = city.get("/rankings/counties", params={"as_of": "2000-01-01"})
    assert answer.status_code == 422
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.json()["code"] == "as_of_before_first_event"


def test_an_as_of_in_the_future_is_refused_with_a_reason(city, tinghu):
    tomorrow = (city_today() + timedelta(days=1)).isoformat()
    answer = city.get(f"/rankings/counties/{TINGHU}", params={"as_of": tomorrow})
    assert answer.status_code == 422 and answer.json()["code"] == "as_of_in_future"


def test_an_as_of_of_today_is_answered(city, tinghu):
    answer = city.get("/rankings/counties", params={"as_of": city_today().isoformat()})
    assert answer.status_code == 200, answer.text


def test_the_funnel_as_of_an_earlier_instant_leaves_out_a_wish_posted_since(city, tinghu):
    time.sleep(0.05)
    then = datetime.now(UTC)
    time.sleep(0.05)
    assert city.post("/wishes", wish_body()).status_code == 201
    path = f"/summaries/counties/{TINGHU}/wishes"
    live, earlier = city.get(path).json(), city.get(path, params={"as_of": then.isoformat()})
    assert earlier.status_code == 200, earlier.text
    assert datetime.fromisoformat(earlier.json()["as_of"]) == then and live["as_of"] is None
    assert earlier.json()["steps"][0]["count"] == live["steps"][0]["count"] - 1 >= 1
    trends = city.get(f"/summaries/counties/{TINGHU}/trends",
                      params={"as_of": then.isoformat()})
    assert trends.status_code == 200 and datetime.fromisoformat(trends.json()["as_of"]) == then


@pytest.mark.parametrize("path", ["/trends", "/wishes"])
def test_trends_and_the_funnel_refuse_an_as_of_out_of_bounds_with_a_reason(city, tinghu, path):
    tomorrow = (city_today() + timedelta(days=1)).isoformat()
    for as_of, code in (("2000-01-01", "as_of_before_first_event"),
                        (tomorrow, "as_of_in_future")):
        answer = city.get(f"/summaries/counties/{TINGHU}{path}", params={"as_of": as_of})
        assert answer.status_code == 422 and answer.json()["code"] == code
    assert city.get(f"/summaries/counties/{TINGHU}{path}",
                    params={"as_of": "not a date"}).status_code == 422
