"""Typed errors shared by every service: plain Python, so the domain needs no framework.

Errors are data: each has a stable `code`, a human message and, where one input
is to blame, the field. The RPC edge registers them with nameko
(`yinfa.service.remote_errors`), so a caller gets the same class back, with its field
errors; the gateway maps codes to HTTP statuses in one table.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class YinfaError(Exception):
    code = "error"

    def __init__(
        self,
        message: str,
        details: Mapping[str, Any] | None = None,
        *,
        field: str | None = None,
        **context: Any,
    ) -> None:
        # `details` is how an RPC caller rebuilds the error (yinfa.service.remote_errors):
        # it calls the class with the original `args`, which are (message, to_dict()).
        details = details or {}
        self.message = message
        self.field = field or details.get("field")
        self.context = context or dict(details.get("context") or {})
        super().__init__(message, self.to_dict())

    def __str__(self) -> str:
        return self.message

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

    def __init__(self, errors: Mapping[str, Any] | str, details: Any = None) -> None:
        if isinstance(errors, str):  # rebuilt from RPC args: (message, details)
            message, errors = errors, dict((details or {}).get("errors") or {})
        else:
            message = details if isinstance(details, str) else "invalid input"
        self.errors = dict(errors)
        super().__init__(message)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "errors": self.errors}


class DomainRuleViolated(YinfaError):
    """A well-formed command that breaks a business rule (e.g. verifying a withdrawn volunteer)."""

    code = "rule_violated"


class NotFound(YinfaError):
    code = "not_found"


class AlreadyExists(YinfaError):
    code = "already_exists"


class TooManyAttempts(YinfaError):
    """Too many wrong tries of a secret (a check-in code); refused for a while."""

    code = "too_many_attempts"


class ConcurrencyError(YinfaError):
    """Another writer appended to the stream first; reload and decide again."""

    code = "concurrency_conflict"
