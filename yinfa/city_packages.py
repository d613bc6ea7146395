"""Packages one city's platform hands another: signed by the sender, encrypted to the
receiver, refused whole when anything about them is off.

A city holds one secret (`YINFA_TRANSFER_KEY`); its Ed25519 signing key and its X25519
decryption key are derived from it, and their public halves are what other cities put
in their trust lists (`yinfa transfer-keys`). A package is one canonical JSON text
(`canonical`: sorted keys, no spaces, ASCII):

    {"format": "yinfa.city-package", "version": 1, "package_id": ..., "kind": ...,
     "from_city": "3209", "to_city": "3206", "created_at": ..., "expires_at": ...,
     "encryption": {"alg": "X25519-HKDF-SHA256-A256GCM", "ephemeral_key": ..., "nonce": ...},
     "ciphertext": ..., "signature": {"alg": "Ed25519", "value": ...}}

The signature covers the canonical text of everything but itself; the header (everything
but the ciphertext and the signature) is the ciphertext's associated data. Since only the
canonical text is accepted, changing any byte of a package makes it either malformed or
not what was signed. Binary values are base64url without padding.
"""
from __future__ import annotations

import base64
import binascii
import json
import os
import secrets as random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from marshmallow import Schema, ValidationError, fields, validate

FORMAT = "yinfa.city-package"
VERSION = 1
ENCRYPTION = "X25519-HKDF-SHA256-A256GCM"
SIGNATURE = "Ed25519"
_RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw

# why a package was refused: each maps to one answer at the boundary
MALFORMED, TAMPERED, UNTRUSTED, NOT_FOR_US = "malformed", "tampered", "untrusted", "not_for_us"
EXPIRED, OVERSIZE, UNSUPPORTED = "expired", "oversize", "unsupported"


class PackageRefused(Exception):
    """The package is not taken; `reason` is one of the codes above."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


# ---- keys ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CityKeys:
    """A city's private keys, derived from its transfer secret."""

    signing: Ed25519PrivateKey
    decryption: X25519PrivateKey

    @classmethod
    def from_secret(cls, material: bytes) -> CityKeys:
        return cls(Ed25519PrivateKey.from_private_bytes(_derive(material, b"signing")),
                   X25519PrivateKey.from_private_bytes(_derive(material, b"encryption")))

    def public(self) -> dict[str, str]:
        """The entry other cities add to their trust lists for this city."""
        return {"signing_key": encode(self.signing.public_key().public_bytes(*_RAW)),
                "encryption_key": encode(self.decryption.public_key().public_bytes(*_RAW))}


def _derive(material: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"yinfa city transfer " + purpose + b" key v1").derive(material)


def new_secret() -> str:
    """A fresh transfer secret: 48 random bytes, base64."""
    return base64.b64encode(random.token_bytes(48)).decode()


@dataclass(frozen=True)
class TrustedCity:
    code: str
    name: str
    signing_key: Ed25519PublicKey
    encryption_key: X25519PublicKey

    @classmethod
    def of(cls, code: str, name: str, signing_key: str, encryption_key: str) -> TrustedCity:
        try:
            return cls(code, name, Ed25519PublicKey.from_public_bytes(decode(signing_key)),
                       X25519PublicKey.from_public_bytes(decode(encryption_key)))
        except (ValueError, binascii.Error) as error:
            raise ValueError(f"city {code}: a key is not 32 bytes of base64url") from error


# ---- the envelope -------------------------------------------------------------------------


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False).encode("ascii")


def encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode(text: str) -> bytes:
    """The bytes of unpadded base64url text written as `encode` writes it: another
    spelling of the same bytes (unused low bits set) is refused, so no two texts of a
    signature verify alike."""
    if not isinstance(text, str) or "=" in text:
        raise ValueError("not unpadded base64url")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if encode(raw) != text:
        raise ValueError("not the canonical base64url of its bytes")
    return raw


def seal_package(content: bytes, *, kind: str, sender: str, keys: CityKeys,
                 recipient: TrustedCity, created_at: datetime, expires_at: datetime,
                 package_id: str | None = None) -> bytes:
    """`content` signed by `keys` as city `sender` and encrypted to `recipient`."""
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(*_RAW)
    nonce = os.urandom(12)
    header = {
        "format": FORMAT, "version": VERSION, "kind": kind,
        "package_id": package_id or random.token_hex(16),
        "from_city": sender, "to_city": recipient.code,
        "created_at": _instant(created_at), "expires_at": _instant(expires_at),
        "encryption": {"alg": ENCRYPTION, "ephemeral_key": encode(ephemeral_public),
                       "nonce": encode(nonce)},
    }
    key = _content_key(ephemeral.exchange(recipient.encryption_key), ephemeral_public,
                       recipient.encryption_key.public_bytes(*_RAW))
    body = {**header,
            "ciphertext": encode(AESGCM(key).encrypt(nonce, content, canonical(header)))}
    signature = keys.signing.sign(canonical(body))
    return canonical({**body, "signature": {"alg": SIGNATURE, "value": encode(signature)}})


