"""The one way a command enters a service: its published marshmallow schema validates the
payload once (a `ValidationFailed` naming the fields otherwise) and the result becomes the
command object, a frozen dataclass of the service's domain; the service's table then
hands the object to the handler of its type.

A command type is loaded by the schema of the same name in the service's published
commands module; a type `T` may build itself from the loaded dict with `T.loaded(data)`,
else it is built by `build` from its fields' types.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any, TypeVar

from marshmallow import Schema

from yinfa.schemas import load_command
from yinfa.service.dependencies import EventSourcedStreams
from yinfa.service.rpc import rpc

Handler = Callable[..., Any]  # (streams, command, **context) -> answer
Answer = Callable[[Any, Any], Any]  # (service, what the handler returned) -> the reply
_HINTS: dict[type, dict[str, Any]] = {}  # each command type's fields' types, read once
C = TypeVar("C")


class CommandTable:
    def __init__(self, published: ModuleType, handlers: Mapping[type, Handler]) -> None:
        self.handlers = dict(handlers)
        self.published = published
        self._schemas: dict[type, Schema] = {}
        for command_type in self.handlers:
            self.schema_of(command_type)  # a type without a published schema fails here

    def schema_of(self, command_type: type) -> Schema:
        # a schema instance is built once: building one costs about as much as a load
        if command_type not in self._schemas:
            schema = getattr(self.published, command_type.__name__, None)
            if not (isinstance(schema, type) and issubclass(schema, Schema)):
                raise LookupError(f"{self.published.__name__} publishes no schema "
                                  f"{command_type.__name__}")
            self._schemas[command_type] = schema()
        return self._schemas[command_type]

    def load(self, command_type: type[C], payload: Any) -> C:
        data = load_command(self.schema_of(command_type), payload)
        loaded = getattr(command_type, "loaded", None)
        return loaded(data) if loaded is not None else build(command_type, data)

    def handle(self, streams: EventSourcedStreams, command_type: type, payload: Any,
               **context: Any) -> Any:
        return self.handlers[command_type](streams, self.load(command_type, payload),
                                           **context)

    def entrypoint(self, command_type: type, answer: Answer = lambda _, result: result,
                   **context: Callable[[Any], Any]) -> Callable[..., Any]:
        """The service's @rpc method of `command_type`: its payload handled here, with
        `context` (each a function of the service), answered by `answer`."""
        def method(service: Any, payload: dict[str, Any]) -> Any:
            extra = {name: of(service) for name, of in context.items()}
            return answer(service, self.handle(service.streams, command_type, payload, **extra))

        return rpc(method)


def build(command_type: type[C], data: Mapping[str, Any]) -> C:
    """A command object of the schema's loaded dict: a list becomes a tuple, and a dict (or
    a list's dicts) the dataclass its field names, e.g. `tuple[Evidence, ...]`."""
    hints = _HINTS.get(command_type) or _HINTS.setdefault(
        command_type, typing.get_type_hints(command_type))
    return command_type(**{name: _typed(hints.get(name), value) for name, value in data.items()})


def _typed(hint: Any, value: Any) -> Any:
    if isinstance(hint, types.UnionType):  # `Party | None`: the type a value has
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    if isinstance(value, list):
        inner = typing.get_args(hint)
        return tuple(_typed(inner[0] if inner else None, item) for item in value)
    if isinstance(value, Mapping) and dataclasses.is_dataclass(hint):
        return build(hint, value)  # type: ignore[arg-type]
    return value
