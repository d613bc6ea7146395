"""Fixtures every unit test shares."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def default_reference_files(monkeypatch):
    """Unit tests read the shipped reference files, whatever the environment points at."""
    monkeypatch.delenv("YINFA_REFERENCE_CITY", raising=False)
    monkeypatch.delenv("YINFA_REFERENCE_DIR", raising=False)
