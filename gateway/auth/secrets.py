"""Opaque secrets the gateway hands out (refresh tokens, API keys): random, stored hashed.

They are long random strings, so a plain SHA-256 is enough to keep them useless if the
database leaks (argon2 is for passwords, which people choose).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

API_KEY_PREFIX = "yk"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same_digest(stored: str, secret: str) -> bool:
    return hmac.compare_digest(stored, digest(secret))


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def new_api_key() -> tuple[str, str]:
    """(key id, full key): the id finds the account, the rest proves possession."""
    key_id = secrets.token_hex(8)
    return key_id, f"{API_KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"


def key_id_of(api_key: str) -> str | None:
    parts = api_key.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or len(parts[1]) != 16:
        return None
    return parts[1]
