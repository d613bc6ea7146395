"""Handlers of the talent pool: a volunteer's talent profile, and a posted need."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contracts.volunteers.streams import need_stream, talent_stream, volunteer_stream
from services.volunteers.domain import talent
from services.volunteers.domain.volunteer import replay as fold_volunteer
from yinfa.service.dependencies import EventSourcedStreams


def record_profile(streams: EventSourcedStreams, command: talent.RecordTalentProfile) -> str:
    holder, _ = streams.load(volunteer_stream(command.volunteer_id), fold_volunteer)
    streams.execute(talent_stream(command.volunteer_id), talent.replay_profile,
                    lambda state: talent.record_profile(state, command, holder))
    return command.volunteer_id


def post_need(streams: EventSourcedStreams, command: talent.PostTalentNeed) -> str:
    streams.execute(need_stream(command.need_id), talent.replay_need,
                    lambda state: talent.post_need(state, command))
    return command.need_id


COMMAND_HANDLERS: dict[type, Callable[..., Any]] = {
    talent.RecordTalentProfile: record_profile,
    talent.PostTalentNeed: post_need,
}
