"""Typed errors shared by every service.

Errors are data: each has a stable `code`, a human message and, where one input
is to blame, the field. RPC callers receive them as nameko remote errors whose
`exc_type` is the class name; the gateway maps codes to HTTP statuses in one table.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class YinfaError(Exception):
    code = "error"

    def __init__(self, message: str, *, field: str | None = None, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.context = context

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.context:
            body["context"] = self.context
        return body


class ValidationFailed(YinfaError):
    """Input rejected at the boundary; `errors` maps each field to its reasons."""

    code = "validation_failed"

    def __init__(self, errors: Mapping[str, Any], message: str = "invalid input") -> None:
        super().__init__(message)
        self.errors = dict(errors)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "errors": self.errors}


class DomainRuleViolated(YinfaError):
    """A well-formed command that breaks a business rule (e.g. verifying a withdrawn volunteer)."""

    code = "rule_violated"


class NotFound(YinfaError):
    code = "not_found"


class AlreadyExists(YinfaError):
    code = "already_exists"


class ConcurrencyError(YinfaError):
    """Another writer appended to the stream first; reload and decide again."""

    code = "concurrency_conflict"
