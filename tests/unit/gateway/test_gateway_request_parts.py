"""Pure parts of the request pipeline: body screening, cursors, the token bucket."""
from __future__ import annotations

import io
import json

import pytest
from werkzeug.datastructures import MultiDict
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.bodies import read_json, screen, screen_query
from gateway.pagination import decode_cursor, encode_cursor, page
from gateway.problem import Problem
from gateway.ratelimit import TokenBuckets

SECRET = "cursor-secret"


def request_with(body: bytes, content_type: str = "application/json") -> Request:
    builder = EnvironBuilder(method="POST", input_stream=io.BytesIO(body),
                             content_type=content_type, content_length=len(body))
    return Request(builder.get_environ())


def status_of(action) -> int:
    with pytest.raises(Problem) as caught:
        action()
    return caught.value.status


@pytest.mark.parametrize("body", [
    {"$where": "1"}, {"a": {"$gt": 1}}, {"a.b": 1}, {"list": [{"x": {"$ne": 1}}]},
])
def test_operator_and_dotted_keys_are_refused_at_any_depth(body):
    assert status_of(lambda: screen(body)) == 400


def test_plain_bodies_pass_the_screen():
    screen({"name": "王建国", "skills": ["agriculture"], "note": "$100 是金额"})


def test_bodies_nested_too_deeply_are_refused():
    deep: dict = {}
    for _ in range(50):
        deep = {"a": deep}
    assert status_of(lambda: screen(deep)) == 400


def test_bodies_over_the_limit_are_413_and_bad_json_400():
    assert status_of(lambda: read_json(request_with(b"{}" + b" " * 100), 50)) == 413
    assert status_of(lambda: read_json(request_with(b'{"a": '), 1000)) == 400
    assert status_of(lambda: read_json(request_with(b'{"a": NaN}'), 1000)) == 400
    assert status_of(lambda: read_json(request_with(b"a=1", "text/plain"), 1000)) == 415
    assert read_json(request_with(json.dumps({"a": 1}).encode()), 1000) == {"a": 1}


def test_operator_query_parameters_are_refused():
    assert status_of(lambda: screen_query(MultiDict([("status[$ne]", "x")]))) == 400
    assert status_of(lambda: screen_query(MultiDict([("status", "$ne")]))) == 400
    screen_query(MultiDict([("status", "verified")]))


def test_a_cursor_returns_its_offset_only_for_its_filters():
    cursor = encode_cursor(SECRET, 40, {"county_code": "320902"})
    assert decode_cursor(SECRET, cursor, {"county_code": "320902"}) == 40
    assert status_of(lambda: decode_cursor(SECRET, cursor, {"county_code": "320904"})) == 400
    assert status_of(lambda: decode_cursor("other-secret", cursor,
                                           {"county_code": "320902"})) == 400
    assert status_of(lambda: decode_cursor(SECRET, "garbage", {})) == 400


def test_the_last_page_has_no_next_cursor():
    assert page(SECRET, [1, 2], 4, 0, 2, {})["next"] is not None
    assert page(SECRET, [3, 4], 4, 2, 2, {})["next"] is None


def test_the_bucket_lets_a_burst_pass_then_asks_to_wait():
    now = [0.0]
    buckets = TokenBuckets(rate=2, burst=3, clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
    wait = buckets.take("a")
    assert 0 < wait <= 0.5 and buckets.retry_after(wait) == 1
    assert buckets.take("b") == 0  # another client has its own bucket
    now[0] += 0.5
    assert buckets.take("a") == 0
