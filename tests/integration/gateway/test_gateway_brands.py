"""Party-building brands as resources, through the gateway on the real services: the
city's list filtered by county, year, status and words, one brand, and a year's top ten
as the city selected it; a county sees only its own brands."""
from __future__ import annotations

import pytest
from gateway_support import DAFENG, TINGHU, branch_body

# (county, brand name, first year, reviews passed from the first year on; False: failed,
#  the programme theme it serves, by code or label)
BRANDS = {
    "pioneer": (TINGHU, "银辉先锋", 2023, [True, True, True], "party_story"),
    "lantern": (TINGHU, "红烛夕照", 2024, [True, True], "培育时代新人"),
    "dropped": (TINGHU, "夕阳红讲堂", 2023, [True, False], "party_story"),
    "dafeng": (DAFENG, "麋鹿故乡银发宣讲", 2023, [True, True, True], None),
}


def _ok(answer, status: int = 200) -> dict:
    assert answer.status_code == status, answer.text
    return answer.json()


@pytest.fixture(scope="module")
def brands(platform, city):
    ids = {}
    for key, (county, name, first_year, reviews, theme) in BRANDS.items():
        branch_id = _ok(city.post("/branches", branch_body(county)), 201)["branch_id"]
        _ok(city.post(f"/branches/{branch_id}/brand", {
            "name": name, "description": f"{name}：老党员讲党课进社区", "year": first_year,
            "theme": theme}), 201)
        for offset, passed in enumerate(reviews):
            _ok(city.post(f"/branches/{branch_id}/brand/review", {
                "year": first_year + offset, "passed": passed, "reviewer": "市委老干部局",
                "note": None if passed else "台账不全"}))
        ids[key] = branch_id
    selected = city.post("/brands/top-ten", {"year": 2025, "scores": [
        {"branch_id": ids["pioneer"], "score": "95"},
        {"branch_id": ids["dafeng"], "score": "97.5"},
        {"branch_id": ids["lantern"], "score": "95"}]})
    assert selected.status_code == 201, selected.text
    assert selected.headers["Location"] == "/brands/top-ten/2025"
    return ids


def names(page: dict) -> set[str]:
    return {item["name"] for item in page["items"]}


def test_the_city_lists_every_brand_with_its_branch_and_county(city, brands):
    page = _ok(city.get("/brands"))
    assert page["total"] == len(BRANDS) and names(page) == {b[1] for b in BRANDS.values()}
    pioneer = next(i for i in page["items"] if i["branch_id"] == brands["pioneer"])
    assert pioneer["county_code"] == TINGHU and pioneer["county_name"] == "亭湖区"
    assert pioneer["branch_name"] == branch_body()["name"]
    assert (pioneer["status"], pioneer["status_label"]) == ("established", "已创建")
    assert (pioneer["theme"], pioneer["theme_label"]) == ("party_story", "讲好党的故事")


@pytest.mark.parametrize(("params", "expected"), [
    ({"county_code": DAFENG}, {"麋鹿故乡银发宣讲"}),
    ({"status": "cultivating"}, {"红烛夕照"}),
    ({"status": "failed"}, {"夕阳红讲堂"}),
    ({"year": 2023}, {"银辉先锋", "夕阳红讲堂", "麋鹿故乡银发宣讲"}),
    ({"year": 2026}, {"银辉先锋", "红烛夕照", "麋鹿故乡银发宣讲"}),  # live: a review is due
    ({"q": "红烛"}, {"红烛夕照"}),
    ({"theme": "party_story"}, {"银辉先锋", "夕阳红讲堂"}),
    ({"theme": "party_story", "status": "failed"}, {"夕阳红讲堂"}),
    ({"county_code": TINGHU, "status": "established"}, {"银辉先锋"}),
])
def test_the_list_filters(city, brands, params, expected):
    assert names(_ok(city.get("/brands", params=params))) == expected


def test_the_list_pages_with_a_cursor(city, brands):
    first = _ok(city.get("/brands", params={"limit": 3}))
    second = _ok(city.get("/brands", params={"limit": 3, "cursor": first["next"]}))
    assert len(first["items"]) == 3 and len(second["items"]) == 1 and second["next"] is None
    assert names(first) | names(second) == {b[1] for b in BRANDS.values()}


def test_bad_filters_are_refused(city, brands):
    for params in ({"status": "famous"}, {"year": "last"}, {"county_code": "999999"},
                   {"theme": "gardening"}, {"level": "city_demo"}):
        answer = city.get("/brands", params=params)
        assert answer.status_code == 422, (params, answer.text)


def test_one_brand_and_a_branch_without_one(city, brands):
    brand = _ok(city.get(f"/brands/{brands['lantern']}"))
    assert brand["name"] == "红烛夕照" and brand["next_review_year"] == 2026
    assert (brand["theme"], brand["theme_label"]) == ("youth_cultivation", "培育时代新人")
    no_brand = _ok(city.post("/branches", branch_body()), 201)["branch_id"]
    assert city.get(f"/brands/{no_brand}").status_code == 404


def test_the_year_s_top_ten_as_selected(city, brands):
    top = _ok(city.get("/brands/top-ten/2025"))
    assert top["year"] == 2025 and top["top_n"] == 10
    ranked = [(i["rank"], i["name"]) for i in top["items"]]
    assert ranked[0] == (1, "麋鹿故乡银发宣讲")  # equal scores share the rank below it
    assert set(ranked[1:]) == {(2, "银辉先锋"), (2, "红烛夕照")}
    assert {i["county_name"] for i in top["items"]} == {"亭湖区", "大丰区"}
    assert top["items"][0]["theme"] is None  # applied for without one
    assert city.get("/brands/top-ten/2024").status_code == 404
    assert city.get("/brands/top-ten/twenty").status_code == 404


def test_a_county_sees_its_own_brands_and_the_whole_top_ten(platform, city, brands):
    county = platform.open_account("brands-df", "county_admin", county_code=DAFENG)
    assert names(_ok(county.get("/brands"))) == {"麋鹿故乡银发宣讲"}
    assert county.get("/brands", params={"county_code": TINGHU}).status_code == 404
    assert county.get(f"/brands/{brands['pioneer']}").status_code == 404
    assert _ok(county.get(f"/brands/{brands['dafeng']}"))["county_code"] == DAFENG
    assert len(_ok(county.get("/brands/top-ten/2025"))["items"]) == 3
