"""A register keeps, per fact, the value of the latest stream version that wrote it,
whether its fields were written together or by different events in any order."""
from __future__ import annotations

import itertools

from services.scoring.domain.state import Register

WRITES = [("status", "registered", 1), ("county", "320902", 1), ("status", "verified", 2),
          ("status", "suspended", 4), ("county", "320904", 3)]


def test_every_order_of_the_same_writes_ends_with_the_latest_version_of_each_field():
    for order in itertools.permutations(WRITES):
        register = Register()
        for name, value, version in order:
            register.write(name, value, version)
        assert register.values == {"status": "suspended", "county": "320904"}, order
        assert register.version_of("status") == 4 and register.version_of("county") == 3


def test_an_older_or_equal_version_is_refused_and_a_new_field_at_any_version_taken():
    register = Register()
    assert register.write("hours", "2", 5) and register.write("day", "2026-03-01", 5)
    assert not register.write("hours", "9", 5) and not register.write("hours", "9", 4)
    assert register.write("volunteer", "v1", 2)  # a field no version wrote yet
    assert register.values == {"hours": "2", "day": "2026-03-01", "volunteer": "v1"}
    assert register.version_of("volunteer") == 2 and register.version_of("hours") == 5
    assert register.version_of("missing") == 0
