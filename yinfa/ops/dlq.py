"""`yinfa dlq list|show|retry|discard`: look into and empty the dead-letter queues.

Layout (see `yinfa.messaging.dead_letters`): one durable queue `dlq.<consumer>` per
consumer on the direct exchange `yinfa.dead-letters`, each message with the headers
`x-reason`, `x-consumer`, `x-dead-lettered-at` and, when known, `x-original-queue`.

A message is named by its event id (the body's `event_id`) or, for a body that is no
event, by `sha1:<first 12 hex digits of the body's hash>`.

Reading never loses a message: messages are taken unacknowledged on one channel, and
every one not explicitly acknowledged goes back to the queue, in its order, when the
channel closes. `retry` publishes a message to its original queue (through the default
exchange, persistent, confirmed) before acknowledging it, a stream's events in their
versions' order; the consumer's inbox applies an event it had dead-lettered when it comes
back (see `yinfa.messaging.inbox`).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import kombu

from yinfa.messaging.dead_letters import dead_letter_queue

DEAD_LETTER_HEADERS = ("x-reason", "x-consumer", "x-dead-lettered-at", "x-original-queue")


class DlqError(RuntimeError):
    pass


@dataclass(frozen=True)
class DeadLetter:
    id: str
    reason: str
    dead_lettered_at: str
    original_queue: str | None
    headers: dict[str, Any]
    body: bytes

    @property
    def payload(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return self.body.decode("utf-8", "replace")

    @property
    def event_type(self) -> str:
        payload = self.payload
        return str(payload.get("type", "?")) if isinstance(payload, dict) else "?"

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.event_type, "reason": self.reason,
                "dead_lettered_at": self.dead_lettered_at,
                "original_queue": self.original_queue, "payload": self.payload}


def message_id(body: bytes) -> str:
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("event_id"), str):
        return payload["event_id"]
    return "sha1:" + hashlib.sha1(body).hexdigest()[:12]


def _dead_letter(message: Any) -> DeadLetter:
    body = message.body if isinstance(message.body, bytes) else str(message.body).encode()
    headers = dict(message.headers or {})
    return DeadLetter(
        id=message_id(body),
        reason=str(headers.get("x-reason", "")),
        dead_lettered_at=str(headers.get("x-dead-lettered-at", "")),
        original_queue=headers.get("x-original-queue") or None,
        headers=headers,
        body=body,
    )


# Decides, per message, where a retried one goes: its queue name, or None (left alone).
Target = Callable[[DeadLetter], str | None]


class DeadLetterQueues:
    def __init__(self, amqp_uri: str) -> None:
        self.amqp_uri = amqp_uri

    @contextmanager
    def _taken(self, consumer: str) -> Iterator[tuple[Any, Iterator[tuple[Any, DeadLetter]]]]:
        """Yield (producer, messages) on one channel; whatever is not acked returns to the
        queue when the channel closes. Each message is taken once per pass."""
        with kombu.Connection(self.amqp_uri, connect_timeout=10,
                              transport_options={"confirm_publish": True}) as connection:
            channel = connection.channel()
            queue = dead_letter_queue(consumer)(channel)
            try:
                waiting = queue.queue_declare(passive=True).message_count
            except Exception as error:  # noqa: BLE001 - amqp's NotFound and friends
                raise DlqError(f"no dead-letter queue dlq.{consumer}: {error}") from error

            def messages() -> Iterator[tuple[Any, DeadLetter]]:
                for _ in range(waiting):
                    message = queue.get(no_ack=False, accept=None)
                    if message is None:
                        return
                    yield message, _dead_letter(message)

            try:
                yield kombu.Producer(channel), messages()
            finally:
                channel.close()  # unacked messages go back to the queue

    def counts(self, consumers: Sequence[str]) -> dict[str, int]:
        """Messages waiting per dead-letter queue, as the broker counts them right now
        (the management API's figures can be seconds old)."""
        found: dict[str, int] = {}
        with kombu.Connection(self.amqp_uri, connect_timeout=10) as connection:
            for consumer in consumers:
                channel = connection.channel()
                try:
                    declared = dead_letter_queue(consumer)(channel).queue_declare(passive=True)
                    found[consumer] = declared.message_count
                except Exception:  # noqa: BLE001 - deleted meanwhile: not listed
                    pass
                finally:
                    try:
                        channel.close()
                    except Exception:  # noqa: BLE001 - a failed passive declare closed it
                        pass
        return found

    def show(self, consumer: str, limit: int | None = None) -> list[DeadLetter]:
        found: list[DeadLetter] = []
        with self._taken(consumer) as (_, messages):
            for _, letter in messages:
                found.append(letter)
                if limit is not None and len(found) >= limit:
                    break
        return found

    def discard(self, consumer: str, ids: Sequence[str] | None) -> list[str]:
        """Acknowledge (delete) the named messages, or all when `ids` is None."""
        wanted = None if ids is None else set(ids)
        removed: list[str] = []
        with self._taken(consumer) as (_, messages):
            for message, letter in messages:
                if wanted is None or letter.id in wanted:
                    message.ack()
                    removed.append(letter.id)
        return removed

    def retry(self, consumer: str, ids: Sequence[str] | None, target: Target
              ) -> tuple[list[str], list[str]]:
        """Send the named messages (all when `ids` is None) back to their queue; returns
        (retried ids, ids left in the dead-letter queue because no queue is known)."""
        wanted = None if ids is None else set(ids)
        retried: list[str] = []
        left: list[str] = []
        with self._taken(consumer) as (producer, messages):
            chosen = in_stream_order([(message, letter) for message, letter in messages
                                      if wanted is None or letter.id in wanted])
            for message, letter in chosen:
                queue = target(letter)
                if queue is None:
                    left.append(letter.id)
                    continue
                headers = {k: v for k, v in letter.headers.items()
                           if k not in DEAD_LETTER_HEADERS}
                headers["x-retried-from"] = f"dlq.{consumer}"
                producer.publish(
                    letter.body, exchange="", routing_key=queue, delivery_mode=2,
                    content_type=message.content_type or "application/json",
                    content_encoding=message.content_encoding or "utf-8",
                    headers=headers, retry=True,
                )  # confirmed (confirm_publish) before the ack below
                message.ack()
                retried.append(letter.id)
        return retried, left


def in_stream_order(taken: list[tuple[Any, DeadLetter]]) -> list[tuple[Any, DeadLetter]]:
    """Events of one stream go back in their versions' order, whatever order they were
    dead-lettered in, so the consumer applies them as their stream had them; the other
    messages keep their places."""
    places: dict[str, list[int]] = {}  # stream -> where its events are in `taken`
    versions: dict[int, int] = {}
    for k, (_, letter) in enumerate(taken):
        payload = letter.payload
        if isinstance(payload, dict) and isinstance(payload.get("version"), int):
            places.setdefault(str(payload.get("stream_id")), []).append(k)
            versions[k] = payload["version"]
    ordered = list(taken)
    for found in places.values():
        for place, k in zip(found, sorted(found, key=versions.__getitem__), strict=True):
            ordered[place] = taken[k]
    return ordered


def retry_target(consumer: str, queue_names: Sequence[str], override: str | None = None
                 ) -> Target:
    """Where a retried message goes: `--queue` if given, else the queue it came from,
    else the consumer's only event queue (with several, that message is left alone)."""
    own = [q for q in queue_names if q.startswith("evt-") and f"--{consumer}." in q]

    def target(letter: DeadLetter) -> str | None:
        if override:
            return override
        if letter.original_queue:
            return letter.original_queue
        return own[0] if len(own) == 1 else None

    return target


def consumers_with_dead_letters(queue_names: Sequence[str]) -> list[str]:
    return sorted(q[4:] for q in queue_names if q.startswith("dlq."))
