"""'Today' on the city's clock: after 16:00 UTC it is already tomorrow in Beijing, and a
thing done today there (hours served, a review) is not in the future."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from marshmallow import ValidationError

from yinfa import schemas


class EveningInUtc(datetime):
    @classmethod
    def now(cls, tz=None):  # noqa: ANN001, ANN206 - stands in for datetime.now
        return datetime(2026, 12, 2, 20, 0, tzinfo=UTC).astimezone(tz)


def test_at_eight_in_the_evening_utc_the_city_is_already_in_the_next_day(monkeypatch):
    monkeypatch.setattr(schemas, "datetime", EveningInUtc)
    assert schemas.city_today() == date(2026, 12, 3)
    schemas.not_in_future(date(2026, 12, 3))  # served this morning, Beijing time
    with pytest.raises(ValidationError):
        schemas.not_in_future(date(2026, 12, 4))
