"""This city's transfer keys and the cities it trusts (its trust list).

The trust list is reference data (`reference/transfer_trust.yaml`, or the file
`YINFA_TRANSFER_TRUST` names): each trusted city's code, name and public keys, as that
city's `yinfa transfer-keys --public` printed them. A city not on the list can neither
send a package here nor be sent one.
"""
from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from marshmallow import Schema, fields, validate

from yinfa.city_packages import CityKeys, TrustedCity
from yinfa.config import settings
from yinfa.reference import entries, validated
from yinfa.secrets import TRANSFER_KEY, key_material, secret_text

TRUST_FILE = "transfer_trust.yaml"
KEY = validate.Regexp(r"^[A-Za-z0-9_-]{43}$", error="Not a 32-byte key in base64url.")


@lru_cache(maxsize=4)
def _keys_of(secret: str) -> CityKeys:
    return CityKeys.from_secret(key_material(secret))


def own_keys() -> CityKeys:
    """This city's keys; `SecretMissing` (naming YINFA_TRANSFER_KEY) without a usable one."""
    return _keys_of(secret_text(TRANSFER_KEY))


class TrustedCityEntry(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{4}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=40))
    signing_key = fields.String(required=True, validate=KEY)
    encryption_key = fields.String(required=True, validate=KEY)


class TrustFileSchema(Schema):
    cities = entries(TrustedCityEntry, min_count=0)


def trust_file() -> Path:
    chosen = settings().transfer_trust
    return chosen if chosen is not None else settings().reference_dir / TRUST_FILE


def load_trust(path: Path | None = None) -> Mapping[str, TrustedCity]:
    """The trusted cities by code; none when the file is missing."""
    chosen = path or trust_file()
    if not chosen.exists():
        return MappingProxyType({})
    return _load(chosen.resolve(), chosen.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _load(path: Path, _modified: int) -> Mapping[str, TrustedCity]:
    raw = validated(path, TrustFileSchema())
    return MappingProxyType({row["code"]: TrustedCity.of(**row) for row in raw["cities"]})
