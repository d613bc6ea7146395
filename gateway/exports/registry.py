"""Certificates the gateway issued before certificates became events of the volunteers
service. Each is moved into the volunteers service's log once (`adopt_former`, on the
gateway's timer), and dropped here after; until then its paper still verifies from here,
read only. Nothing is issued here any more.

A code is random (not derived from the person), stored with what the certificate says;
checking it answers that record, so a forged or altered paper does not verify.
"""
from __future__ import annotations

import logging
from typing import Any

from pymongo.database import Database

log = logging.getLogger(__name__)

ADOPTED_FIELDS = ("code", "volunteer_id", "county_code", "total_hours", "verified_hours",
                  "star_level", "issued_on", "issued_by")
BATCH = 200  # certificates moved per round


class Certificates:
    def __init__(self, db: Database) -> None:
        self.certificates = db["certificates"]

    def find(self, code: str) -> dict[str, Any] | None:
        return self.certificates.find_one({"_id": code.strip().upper()}, {"_id": 0})


def adopt_former(db: Database, calls: Any) -> int:
    """Move former certificates into the volunteers service's log (adopting one twice
    changes nothing there), each dropped here once adopted; how many moved."""
    moved = 0
    for record in db["certificates"].find({}, {"_id": 0}).limit(BATCH):
        calls.call("volunteers", "adopt_certificate",
                   {name: record[name] for name in ADOPTED_FIELDS})
        db["certificates"].delete_one({"_id": record["code"]})
        moved += 1
    if moved:
        log.info("moved %d former certificates into the volunteers service's log", moved)
    return moved
