"""A broker vhost of one's own (the demo's): its queues and RPC replies are apart from any
other run on the same broker, and gone with it."""
from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit

import requests

TIMEOUT = 10.0


def in_vhost(amqp_uri: str, vhost: str) -> str:
    parts = urlsplit(amqp_uri)
    return urlunsplit(parts._replace(path="/" + quote(vhost, safe="")))


def has_own_vhost(amqp_uri: str) -> bool:
    return urlsplit(amqp_uri).path not in ("", "/")


def _api(management_uri: str) -> tuple[str, tuple[str, str]]:
    parts = urlsplit(management_uri)
    base = urlunsplit(parts._replace(netloc=f"{parts.hostname}:{parts.port or 15672}"))
    return base.rstrip("/") + "/api", (parts.username or "guest", parts.password or "guest")


def create_vhost(management_uri: str, vhost: str, user: str) -> None:
    api, auth = _api(management_uri)
    name = quote(vhost, safe="")
    requests.put(f"{api}/vhosts/{name}", auth=auth, timeout=TIMEOUT).raise_for_status()
    requests.put(f"{api}/permissions/{name}/{quote(user, safe='')}", auth=auth,
                 json={"configure": ".*", "write": ".*", "read": ".*"},
                 timeout=TIMEOUT).raise_for_status()


def delete_vhost(management_uri: str, vhost: str) -> None:
    api, auth = _api(management_uri)
    requests.delete(f"{api}/vhosts/{quote(vhost, safe='')}", auth=auth, timeout=TIMEOUT)
