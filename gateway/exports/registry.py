"""Issued certificates, kept so their verification code can be checked later.

A code is random (not derived from the person), stored with what the certificate says;
checking it answers that record, so a forged or altered paper does not verify.
"""
from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database

from gateway.city_clock import city_zone
from yinfa.city_time import local_day

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed


def new_code() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return "-".join(chars[i:i + 4] for i in range(0, 12, 4))


class Certificates:
    def __init__(self, db: Database) -> None:
        self.certificates = db["certificates"]

    def issue(self, volunteer: dict[str, Any], county_name: str, issued_by: str
              ) -> dict[str, Any]:
        now = datetime.now(UTC)
        record = {
            # no name: it is personal data, read from the volunteers service when shown
            "code": new_code(), "volunteer_id": volunteer["volunteer_id"],
            "county_code": volunteer.get("county_code"),
            "county_name": county_name, "total_hours": volunteer.get("total_hours"),
            "verified_hours": volunteer.get("verified_hours"),
            "star_level": volunteer.get("star_level"),
            "issued_on": local_day(now, city_zone()).isoformat(), "issued_at": now.isoformat(),
            "issued_by": issued_by,
        }
        self.certificates.insert_one({"_id": record["code"], **record})
        return record

    def find(self, code: str) -> dict[str, Any] | None:
        return self.certificates.find_one({"_id": code.upper()}, {"_id": 0})
