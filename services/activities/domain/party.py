"""Who organises, posts, claims or confirms: a kind (branch, team, volunteer …) and an id."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Statuses of a volunteer (as the volunteers service tells them) who may sign up or claim.
VERIFIED_VOLUNTEER_STATUSES = ("verified", "active")


@dataclass(frozen=True)
class Party:
    kind: str
    id: str

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Party:
        return cls(kind=str(data["kind"]), id=str(data["id"]))

    def as_data(self) -> dict[str, str]:
        return {"kind": self.kind, "id": self.id}
