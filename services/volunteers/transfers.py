"""Handlers of a volunteer's transfer between counties: each decision on the volunteer's
own stream (transfer.py decides), so two bureaus deciding at once conflict there and the
second finds the transfer decided."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from contracts.volunteers.streams import volunteer_stream
from services.volunteers.domain import commands, transfer
from services.volunteers.domain.volunteer import replay as fold_volunteer
from yinfa.service.dependencies import EventSourcedStreams


def _on_volunteer(decide: Callable[..., list], streams: EventSourcedStreams,
                  command: Any) -> str:
    streams.execute(volunteer_stream(command.volunteer_id), fold_volunteer,
                    lambda state: decide(state, command))
    return command.transfer_id


def release(streams: EventSourcedStreams, command: commands.ReleaseTransfer) -> str:
    """Released now: the volunteer belongs to the receiving county from this instant."""
    dated = replace(command, released_at=datetime.now(UTC).isoformat())
    return _on_volunteer(transfer.release, streams, dated)


COMMAND_HANDLERS = {
    commands.RequestTransfer: partial(_on_volunteer, transfer.request),
    commands.AcceptTransfer: partial(_on_volunteer, transfer.accept),
    commands.DeclineTransfer: partial(_on_volunteer, transfer.decline),
    commands.ReleaseTransfer: release,
    commands.CancelTransfer: partial(_on_volunteer, transfer.cancel),
}
