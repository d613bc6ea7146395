"""The gateway's HTTP contract over a real socket, in front of the real services.

Bad input of every kind is a 4xx problem+json and writes nothing; the request id becomes
the events' correlation id; lists page by opaque cursors; rankings answer 304 to a
matching ETag; an Idempotency-Key makes a retried POST harmless.
"""
from __future__ import annotations

import os
import time

import jwt
import pytest
from gateway_support import DAFENG, TINGHU, registration
from nameko.standalone.rpc import ServiceRpcProxy

from yinfa.secrets import RETIRED_DEFAULTS, TOKEN_KEY, demo_value

PROBLEM = "application/problem+json"


def volunteer_count(city, county: str = TINGHU) -> int:
    return city.get("/volunteers", params={"county_code": county, "limit": 1}).json()["total"]


def assert_problem(answer, status: int, code: str | None = None) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith(PROBLEM)
    body = answer.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("/problems/")
    if code:
        assert body["code"] == code
    return body


def test_a_city_admin_registers_and_reads_a_volunteer(city):
    created = city.post("/volunteers", registration())
    assert created.status_code == 201, created.text
    volunteer_id = created.json()["volunteer_id"]
    assert created.headers["Location"] == f"/volunteers/{volunteer_id}"
    read = city.get(f"/volunteers/{volunteer_id}")
    assert read.status_code == 200 and read.json()["volunteer_id"] == volunteer_id


# ---- bad input -----------------------------------------------------------------------


def test_malformed_json_is_a_400_problem_and_writes_nothing(city):
    before = volunteer_count(city)
    answer = city.post("/volunteers", data='{"name": "王", '.encode(),
                       headers={"Content-Type": "application/json"})
    assert_problem(answer, 400, "bad_request")
    assert volunteer_count(city) == before


@pytest.mark.parametrize("change, field", [
    ({"birth_year": "nineteen"}, "birth_year"),  # wrong type
    ({"surprise": 1}, "surprise"),  # unknown field
    ({"county_code": "999999"}, "county_code"),  # not a county of the city
    ({"name": {"$gt": ""}}, "name"),  # an operator object where text belongs
])
def test_invalid_fields_are_422_with_field_errors_and_write_nothing(city, change, field):
    before = volunteer_count(city)
    body = {**registration(), **change}
    problem = assert_problem(city.post("/volunteers", body), 422 if "$gt" not in str(change)
                             else 400)
    assert field in str(problem.get("errors"))
    assert volunteer_count(city) == before


@pytest.mark.parametrize("key", ["$where", "party.member", "$set"])
def test_operator_and_dotted_keys_are_refused_anywhere_in_the_body(city, key):
    body = {**registration(), "skills": [{key: 1}]}
    assert_problem(city.post("/volunteers", body), 400)
    nested = {**registration(), key: "x"}
    assert_problem(city.post("/volunteers", nested), 400)


@pytest.mark.parametrize("query", ["status[$ne]=x", "county_code=$ne", "a.b=1"])
def test_operator_query_parameters_are_refused(city, query):
    assert_problem(city.get(f"/volunteers?{query}"), 400)


def test_unknown_query_parameters_are_refused(city):
    problem = assert_problem(city.get("/volunteers", params={"sort": "name"}), 422)
    assert "sort" in problem["errors"]


def test_an_oversized_body_is_413(city):
    before = volunteer_count(city)
    body = {**registration(), "former_employer": "局" * 70_000}
    assert_problem(city.post("/volunteers", body), 413, "body_too_large")
    assert volunteer_count(city) == before


