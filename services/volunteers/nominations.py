"""Handlers of model-volunteer nominations: the campaign stream decides, with the nominee's
record read from their own stream; the deeds are sealed before the nomination is recorded
(a retry finds them; never a recorded nomination whose deeds are gone)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from contracts.volunteers.recognition import load_recognition_catalog
from contracts.volunteers.streams import campaign_stream, volunteer_stream
from services.volunteers import deeds
from services.volunteers.domain import nomination
from services.volunteers.domain.volunteer import replay as fold_volunteer
from yinfa.city_time import local_day
from yinfa.reference import load_city
from yinfa.service.dependencies import EventSourcedStreams


def _today() -> date:
    return local_day(datetime.now(UTC), load_city().zone)


def nominate(streams: EventSourcedStreams, command: nomination.NominateVolunteer) -> str:
    title = load_recognition_catalog().titles[command.title]

    def decide(state: nomination.Campaign | None) -> list:
        # read again on each try: a retry after a conflict sees the record as it is then
        nominee, _ = streams.load(volunteer_stream(command.volunteer_id), fold_volunteer)
        decided = nomination.nominate(state, command, nominee, title, _today())
        deeds.keep(streams.views, command.nomination_id, command.volunteer_id, command.deeds)
        return decided

    streams.execute(campaign_stream(command.title, command.year), nomination.replay, decide)
    return command.nomination_id


def review(streams: EventSourcedStreams, command: nomination.ReviewNomination) -> str:
    streams.execute(campaign_stream(command.title, command.year), nomination.replay,
                    lambda state: nomination.review(state, command))
    return command.nomination_id


def announce(streams: EventSourcedStreams, command: nomination.AnnounceTitles) -> str:
    stream = campaign_stream(command.title, command.year)
    streams.execute(stream, nomination.replay,
                    lambda state: nomination.announce(state, command, _today()))
    return stream


COMMAND_HANDLERS: dict[type, Callable[..., Any]] = {
    nomination.NominateVolunteer: nominate,
    nomination.ReviewNomination: review,
    nomination.AnnounceTitles: announce,
}
