"""Certificates the gateway issued before certificates became events of the volunteers
service, kept so that their papers still verify: read only, nothing is issued here.

A code is random (not derived from the person), stored with what the certificate says;
checking it answers that record, so a forged or altered paper does not verify.
"""
from __future__ import annotations

from typing import Any

from pymongo.database import Database


class Certificates:
    def __init__(self, db: Database) -> None:
        self.certificates = db["certificates"]

    def find(self, code: str) -> dict[str, Any] | None:
        return self.certificates.find_one({"_id": code.strip().upper()}, {"_id": 0})
