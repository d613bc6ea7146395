"""The feeds service: one public log of the platform's events, for partner agencies.

It takes every event of volunteers, branches and activities through the kernel's one
consumption path (`every_event_of` + an inbox per source: each event once, in order per
stream, gaps healed from the source) and appends the public ones, in their public form
(contracts/feeds/public.py), to its own log: the store's gapless global position is the
entry's place, so a partner resumes from any position. Partners read it by HTTP through
the gateway (`read_feed`, redacted by their profile; the gateway long-polls) or
bind a queue to the partners' exchange (partners_exchange.py). Every read is written to
the audit log.
"""
from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, ValidationError
from nameko.timer import timer

from contracts.feeds.profiles import PROFILE_NAME, PartnerBody, ProfileBody
from contracts.feeds.public import SOURCES, build_registry
from services.feeds import dependencies as documents, queries
from services.feeds.handlers import PublicLogWrites, wanted
from services.feeds.imports import jobs
from services.feeds.imports.engine import ImportBook
from services.feeds.partners_exchange import PartnersExchange
from services.feeds.views import VIEWS
from yinfa.config import load_settings
from yinfa.errors import ValidationFailed
from yinfa.messaging.inbox import Inbox, InboxLayout
from yinfa.messaging.relay import OutboxRelay
from yinfa.secrets import MASTER_KEY
from yinfa.service.base import EventSourcedService
from yinfa.service.dependencies import EventSourcedStreams, EventSourcing, InboxProvider
from yinfa.service.rpc import rpc
from yinfa.service.secrets import RequiredSecrets
from yinfa.service.subscriptions import every_event_of

MAX_LIMIT = 1000


def _inbox_of(source: str) -> InboxProvider:
    """Cursors are per stream (no two sources share a stream name); parked events are kept
    per source, so a sweep heals each gap from the service that wrote it."""
    return InboxProvider(layout=InboxLayout(parked=f"inbox_parked_{source}"), source=source)


def _loaded(schema: type[Schema], body: Any) -> dict[str, Any]:
    try:
        return schema().load(body)
    except ValidationError as error:
        raise ValidationFailed(error.messages, "invalid body") from None  # type: ignore[arg-type]


