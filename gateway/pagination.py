"""Opaque cursors for every list: an offset bound to the filters it was made for, signed.

A client hands back `next` unchanged; a tampered cursor, or one used with other
filters, is a 400, not a wrong page.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from gateway.problem import bad_request

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _fingerprint(filters: Mapping[str, Any]) -> str:
    canonical = json.dumps({k: v for k, v in filters.items() if v is not None},
                           sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _sign(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()[:16]


def encode_cursor(secret: str, offset: int, filters: Mapping[str, Any]) -> str:
    payload = json.dumps({"o": offset, "f": _fingerprint(filters)}).encode()
    token = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{token}.{_sign(secret, payload)}"


def decode_cursor(secret: str, cursor: str | None, filters: Mapping[str, Any]) -> int:
    """The offset a cursor stands for (0 without one)."""
    if not cursor:
        return 0
    try:
        token, signature = cursor.split(".", 1)
        payload = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        fields = json.loads(payload)
        offset = int(fields["o"])
        matches = fields["f"] == _fingerprint(filters)
    except (ValueError, KeyError, TypeError):
        raise bad_request("The cursor is not one this API issued.",
                          {"cursor": ["Invalid cursor."]}) from None
    if not hmac.compare_digest(signature, _sign(secret, payload)) or offset < 0:
        raise bad_request("The cursor is not one this API issued.",
                          {"cursor": ["Invalid cursor."]})
    if not matches:
        raise bad_request("The cursor belongs to other filters.",
                          {"cursor": ["Cursor does not match the filters."]})
    return offset


def page(secret: str, items: list[Any], total: int, offset: int, limit: int,
         filters: Mapping[str, Any]) -> dict[str, Any]:
    """The list answer: items, the total, and the cursor of the next page (or null)."""
    end = offset + len(items)
    following = encode_cursor(secret, end, filters) if end < total and items else None
    return {"items": items, "total": total, "next": following, "limit": limit}


def slice_page(secret: str, everything: list[Any], offset: int, limit: int,
               filters: Mapping[str, Any]) -> dict[str, Any]:
    """Paginate a list a service answers whole."""
    return page(secret, everything[offset:offset + limit], len(everything), offset, limit,
                filters)
