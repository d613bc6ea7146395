"""Access tokens: HS256 only, with exp, iss and aud checked."""
from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from gateway.auth.tokens import issue_access_token, principal_from_token
from gateway.problem import Problem
from gateway.roles import Principal
from gateway.settings import gateway_settings

SETTINGS = gateway_settings({"GATEWAY_SECRET": "unit-test-secret-of-sufficient-length-42"})
COUNTY_ADMIN = Principal(account="dafeng", role="county_admin", county_code="320904")


def refused(token: str) -> str:
    with pytest.raises(Problem) as caught:
        principal_from_token(SETTINGS, token)
    assert caught.value.status == 401
    return caught.value.detail


def claims(**changes) -> dict:
    now = int(time.time())
    return {"sub": "dafeng", "role": "county_admin", "county": "320904", "iss": "yinfa",
            "aud": "yinfa-api", "iat": now, "exp": now + 60, "typ": "access", **changes}


def test_a_token_carries_the_caller_and_its_scope():
    token = issue_access_token(SETTINGS, COUNTY_ADMIN)
    assert principal_from_token(SETTINGS, token) == COUNTY_ADMIN


def test_an_expired_token_is_refused():
    token = issue_access_token(SETTINGS, COUNTY_ADMIN, now=time.time() - 3600)
    assert "expired" in refused(token)


def test_alg_none_is_refused():
    def part(obj) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    refused(f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims())}.")


@pytest.mark.parametrize("change", [
    {"aud": "another-api"}, {"iss": "another-issuer"}, {"role": "root"},
])
def test_wrong_audience_issuer_or_role_is_refused(change):
    refused(jwt.encode(claims(**change), SETTINGS.secret, algorithm="HS256"))


@pytest.mark.parametrize("missing", ["exp", "iss", "aud", "sub", "iat"])
def test_a_token_without_a_required_claim_is_refused(missing):
    body = {k: v for k, v in claims().items() if k != missing}
    refused(jwt.encode(body, SETTINGS.secret, algorithm="HS256"))


def test_another_key_or_another_algorithm_is_refused():
    refused(jwt.encode(claims(), "another-secret-of-sufficient-length-0000", algorithm="HS256"))
    refused(jwt.encode(claims(), SETTINGS.secret, algorithm="HS512"))


def test_only_an_access_token_opens_the_api():
    refused(jwt.encode(claims(typ="refresh"), SETTINGS.secret, algorithm="HS256"))
    untyped = {k: v for k, v in claims().items() if k != "typ"}
    refused(jwt.encode(untyped, SETTINGS.secret, algorithm="HS256"))
