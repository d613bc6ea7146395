"""The platform's errors across RPC: nameko rebuilds a registered exception class on the
caller's side (with its field and context) instead of a generic RemoteError. Registered
here, at the edge, so that the errors themselves stay plain Python."""
from __future__ import annotations

from nameko.exceptions import deserialize_to_instance

from yinfa.errors import (
    AlreadyExists,
    ConcurrencyError,
    DomainRuleViolated,
    NotFound,
    TooManyAttempts,
    ValidationFailed,
    YinfaError,
)

REMOTE_ERRORS = (YinfaError, ValidationFailed, DomainRuleViolated, NotFound, AlreadyExists,
                 TooManyAttempts, ConcurrencyError)

for _error in REMOTE_ERRORS:
    deserialize_to_instance(_error)