def test_a_body_that_is_not_json_is_415(city):
    answer = city.post("/volunteers", data="name=王", headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    assert_problem(answer, 415)


def test_unknown_paths_and_methods_are_problems_too(city):
    assert_problem(city.get("/no/such/thing"), 404)
    assert_problem(city.request("DELETE", "/volunteers"), 405)


# ---- tokens ---------------------------------------------------------------------------


def forged(platform, **changes) -> str:
    claims = {"sub": "city", "role": "city_admin", "iss": "yinfa", "aud": "yinfa-api",
              "iat": int(time.time()), "exp": int(time.time()) + 600, "typ": "access",
              **changes}
    secret = changes.pop("secret", None) or platform.config.get(
        "GATEWAY_SECRET") or os.environ[TOKEN_KEY]
    claims.pop("secret", None)
    return jwt.encode(claims, secret, algorithm="HS256")


def _unsigned(claims: dict) -> str:
    import base64
    import json

    def part(obj) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def bad_tokens(platform) -> dict[str, str]:
    now = int(time.time())
    good = {"sub": "city", "role": "city_admin", "iss": "yinfa", "aud": "yinfa-api",
            "iat": now, "exp": now + 600, "typ": "access"}
    return {
        "garbage": "not-a-token",
        "expired": forged(platform, iat=now - 7200, exp=now - 3600),
        "alg none": _unsigned(good),
        "wrong key": forged(platform, secret="another-secret-of-sufficient-length-0123"),
        "wrong audience": forged(platform, aud="someone-else"),
        "wrong issuer": forged(platform, iss="someone-else"),
        "unknown role": forged(platform, role="superuser"),
        "no expiry": jwt.encode({k: v for k, v in good.items() if k != "exp"},
                                platform.config.get("GATEWAY_SECRET") or os.environ[TOKEN_KEY],
                                algorithm="HS256"),
        "not an access token": forged(platform, typ="refresh"),
    }


def test_bad_tokens_are_401_and_write_nothing(platform, city):
    before = volunteer_count(city)
    for name, token in bad_tokens(platform).items():
        answer = platform.anonymous.post("/volunteers", registration(),
                                         headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401, name
        assert_problem(answer, 401, "unauthorized")
    assert_problem(platform.anonymous.get("/volunteers"), 401)
    assert volunteer_count(city) == before


def test_a_token_signed_with_the_configured_key_is_accepted_so_the_key_matters(platform):
    answer = platform.anonymous.get("/me", headers={
        "Authorization": f"Bearer {forged(platform)}"})
    assert answer.status_code == 200 and answer.json()["role"] == "city_admin"


@pytest.mark.parametrize("key", sorted(RETIRED_DEFAULTS) + [demo_value(TOKEN_KEY)])
def test_a_token_forged_with_any_key_that_was_ever_a_default_is_401(platform, key):
    answer = platform.anonymous.get("/me", headers={
        "Authorization": f"Bearer {forged(platform, secret=key)}"})
    assert_problem(answer, 401)


def test_a_wrong_password_is_401(platform, city):
    answer = platform.anonymous.post("/auth/login", {"username": "city", "password": "wrong"})
    assert_problem(answer, 401)
    answer = platform.anonymous.post("/auth/login", {"username": "nobody", "password": "x"})
    assert_problem(answer, 401)


def test_refresh_tokens_rotate_and_a_reused_one_ends_the_family(platform, city):
    from gateway_support import ADMIN_PASSWORD

    tokens = platform.anonymous.post("/auth/login", {"username": "city",
                                                     "password": ADMIN_PASSWORD}).json()
    first = tokens["refresh_token"]
    second = platform.anonymous.post("/auth/refresh", {"refresh_token": first})
    assert second.status_code == 200
    newer = second.json()["refresh_token"]
    assert newer != first
    assert_problem(platform.anonymous.post("/auth/refresh", {"refresh_token": first}), 401)
    # the theft is noticed: the newer token of the same family is gone too
    assert_problem(platform.anonymous.post("/auth/refresh", {"refresh_token": newer}), 401)


def test_a_feed_client_reads_with_its_api_key_and_cannot_write(platform, city):
    city.post("/accounts", {"username": "feed-1", "password": "feed-password-1",
                            "role": "feed_client"})
    issued = city.post("/accounts/feed-1/api-keys", {"label": "大屏"})
    assert issued.status_code == 201, issued.text
    key = issued.json()["api_key"]
    from gateway_support import Api

    feed = Api(platform.base, headers={"X-Api-Key": key})
    assert feed.get("/activities").status_code == 200
    assert feed.get("/rankings/counties").status_code == 200
    assert_problem(feed.post("/volunteers", registration()), 403)
    assert_problem(feed.get("/volunteers"), 403)
    key_id = issued.json()["key_id"]
    assert city.request("DELETE", f"/accounts/feed-1/api-keys/{key_id}").status_code == 204
    assert_problem(feed.get("/activities"), 401)


# ---- request id, pagination, ETag, idempotency ------------------------------------------


def test_the_request_id_becomes_the_events_correlation_id(platform, city):
    answer = city.post("/volunteers", registration(), headers={"X-Request-Id": "req-gw-42"})
    assert answer.status_code == 201
    assert answer.headers["X-Request-Id"] == "req-gw-42"
    volunteer_id = answer.json()["volunteer_id"]
    config = {"AMQP_URI": platform.config["AMQP_URI"], "serializer": "json"}
    with ServiceRpcProxy("volunteers", config) as volunteers:
        events = volunteers.events_after(0, 5000)
    mine = [e for e in events if e["stream_id"] == f"volunteer-{volunteer_id}"]
    assert mine and all(e["correlation_id"] == "req-gw-42" for e in mine)
    assert all(e["actor"] == "city_admin:city" for e in mine)


def test_a_request_id_is_made_when_none_is_sent(city):
    assert len(city.get("/me").headers["X-Request-Id"]) >= 32


def test_lists_page_by_opaque_cursor_and_refuse_a_tampered_one(city):
    for _ in range(3):
        assert city.post("/volunteers", registration(DAFENG)).status_code == 201
    total = volunteer_count(city, DAFENG)
    seen, cursor = [], None
    while True:
        params = {"county_code": DAFENG, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = city.get("/volunteers", params=params).json()
        seen += [v["volunteer_id"] for v in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == total
    first = city.get("/volunteers", params={"county_code": DAFENG, "limit": 1}).json()
    assert_problem(city.get("/volunteers", params={
        "county_code": DAFENG, "cursor": first["next"][:-2] + "00"}), 400)
    assert_problem(city.get("/volunteers", params={
        "county_code": TINGHU, "cursor": first["next"]}), 400)


def test_rankings_answer_304_to_a_matching_etag(city):
    first = city.get("/rankings/counties")
    assert first.status_code == 200, first.text
    tag = first.headers["ETag"]
    again = city.get("/rankings/counties", headers={"If-None-Match": tag})
    assert again.status_code == 304 and not again.content
    assert city.get("/rankings/counties", headers={"If-None-Match": '"other"'}).status_code == 200


def test_an_idempotency_key_makes_a_retried_post_harmless(city):
    body = registration()
    headers = {"Idempotency-Key": "register-once-1"}
    before = volunteer_count(city)
    first = city.post("/volunteers", body, headers=headers)
    second = city.post("/volunteers", body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert volunteer_count(city) == before + 1
    other = city.post("/volunteers", registration(), headers=headers)
    assert_problem(other, 422, "idempotency_key_reused")
    assert volunteer_count(city) == before + 1


# ---- personal data ------------------------------------------------------------------------


def test_personal_data_is_masked_unless_the_role_may_reveal_it(platform, city):
    body = registration()
    volunteer_id = city.post("/volunteers", body).json()["volunteer_id"]
    masked = city.get(f"/volunteers/{volunteer_id}").json()
    assert "id_number" not in masked and body["phone"] not in str(masked)
    revealed = city.get(f"/volunteers/{volunteer_id}", params={"reveal": "true"}).json()
    assert revealed["id_number"] == body["id_number"] and revealed["phone"] == body["phone"]
    own = platform.open_account(f"vol-{volunteer_id[:8]}", "volunteer", county_code=TINGHU,
                                volunteer_id=volunteer_id)
    assert own.get(f"/volunteers/{volunteer_id}", params={"reveal": "true"}).json()[
        "phone"] == body["phone"]


# ---- documentation --------------------------------------------------------------------------


def test_the_openapi_document_and_swagger_ui_are_served_without_a_cdn(platform):
    spec = platform.anonymous.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.") and "/volunteers" in spec["paths"]
    page = platform.anonymous.get("/docs")
    assert page.status_code == 200 and "/docs/static/swagger-ui-bundle.js" in page.text
    assert "http" not in page.text.replace("http-equiv", "")
    script = platform.anonymous.get("/docs/static/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000
