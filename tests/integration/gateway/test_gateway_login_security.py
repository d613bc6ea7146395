"""Logins and tokens as an attacker would try them, through two gateway processes on one
store: guessing is limited across both, tokens are revocable and typed, and answers carry
the headers a browser needs; a trickling client is cut off."""
from __future__ import annotations

import os
import socket
import time

import jwt
import polling
import pytest
from gateway_support import ADMIN_PASSWORD, Api, listening_on, registration
from nameko.runners import ServiceRunner
from test_gateway_http import assert_problem, forged

from gateway.service import GatewayService
from yinfa.secrets import TOKEN_KEY

SOCKET_TIMEOUT = 2


@pytest.fixture(scope="module")
def gateway_extra():
    return {"GATEWAY_SOCKET_TIMEOUT": SOCKET_TIMEOUT}


@pytest.fixture(scope="module")
def second_gateway(platform):
    """Another gateway process's worth: its own container, the same store and broker."""
    runner = ServiceRunner(platform.config)
    runner.add_service(GatewayService)
    runner.start()
    gateway = next(c for c in runner.containers if c.service_name == "gateway")
    yield Api("http://" + listening_on(gateway))
    runner.stop()


def login(api: Api, username: str, password: str):
    return api.post("/auth/login", {"username": username, "password": password})


def test_password_guessing_is_limited_across_two_gateways(platform, second_gateway):
    platform.open_account("guessed", "county_admin", county_code="320902")
    first = platform.anonymous
    for attempt in range(10):
        api = first if attempt % 2 else second_gateway
        assert_problem(login(api, "guessed", f"wrong-password-{attempt}"), 401)
    for api in (first, second_gateway):
        refused = login(api, "guessed", ADMIN_PASSWORD)
        assert_problem(refused, 429)
        assert int(refused.headers["Retry-After"]) > 0


def test_x_forwarded_for_from_an_untrusted_peer_changes_nothing(platform):
    platform.open_account("spoofer", "county_admin", county_code="320902")
    for attempt in range(10):
        answer = platform.anonymous.post(
            "/auth/login", {"username": "spoofer", "password": "nope-nope-nope"},
            headers={"X-Forwarded-For": f"10.9.8.{attempt}"})
        assert_problem(answer, 401)
    assert_problem(login(platform.anonymous, "spoofer", ADMIN_PASSWORD), 429)


def test_a_token_without_the_access_type_is_refused(platform):
    platform.open_account("typed", "city_admin")
    assert_problem(platform.anonymous.get("/me", headers={
        "Authorization": f"Bearer {forged(platform, sub='typed', typ='refresh')}"}), 401)
    claims = jwt.decode(forged(platform, sub="typed", typ="access"),
                        options={"verify_signature": False})
    assert claims["typ"] == "access"
    untyped = jwt.encode({k: v for k, v in claims.items() if k != "typ"},
                         platform.config.get("GATEWAY_SECRET") or os.environ[TOKEN_KEY],
                         algorithm="HS256")
    assert_problem(platform.anonymous.get("/me", headers={
        "Authorization": f"Bearer {untyped}"}), 401)


def test_a_closed_account_s_token_stops_working(platform, city):
    county = platform.open_account("to-close", "county_admin", county_code="320902")
    assert county.get("/me").status_code == 200
    assert city.post("/accounts/to-close/close", {"reason": "调离"}).status_code == 200
    polling.eventually(lambda: county.get("/me").status_code == 401, timeout=15, every=0.5)


def test_a_password_change_revokes_the_tokens_issued_before(platform, city):
    platform.open_account("rotating", "county_admin", county_code="320902")
    before = login(platform.anonymous, "rotating", ADMIN_PASSWORD).json()["access_token"]
    changed = city.post("/accounts/rotating/password", {"password": "a-new-password-2026"})
    assert changed.status_code == 200, changed.text
    assert_problem(platform.anonymous.get("/me", headers={
        "Authorization": f"Bearer {before}"}), 401)
    time.sleep(1.1)  # a token of the next second is after the change
    fresh = login(platform.anonymous, "rotating", "a-new-password-2026")
    assert fresh.status_code == 200, fresh.text


def test_answers_carry_security_headers_and_personal_data_is_not_stored(platform, city):
    volunteer_id = city.post("/volunteers", registration()).json()["volunteer_id"]
    shown = city.get(f"/volunteers/{volunteer_id}")
    assert shown.headers["Cache-Control"] == "no-store"
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    exported = city.get("/exports/counties/320902/volunteers", params={"format": "csv"})
    assert exported.headers["Cache-Control"] == "no-store"
    docs = platform.anonymous.get("/docs")
    assert "frame-ancestors 'none'" in docs.headers["Content-Security-Policy"]
    assert docs.headers["X-Frame-Options"] == "DENY"
    missing = platform.anonymous.get("/no/such/thing")
    assert missing.headers["X-Content-Type-Options"] == "nosniff"


def test_a_client_trickling_its_request_is_cut_off(platform):
    host, port = platform.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as trickle:
        trickle.sendall(b"GET /docs HTTP/1.1\r\nHost: x\r\n")
        trickle.settimeout(SOCKET_TIMEOUT * 5)
        started = time.monotonic()
        assert trickle.recv(1024) == b""  # closed by the server, nothing answered
        assert time.monotonic() - started < SOCKET_TIMEOUT * 4