class FeedsService(EventSourcedService):
    name = "feeds"

    streams: EventSourcedStreams = EventSourcing(build_registry(), VIEWS, relay=False)
    partners_exchange: OutboxRelay = PartnersExchange(names=documents.names_from_volunteers)
    volunteers_inbox: Inbox = _inbox_of("volunteers")
    branches_inbox: Inbox = _inbox_of("branches")
    activities_inbox: Inbox = _inbox_of("activities")
    names: documents.Names = documents.VolunteerNames()
    calls = documents.ServiceCalls()
    secrets = RequiredSecrets(MASTER_KEY)  # uploaded files are kept sealed (imports/jobs.py)

    # ---- consuming: the public events of each source into the one log -----------------

    @every_event_of("volunteers")
    def on_volunteers_event(self, payloads: list[Any]) -> list[str]:
        return self._take(self.volunteers_inbox, payloads)

    @every_event_of("branches")
    def on_branches_event(self, payloads: list[Any]) -> list[str]:
        return self._take(self.branches_inbox, payloads)

    @every_event_of("activities")
    def on_activities_event(self, payloads: list[Any]) -> list[str]:
        return self._take(self.activities_inbox, payloads)

    @timer(interval=5)
    def sweep_parked_events(self) -> None:
        for inbox in (self.volunteers_inbox, self.branches_inbox, self.activities_inbox):
            writes = PublicLogWrites(self.streams)
            inbox.sweep(writes.add, wanted, writes.flush)

    def _take(self, inbox: Inbox, payloads: list[Any]) -> list[str]:
        writes = PublicLogWrites(self.streams)
        return inbox.handle(payloads, writes.add, wanted, writes.flush)

    # ---- reading -------------------------------------------------------------------------

    @rpc
    def read_feed(self, partner: str, profile: str, after: int = 0, limit: int = 100,
                  asked_after: int | None = None, scanned_before: int = 0,
                  last_call: bool = True) -> dict[str, Any]:
        """Entries after `after` that the partner's profile admits, at once (a long poll
        is the gateway's calls again: a call never holds a worker waiting). NotFound
        unless the partner is bound to the profile. A long poll of several calls is one
        read in the audit log, from `asked_after`, with every call's entries looked at:
        written by the call that hands out entries or by the `last_call`."""
        db = self.streams.views
        shown = documents.profile_of_partner(db, str(partner), str(profile))
        after, limit = max(0, int(after)), max(1, min(int(limit), MAX_LIMIT))
        answer = queries.read_feed(self.streams.store, shown, after, limit, self.names)
        scanned = int(scanned_before) + answer["scanned"]
        if answer["events"] or last_call:
            documents.log_read(db, partner, profile, after if asked_after is None else
                               int(asked_after), answer["last"], len(answer["events"]),
                               scanned)
        return {**answer, "scanned": scanned}

    @rpc
    def health(self) -> dict[str, Any]:
        """The kernel's, with the partners' exchange relay's lag and each inbox's counts."""
        health = super().health()
        health["partners_exchange"] = self.partners_exchange.lag()
        health["inbox"] = {source: dict(getattr(self, f"{source}_inbox").counts)
                           for source in SOURCES}
        return health

    @rpc
    def head(self) -> int:
        return self.streams.store.head_position()

    # ---- profiles, partners, the audit log (ops) -----------------------------------------

    @rpc
    def put_profile(self, profile: str, body: dict[str, Any]) -> dict[str, Any]:
        """`profile` names routing keys too (`<profile>.<type>`): a-z, digits and '-'."""
        if not re.fullmatch(PROFILE_NAME, str(profile)):
            raise ValidationFailed({"profile": ["2-40 of a-z, 0-9 and '-', a letter first."]},
                                   "invalid profile name")
        return documents.put_profile(self.streams.views, str(profile), _loaded(ProfileBody, body))

    @rpc
    def list_profiles(self) -> list[dict[str, Any]]:
        return documents.profiles(self.streams.views)

    @rpc
    def put_partner(self, partner: str, body: dict[str, Any]) -> dict[str, Any]:
        return documents.put_partner(self.streams.views, str(partner), _loaded(PartnerBody, body))

    @rpc
    def list_partners(self) -> list[dict[str, Any]]:
        return documents.partners(self.streams.views)

    @rpc
    def feed_reads(self, partner: str | None = None, limit: int = 50, offset: int = 0
                   ) -> dict[str, Any]:
        return documents.reads(self.streams.views, partner, max(1, min(int(limit), 200)),
                               max(0, int(offset)))

    # ---- imports of partners' files (imports/) ---------------------------------------------

    @rpc
    def create_import(self, partner: str, source: str, kind: str, file_name: str
                      ) -> dict[str, Any]:
        return jobs.create(self.streams.views, str(uuid.uuid4()), str(partner), str(source),
                           str(kind), str(file_name))

    @rpc
    def import_chunk(self, job_id: str, seq: int, data: str) -> int:
        """One piece of the file (base64), in order; the bytes received so far."""
        return jobs.add_chunk(self.streams.views, str(job_id), int(seq), str(data),
                              load_settings().import_max_bytes)

    @rpc
    def start_import(self, job_id: str) -> dict[str, Any]:
        return jobs.queue(self.streams.views, str(job_id))

    @rpc
    def get_import(self, job_id: str, partner: str | None = None) -> dict[str, Any]:
        return jobs.of_partner(self.streams.views, str(job_id), partner)

    @rpc
    def list_imports(self, partner: str | None = None, limit: int = 50, offset: int = 0
                     ) -> dict[str, Any]:
        return ImportBook(self.streams.views).listed(partner, max(1, min(int(limit), 200)),
                                                   max(0, int(offset)))

    @rpc
    def import_report(self, job_id: str, after_line: int = 0, limit: int = 1000,
                      partner: str | None = None) -> list[dict[str, Any]]:
        jobs.of_partner(self.streams.views, str(job_id), partner)
        return ImportBook(self.streams.views).report_lines(
            str(job_id), int(after_line), max(1, min(int(limit), 5000)))

    @timer(interval=1)
    def run_imports(self) -> None:
        """Run the queued jobs, one after another (and one a killed process left)."""
        while jobs.run_next(self.streams.views, self.calls,
                            load_settings().import_max_bytes) is not None:
            pass

    @timer(interval=300)
    def drop_unfinished_uploads(self) -> int:
        return jobs.drop_unfinished(self.streams.views, datetime.now(UTC))
