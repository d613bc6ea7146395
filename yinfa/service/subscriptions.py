"""Subscribing to another service's events.

A consumer takes *every* event of a source service through one queue (routing key `#`)
and ignores the types it does not need. Binding per type would leave holes in each
stream's versions (the types not subscribed), and the inbox, which applies a stream's
versions strictly in order, would wait for them forever. One queue also keeps the
source's publish order across types.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nameko.events import event_handler


def every_event_of(source_service: str) -> Callable[[Callable[..., Any]], Any]:
    return event_handler(source_service, "#", requeue_on_error=True)
