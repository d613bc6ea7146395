"""The partners' exchange (`partners.feed`, a topic exchange apart from every internal
`<service>.events`): the public log published as one persistent message per entry and
profile, redacted by that profile, routing key `<profile>.<EventType>`. A partner binds
its own queue to `<its profile>.#` or to the types it wants (`<profile>.HoursRecorded`).

The publishing is the kernel's outbox relay over the public log (checkpoint moved only
after the broker confirms, a lease so one instance publishes, in position order); only
the messages differ. A message no partner queue takes is dropped by the broker: the log
stays, and a partner catches up over HTTP from the position in the message's headers.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import amqp
from nameko.extensions import DependencyProvider

from contracts.feeds.profiles import named_volunteers, redact
from services.feeds.dependencies import Names, known_names, profiles
from services.feeds.domain.entries import entry_of
from yinfa.config import load_settings
from yinfa.events.envelope import RecordedEvent
from yinfa.messaging.relay import ConfirmingPublisher, OutboxRelay

log = logging.getLogger(__name__)

PARTNERS_EXCHANGE = "partners.feed"
IDLE_SECONDS = 0.1


def partner_messages(events: list[RecordedEvent], known_profiles: list[dict[str, Any]],
                     names: Names) -> list[tuple[amqp.Message, str]]:
    entries = [entry_of(event) for event in events]
    messages = []
    for profile in known_profiles:
        wanted = named_volunteers(entries, profile)
        given = known_names(names(wanted), wanted) if wanted else {}
        for entry in entries:
            shown = redact(entry, profile, given)
            if shown is not None:
                messages.append((_message(profile["profile"], shown),
                                 f"{profile['profile']}.{entry['type']}"))
    return messages


def _message(profile: str, entry: dict[str, Any]) -> amqp.Message:
    return amqp.Message(
        json.dumps(entry, ensure_ascii=False), content_type="application/json",
        content_encoding="utf-8", delivery_mode=2, message_id=f"{profile}:{entry['event_id']}",
        application_headers={"yinfa.schema_version": entry["schema_version"],
                             "yinfa.position": entry["position"], "yinfa.profile": profile})


class PartnerPublisher(ConfirmingPublisher):
    def __init__(self, amqp_uri: str, known_profiles: Callable[[], list[dict[str, Any]]],
                 names: Names) -> None:
        super().__init__(amqp_uri, PARTNERS_EXCHANGE)
        self.known_profiles = known_profiles
        self.names = names

    def messages(self, events: list[RecordedEvent]) -> list[tuple[amqp.Message, str]]:
        return partner_messages(events, self.known_profiles(), self.names)


class PartnerRelay(OutboxRelay):
    def __init__(self, provider: Any, amqp_uri: str, names: Names) -> None:
        super().__init__(provider.store, amqp_uri, "feeds", queues=[],
                         batch_size=load_settings().relay_batch_size)
        self.exchange = PARTNERS_EXCHANGE  # its checkpoint and lease are this exchange's
        self.names = names

    def _publisher_for(self) -> ConfirmingPublisher:
        if self._publisher is None:
            self._publisher = PartnerPublisher(self.amqp_uri, lambda: profiles(self.db),
                                               self.names)
        return self._publisher


class PartnersExchange(DependencyProvider):
    """Runs the partner relay beside the service, on the public log of `log_attr`."""

    def __init__(self, log_attr: str = "streams", names: Callable[[dict], Names] | None = None
                 ) -> None:
        self.log_attr = log_attr
        self.names_for = names

    def setup(self) -> None:
        log_provider = next(d for d in self.container.dependencies
                            if d.attr_name == self.log_attr)
        self.log_provider = log_provider
        self._running = False

    def start(self) -> None:
        """Every provider is set up by now: the log's store exists."""
        names = self.names_for(self.container.config) if self.names_for else (lambda ids: {})
        self.relay = PartnerRelay(self.log_provider, self.container.config["AMQP_URI"], names)
        # the log's own relay (to feeds.events) is off: its health and lag metrics are
        # this one's, the partners' exchange's
        self.log_provider.relay = self.relay
        self._running = True
        self.container.spawn_managed_thread(self._loop, identifier="partners-relay")

    def stop(self) -> None:
        self._running = False

    def kill(self) -> None:
        self.stop()

    def _loop(self) -> None:
        import eventlet

        while self._running:
            try:
                published = self.relay.run_once()
            except Exception:
                log.exception("partners relay step failed; retrying")
                published = 0
                eventlet.sleep(1.0)
            if not published:
                eventlet.sleep(IDLE_SECONDS)
        self.relay.reset_connection()
        self.relay.release_lease()

    def get_dependency(self, worker_ctx: Any) -> OutboxRelay:
        return self.relay
