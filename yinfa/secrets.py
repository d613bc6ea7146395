"""The platform's secrets, read from the environment and refused when missing or weak.

A process refuses to start without the secrets it uses; the message names the variable.
Only an explicit demo mode (`YINFA_DEMO_MODE=1`, set and announced by the demo command)
supplies demo values, which are known to everyone and so refused outside it.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping

from yinfa.config import settings

ID_SECRET = "YINFA_ID_SECRET"  # keys the hash that turns an ID number into a volunteer id
MASTER_KEY = "YINFA_MASTER_KEY"  # wraps each person's data key
TOKEN_KEY = "YINFA_GATEWAY_SECRET"  # signs access tokens
CURSOR_KEY = "YINFA_CURSOR_SECRET"  # signs list and feed cursors
TRANSFER_KEY = "YINFA_TRANSFER_KEY"  # the city's signing and decryption keys (city packages)
DEMO_MODE = "YINFA_DEMO_MODE"

PURPOSES = {
    ID_SECRET: "the key of the hash that turns an ID number into a volunteer id",
    MASTER_KEY: "the master key that wraps each person's data key",
    TOKEN_KEY: "the key that signs access tokens",
    CURSOR_KEY: "the key that signs list and feed cursors",
}
# secrets a process needs only for some work, checked when it is asked for: a deployment
# that does not do that work sets none (a city that exchanges no transfer packages)
WHEN_USED = {
    TRANSFER_KEY: "the city's transfer key (`yinfa transfer-keys` makes one): it signs the "
                  "transfer packages this city sends and opens those sent to it",
}
MIN_BYTES = 32

# values that were ever shipped as defaults or placeholders: public, so never a secret
RETIRED_DEFAULTS = frozenset({
    "yinfa-demo-secret-change-me", "yinfa-gateway-demo-secret-change-me-0123456789",
    "yinfa-dev-only-change-me", "yinfa-dev-only-gateway-secret-0123456789",
    "CHANGE-ME-id-secret", "CHANGE-ME-gateway-token-secret",
})
PLACEHOLDER_WORDS = ("change-me", "changeme", "placeholder", "example", "secret-here")


class SecretMissing(RuntimeError):
    """A secret is unset, too short or a known value; the message names the variable."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name} {problem}: set it to {MIN_BYTES} or more random bytes "
                         f"(e.g. `openssl rand -base64 48`); it is "
                         f"{PURPOSES.get(name) or WHEN_USED[name]}")
        self.name = name


def demo_mode(env: Mapping[str, str] | None = None) -> bool:
    return (settings().secrets if env is None else env).get(DEMO_MODE, "") == "1"


def demo_value(name: str) -> str:
    """The demo's value of a secret: the same on every laptop, so worthless anywhere else."""
    return base64.b64encode(hashlib.sha256(f"yinfa-demo-only:{name}".encode()).digest() * 2
                            ).decode()


def secret_text(name: str, env: Mapping[str, str] | None = None) -> str:
    """The secret as set (or the demo value in demo mode), refused when unusable."""
    env = settings().secrets if env is None else env
    value = env.get(name, "").strip()
    if not value:
        if demo_mode(env):
            return demo_value(name)
        raise SecretMissing(name, "is not set")
    if value in RETIRED_DEFAULTS or any(word in value.lower() for word in PLACEHOLDER_WORDS):
        raise SecretMissing(name, "is a known placeholder")
    if value == demo_value(name) and not demo_mode(env):
        raise SecretMissing(name, "is the public demo value")
    material = key_material(value)
    if len(material) < MIN_BYTES or len(set(material)) < MIN_BYTES // 2:
        raise SecretMissing(name, f"is shorter or plainer than {MIN_BYTES} random bytes")
    return value


def require(names: Iterable[str], env: Mapping[str, str] | None = None) -> None:
    """Raise `SecretMissing` for the first of `names` that is not usable."""
    for name in names:
        secret_text(name, env)


def key_material(value: str) -> bytes:
    """Hex or base64 text of at least MIN_BYTES decodes to its bytes; any other text is
    taken as UTF-8."""
    for decode in (_hex, _base64):
        material = decode(value)
        if material is not None and len(material) >= MIN_BYTES:
            return material
    return value.encode()


def _hex(value: str) -> bytes | None:
    if len(value) % 2 or any(c not in "0123456789abcdefABCDEF" for c in value):
        return None
    return bytes.fromhex(value)


def _base64(value: str) -> bytes | None:
    try:
        return base64.b64decode(value.replace("-", "+").replace("_", "/") + "=" * (-len(value) % 4),
                                validate=True)
    except (binascii.Error, ValueError):
        return None
