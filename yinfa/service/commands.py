"""The one way a command enters a service: loaded once by its published schema (a
`ValidationFailed` naming the fields otherwise), then handed to the handler that the
service's table names for that schema."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import Schema

from yinfa.schemas import load_command
from yinfa.service.dependencies import EventSourcedStreams

Handler = Callable[..., Any]  # (streams, command, **context) -> answer


class CommandTable:
    def __init__(self, handlers: Mapping[type[Schema], Handler]) -> None:
        self.handlers = dict(handlers)
        # a schema instance is built once: building one costs about as much as a load
        self.schemas = {schema: schema() for schema in self.handlers}

    def handle(self, streams: EventSourcedStreams, schema: type[Schema], payload: Any,
               **context: Any) -> Any:
        command = load_command(self.schemas[schema], payload)
        return self.handlers[schema](streams, command, **context)
