"""Schema registry: one marshmallow schema per (event type, schema version).

Writers validate event data against the current version before it is stored.
Readers upcast old versions step by step (v1 → v2 → …) on read; stored events
are never rewritten.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import Schema, ValidationError

from yinfa.errors import ValidationFailed

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class UnknownEventType(KeyError):
    pass


class SchemaRegistry:
    def __init__(self) -> None:
        self._schemas: dict[tuple[str, int], type[Schema]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}
        self._current: dict[str, int] = {}
        self._instances: dict[tuple[str, int], Schema] = {}

    def register(self, event_type: str, version: int, schema: type[Schema]) -> None:
        self._schemas[(event_type, version)] = schema
        self._current[event_type] = max(version, self._current.get(event_type, 0))

    def register_upcaster(self, event_type: str, from_version: int, upcaster: Upcaster) -> None:
        """`upcaster` turns data of `from_version` into data of `from_version + 1`."""
        self._upcasters[(event_type, from_version)] = upcaster

    def register_module(
        self,
        schemas: Mapping[tuple[str, int], type[Schema]],
        upcasters: Mapping[tuple[str, int], Upcaster] | None = None,
    ) -> SchemaRegistry:
        for (event_type, version), schema in schemas.items():
            self.register(event_type, version, schema)
        for (event_type, from_version), upcaster in (upcasters or {}).items():
            self.register_upcaster(event_type, from_version, upcaster)
        return self

    def knows(self, event_type: str) -> bool:
        return event_type in self._current

    def current_version(self, event_type: str) -> int:
        try:
            return self._current[event_type]
        except KeyError:
            raise UnknownEventType(event_type) from None

    def validate(self, event_type: str, version: int, data: Mapping[str, Any]) -> dict[str, Any]:
        """Check data against its schema; return it in its JSON-ready (dumped) form."""
        schema = self._schema(event_type, version)
        return schema.dump(self._loaded(schema, event_type, version, data))

    def check(self, event_type: str, version: int, data: Mapping[str, Any]) -> None:
        """Check data against its schema (for readers: no dumped copy is made)."""
        self._loaded(self._schema(event_type, version), event_type, version, data)

    def _schema(self, event_type: str, version: int) -> Schema:
        schema = self._instances.get((event_type, version))
        if schema is None:
            schema_cls = self._schemas.get((event_type, version))
            if schema_cls is None:
                raise UnknownEventType(f"{event_type} v{version}")
            # reusable for every load and dump; building one deep-copies its fields (~1 ms)
            schema = self._instances[(event_type, version)] = schema_cls()
        return schema

    @staticmethod
    def _loaded(schema: Schema, event_type: str, version: int, data: Mapping[str, Any]) -> Any:
        try:
            return schema.load(dict(data))
        except ValidationError as error:
            raise ValidationFailed(
                {"data": error.messages}, f"{event_type} v{version} data is invalid"
            ) from error

    def upcast(self, event_type: str, version: int, data: Mapping[str, Any]) -> tuple[int, dict]:
        """Bring data of an old version up to the current one. Unknown types pass unchanged."""
        current = self._current.get(event_type, version)
        upgraded = dict(data)
        while version < current:
            step = self._upcasters.get((event_type, version))
            if step is None:
                raise LookupError(f"no upcaster for {event_type} v{version}")
            upgraded = step(upgraded)
            version += 1
        return version, upgraded
