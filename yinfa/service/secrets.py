"""The secrets a service needs, checked when its container starts (and by `yinfa run`
before anything listens): a service without them refuses to start, naming the variable."""
from __future__ import annotations

from typing import Any

from nameko.extensions import DependencyProvider

from yinfa.secrets import require


class RequiredSecrets(DependencyProvider):
    def __init__(self, *names: str) -> None:
        self.names = names

    def setup(self) -> None:
        require(self.names)

    def get_dependency(self, worker_ctx: Any) -> tuple[str, ...]:
        return self.names


def secrets_of(service_class: type) -> tuple[str, ...]:
    """The secrets a nameko service class declares with `RequiredSecrets`."""
    return tuple(name for value in vars(service_class).values()
                 if isinstance(value, RequiredSecrets) for name in value.names)