def _content_key(shared: bytes, ephemeral_public: bytes, recipient_public: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral_public + recipient_public,
                info=b"yinfa city package content key v1").derive(shared)


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Encryption(Schema):
    alg = fields.String(required=True, validate=validate.Equal(ENCRYPTION))
    ephemeral_key = fields.String(required=True)
    nonce = fields.String(required=True)


class _Signature(Schema):
    alg = fields.String(required=True, validate=validate.Equal(SIGNATURE))
    value = fields.String(required=True)


class EnvelopeSchema(Schema):
    """The envelope of version 1, as `open_package` validates it (unknown keys refused)."""

    format = fields.String(required=True, validate=validate.Equal(FORMAT))
    version = fields.Integer(required=True, strict=True)
    kind = fields.String(required=True, validate=validate.Length(min=1, max=60))
    package_id = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{32}$"))
    from_city = fields.String(required=True, validate=validate.Length(min=2, max=12))
    to_city = fields.String(required=True, validate=validate.Length(min=2, max=12))
    created_at = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(required=True)
    encryption = fields.Nested(_Encryption, required=True)
    ciphertext = fields.String(required=True)
    signature = fields.Nested(_Signature, required=True)


@dataclass(frozen=True)
class Opened:
    header: Mapping[str, Any]  # the envelope's fields but the ciphertext and signature
    content: bytes


def open_package(data: bytes, *, own_city: str, keys: CityKeys,
                 trust: Mapping[str, TrustedCity], now: datetime, max_bytes: int,
                 kind: str) -> Opened:
    """The content of a package for `own_city`, or `PackageRefused` naming why."""
    if len(data) > max_bytes:
        raise PackageRefused(OVERSIZE, f"the package is larger than {max_bytes} bytes")
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise PackageRefused(MALFORMED, "the package is not JSON") from None
    if not isinstance(raw, dict):
        raise PackageRefused(MALFORMED, "the package is not a JSON object")
    if raw.get("format") == FORMAT and raw.get("version") != VERSION:
        raise PackageRefused(UNSUPPORTED, f"package version {raw.get('version')!r} is not "
                                          f"supported (this platform reads {VERSION})")
    try:
        envelope = EnvelopeSchema().load(raw)
    except ValidationError as error:
        raise PackageRefused(MALFORMED, f"the package's envelope is invalid: "
                                        f"{error.normalized_messages()}") from None
    if canonical(raw) != data:
        raise PackageRefused(TAMPERED, "the package is not in the canonical form it is "
                                       "signed in: it was altered")
    sender = trust.get(envelope["from_city"])
    if sender is None:
        raise PackageRefused(UNTRUSTED, f"city {envelope['from_city']} is not in this "
                                        "platform's trust list")
    body = {name: value for name, value in raw.items() if name != "signature"}
    try:
        sender.signing_key.verify(decode(raw["signature"]["value"]), canonical(body))
    except (InvalidSignature, ValueError, binascii.Error):
        raise PackageRefused(TAMPERED, "the signature does not match: the package was "
                                       "altered or not signed by its sending city") from None
    if envelope["to_city"] != own_city:
        raise PackageRefused(NOT_FOR_US, f"the package is for city {envelope['to_city']}, "
                                         f"not this one ({own_city})")
    if envelope["kind"] != kind:
        raise PackageRefused(MALFORMED, f"the package holds {envelope['kind']!r}, "
                                        f"not {kind!r}")
    if envelope["expires_at"] <= now:
        raise PackageRefused(EXPIRED, f"the package expired at {raw['expires_at']}")
    header = {name: value for name, value in body.items() if name != "ciphertext"}
    try:
        ephemeral = decode(raw["encryption"]["ephemeral_key"])
        key = _content_key(keys.decryption.exchange(X25519PublicKey.from_public_bytes(ephemeral)),
                           ephemeral, keys.decryption.public_key().public_bytes(*_RAW))
        content = AESGCM(key).decrypt(decode(raw["encryption"]["nonce"]),
                                      decode(raw["ciphertext"]), canonical(header))
    except (InvalidTag, ValueError, binascii.Error):
        raise PackageRefused(NOT_FOR_US, "the package does not open with this city's key "
                                         "(encrypted to an older or another key)") from None
    return Opened(header, content)
