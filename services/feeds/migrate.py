"""`yinfa migrate personal-data`: nothing to do here. The public log was written from
events that carry no personal data, through a whitelist of fields (contracts/feeds/public.py)."""
from __future__ import annotations

from pymongo.database import Database


def migrate(db: Database) -> dict[str, int]:
    return {}
