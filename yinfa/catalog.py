"""The services yinfa runs, by name, as the services file names them (`services.toml` at
the repository root, or YINFA_SERVICES_FILE): the kernel knows no service of its own and
imports each entry point by its "module:attribute" string when it needs it."""
from __future__ import annotations

import importlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yinfa.config import load_settings


@dataclass(frozen=True)
class Service:
    service: str  # the nameko service class
    events: str | None = None  # the catalog of the events it publishes
    migrate: str | None = None  # `yinfa migrate personal-data`: its store's rewrite
    current_message: str | None = None  # the same rewrite of a message in a queue
    consumers: tuple[str, ...] = ()  # "<service>.<method>" of each subscription to its events


def load_catalog(path: Path) -> dict[str, Service]:
    try:
        return {name: Service(**entry)
                for name, entry in tomllib.loads(path.read_text(encoding="utf-8")).items()}
    except (OSError, tomllib.TOMLDecodeError, TypeError) as error:
        raise RuntimeError(f"services file {path}: {error}") from None


SERVICES = load_catalog(load_settings().services_file)


def imported(path: str) -> Any:
    """The attribute a "module:attribute" string names."""
    module_name, attribute = path.split(":")
    return getattr(importlib.import_module(module_name), attribute)


def service_class(name: str) -> type:
    if name not in SERVICES:
        raise KeyError(f"unknown service {name!r}; known: {', '.join(SERVICES)}")
    return imported(SERVICES[name].service)

