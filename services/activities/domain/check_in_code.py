"""One-time check-in codes: the organiser shows a short code on site, volunteers type it
to check in and out. Only a salted, slow hash is stored, so the event log never holds a
code that still works; the hash names its algorithm, so the cost can grow later."""
from __future__ import annotations

import hashlib
import hmac

ALGORITHM = "pbkdf2_sha256"
ITERATIONS = 20_000


def normalise_code(code: str) -> str:
    """Codes are read aloud and typed on phones: blanks and letter case do not matter."""
    return "".join(code.split()).upper()


def code_salt(*parts: str) -> str:
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:16]


def hash_code(code: str, salt: str, iterations: int = ITERATIONS) -> str:
    digest = hashlib.pbkdf2_hmac(
        "sha256", normalise_code(code).encode(), salt.encode(), iterations
    )
    return f"{ALGORITHM}${iterations}${salt}${digest.hex()}"


def verify_code(code: str, stored: str) -> bool:
    try:
        algorithm, iterations, salt, _ = stored.split("$")
        cost = int(iterations)
    except ValueError:
        return False
    if algorithm != ALGORITHM:
        return False
    return hmac.compare_digest(hash_code(code, salt, cost), stored)
