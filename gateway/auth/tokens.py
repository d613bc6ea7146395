"""Short-lived access tokens: JWT signed with HS256 only; exp, iat, iss, aud, sub required.

The algorithm is fixed on decoding, so `alg: none` or a token signed another way is
refused like a bad signature.
"""
from __future__ import annotations

import time
import uuid
from typing import Any

import jwt

from gateway.problem import unauthorized
from gateway.roles import ROLES, Principal
from gateway.settings import GatewaySettings

ALGORITHM = "HS256"
REQUIRED = ["exp", "iat", "iss", "aud", "sub", "typ"]
ACCESS = "access"  # `typ`: only an access token opens the API


def issue_access_token(settings: GatewaySettings, principal: Principal,
                       now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "sub": principal.account,
        "role": principal.role,
        "iss": settings.issuer,
        "aud": settings.audience,
        "iat": issued,
        "exp": issued + settings.access_seconds,
        "jti": uuid.uuid4().hex,
        "typ": ACCESS,
    }
    for claim, value in (("county", principal.county_code), ("branch", principal.branch_id),
                         ("volunteer", principal.volunteer_id)):
        if value:
            claims[claim] = value
    return jwt.encode(claims, settings.secret, algorithm=ALGORITHM)


def principal_from_token(settings: GatewaySettings, token: str) -> Principal:
    return verify_token(settings, token)[0]


def verify_token(settings: GatewaySettings, token: str) -> tuple[Principal, int, int]:
    """The caller, the token's expiry and when it was issued (seconds since the epoch)."""
    try:
        claims = jwt.decode(token, settings.secret, algorithms=[ALGORITHM],
                            audience=settings.audience, issuer=settings.issuer,
                            options={"require": REQUIRED}, leeway=5)
    except jwt.ExpiredSignatureError:
        raise unauthorized("The access token has expired.") from None
    except jwt.PyJWTError:
        raise unauthorized("The access token is not valid.") from None
    role = claims.get("role")
    if role not in ROLES or not isinstance(claims["sub"], str) or claims["typ"] != ACCESS:
        raise unauthorized("The access token is not valid.")
    principal = Principal(account=claims["sub"], role=role, county_code=claims.get("county"),
                          branch_id=claims.get("branch"), volunteer_id=claims.get("volunteer"))
    return principal, int(claims["exp"]), int(claims["iat"])
