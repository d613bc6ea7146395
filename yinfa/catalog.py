"""The services yinfa runs, by name: where each nameko service class lives."""
from __future__ import annotations

import importlib

SERVICES = {
    "volunteers": "services.volunteers.service:VolunteersService",
    "branches": "services.branches.service:BranchesService",
    "activities": "services.activities.service:ActivitiesService",
    "scoring": "services.scoring.service:ScoringService",
    "gateway": "gateway.service:GatewayService",
}


def service_class(name: str) -> type:
    try:
        module_name, class_name = SERVICES[name].split(":")
    except KeyError:
        raise KeyError(f"unknown service {name!r}; known: {', '.join(SERVICES)}") from None
    return getattr(importlib.import_module(module_name), class_name)
