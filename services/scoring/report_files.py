"""The bytes of submitted report documents, in the scoring service's own database (one
document per report, by report id), never in an event: the event carries their hash."""
from __future__ import annotations

from typing import Any

from bson.binary import Binary
from nameko.extensions import DependencyProvider
from pymongo.collection import Collection

from yinfa.service.dependencies import service_database

COLLECTION = "report_files"


class ReportFileStore:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    def keep(self, report_id: str, sha256: str, content_type: str, content: bytes) -> None:
        """Kept before the event is appended: an event never names bytes that are not
        here (a failed append leaves bytes no event names, which nothing reads)."""
        self.collection.replace_one(
            {"_id": report_id},
            {"_id": report_id, "sha256": sha256, "content_type": content_type,
             "size": len(content), "content": Binary(content)}, upsert=True)

    def read(self, report_id: str) -> bytes | None:
        found = self.collection.find_one({"_id": report_id})
        return None if found is None else bytes(found["content"])


class ReportFiles(DependencyProvider):
    def setup(self) -> None:
        self.store = ReportFileStore(service_database(self.container)[COLLECTION])

    def get_dependency(self, worker_ctx: Any) -> ReportFileStore:
        return self.store
