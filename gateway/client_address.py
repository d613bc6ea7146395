"""The address a request came from. `X-Forwarded-For` is believed only when the direct
peer is a proxy the operator named (`YINFA_TRUSTED_PROXIES`); anyone else could write
any address there and so escape per-address limits."""
from __future__ import annotations

from collections.abc import Collection

from werkzeug.wrappers import Request


def client_address(request: Request, trusted_proxies: Collection[str]) -> str:
    peer = request.remote_addr or "unknown"
    if peer not in trusted_proxies:
        return peer
    forwarded = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",")
                 if hop.strip()]
    # the nearest hop that is not one of our proxies is the client
    for hop in reversed(forwarded):
        if hop not in trusted_proxies:
            return hop
    return peer
