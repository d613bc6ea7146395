"""The few RabbitMQ management API calls the operations commands need.

Where the API is: `YINFA_RABBIT_API`, else `RABBIT_CTL_URI`, else port 15672 on
`AMQP_URI`'s host with its credentials (`http://user:pass@host:15672`). The vhost is
`AMQP_URI`'s.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import requests

from yinfa import config
from yinfa.config import Settings

TIMEOUT = 5.0


class ManagementApiError(RuntimeError):
    pass


def api_uri(settings: Settings | None = None) -> str:
    settings = settings or config.settings()
    explicit = settings.rabbit_api or settings.rabbit_ctl_uri
    if explicit:
        return explicit.rstrip("/")
    parts = urlsplit(settings.amqp_uri)
    user, password = parts.username or "guest", parts.password or "guest"
    return f"http://{user}:{password}@{parts.hostname or '127.0.0.1'}:15672"


def vhost_of(amqp_uri: str) -> str:
    path = urlsplit(amqp_uri).path
    return unquote(path[1:]) if len(path) > 1 else "/"


@dataclass(frozen=True)
class QueueInfo:
    name: str
    consumers: int
    ready: int
    unacked: int

    @property
    def depth(self) -> int:
        return self.ready + self.unacked


class ManagementApi:
    def __init__(self, uri: str, vhost: str = "/", timeout: float = TIMEOUT) -> None:
        parts = urlsplit(uri)
        self.base = urlunsplit(parts._replace(
            netloc=f"{parts.hostname}:{parts.port or 15672}")).rstrip("/")
        self.auth = (unquote(parts.username or "guest"), unquote(parts.password or "guest"))
        self.vhost = vhost
        self.timeout = timeout

    @classmethod
    def from_env(cls, settings: Settings | None = None) -> ManagementApi:
        settings = settings or config.settings()
        return cls(api_uri(settings), vhost_of(settings.amqp_uri))

    def _get(self, path: str) -> Any:
        url = f"{self.base}/api/{path}"
        try:
            response = requests.get(url, auth=self.auth, timeout=self.timeout)
        except requests.RequestException as error:
            raise ManagementApiError(f"RabbitMQ management API at {self.base}: {error}") from error
        if response.status_code != 200:
            raise ManagementApiError(
                f"RabbitMQ management API {path}: HTTP {response.status_code} {response.text[:200]}"
            )
        return response.json()

    def _send(self, method: str, path: str, body: dict[str, Any] | None = None) -> None:
        url = f"{self.base}/api/{path}"
        try:
            response = requests.request(method, url, json=body, auth=self.auth,
                                        timeout=self.timeout)
        except requests.RequestException as error:
            raise ManagementApiError(f"RabbitMQ management API at {self.base}: {error}") from error
        if response.status_code not in (200, 201, 204):
            raise ManagementApiError(
                f"RabbitMQ management API {method} {path}: HTTP {response.status_code} "
                f"{response.text[:200]}")

    def put_user(self, name: str, password: str) -> None:
        """Creates the user, or sets a new password on it; no tags: no management access."""
        self._send("PUT", f"users/{quote(name, safe='')}", {"password": password, "tags": ""})

    def delete_user(self, name: str) -> None:
        self._send("DELETE", f"users/{quote(name, safe='')}")

    def put_permissions(self, user: str, configure: str, write: str, read: str) -> None:
        self._send("PUT", f"permissions/{quote(self.vhost, safe='')}/{quote(user, safe='')}",
                   {"configure": configure, "write": write, "read": read})

    def put_topic_permissions(self, user: str, exchange: str, write: str, read: str) -> None:
        self._send("PUT", f"topic-permissions/{quote(self.vhost, safe='')}/"
                          f"{quote(user, safe='')}",
                   {"exchange": exchange, "write": write, "read": read})

    def queues(self) -> list[QueueInfo]:
        rows = self._get(f"queues/{quote(self.vhost, safe='')}?columns=name,consumers,"
                         "messages_ready,messages_unacknowledged")
        return sorted((_queue_info(row) for row in rows), key=lambda q: q.name)

    def queue(self, name: str) -> QueueInfo:
        return _queue_info(self._get(f"queues/{quote(self.vhost, safe='')}/"
                                     f"{quote(name, safe='')}"))


def _queue_info(row: dict[str, Any]) -> QueueInfo:
    return QueueInfo(
        name=row["name"],
        consumers=int(row.get("consumers") or 0),
        ready=int(row.get("messages_ready") or 0),
        unacked=int(row.get("messages_unacknowledged") or 0),
    )


def queue_owner(queue: str) -> str | None:
    """The service a nameko or dead-letter queue belongs to, from its name:
    `rpc-<service>`, `evt-<source>-<routing key>--<service>.<method>`, `dlq.<consumer>`."""
    if queue.startswith("rpc-"):
        return queue[4:]
    if queue.startswith("dlq."):
        return queue[4:]
    if queue.startswith("evt-") and "--" in queue:
        return queue.rsplit("--", 1)[1].split(".", 1)[0]
    return None
