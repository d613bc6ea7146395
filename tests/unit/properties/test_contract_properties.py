"""The subscription's contract over arbitrary messages: a payload key that a document store
would read as an operator or a path is always found and named; a message of a known type
and version, within the size limit, with plain keys, always passes."""
from __future__ import annotations

from hypothesis import given, strategies as st
from property_support import PROPERTY_SETTINGS

from contracts.activities import events as activity_events
from yinfa.messaging.contract import MessageContract, forbidden_key

plain_keys = st.text(st.characters(blacklist_characters=".$"), min_size=1, max_size=8)
bad_keys = st.one_of(st.text(max_size=6).map(lambda k: "$" + k),
                     st.tuples(st.text(max_size=4), st.text(max_size=4)).map(".".join))
leaves = st.none() | st.booleans() | st.integers() | st.text(max_size=8)


def payloads(keys: st.SearchStrategy[str]) -> st.SearchStrategy:
    return st.recursive(leaves, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(keys, inner, max_size=3), max_leaves=10)


CONTRACT = MessageContract("activities", activity_events.CATALOG.registry)
KNOWN = sorted(activity_events.CATALOG.current_versions.items())


@st.composite
def planted(draw) -> tuple[dict, str]:
    """A plain payload with one bad key planted somewhere inside it."""
    bad, value = draw(bad_keys), draw(leaves)
    payload = draw(st.dictionaries(plain_keys, payloads(plain_keys), max_size=3))
    path = draw(st.lists(plain_keys, max_size=3))
    here = payload
    for step in path:  # down through dictionaries, as far as they go
        if not isinstance(here.setdefault(step, {}), dict):
            break
        here = here[step]
    here[bad] = value
    return payload, bad


@PROPERTY_SETTINGS
@given(case=planted())
def test_an_operator_or_dotted_key_anywhere_is_found_and_named(case):
    payload, bad = case
    assert forbidden_key(payload) == bad
    message = {"type": "ActivityCompleted", "schema_version": 1, "data": payload}
    assert repr(bad) in CONTRACT.problem(message, 100)


@PROPERTY_SETTINGS
@given(kind=st.sampled_from(KNOWN), data=st.dictionaries(plain_keys, payloads(plain_keys),
                                                        max_size=4),
       size=st.integers(0, CONTRACT.max_bytes))
def test_a_known_type_and_version_with_plain_keys_within_the_limit_passes(kind, data, size):
    event_type, current = kind
    for version in range(1, current + 1):
        message = {"type": event_type, "schema_version": version, "data": data}
        assert CONTRACT.problem(message, size) is None
    newer = {"type": event_type, "schema_version": current + 1, "data": data}
    assert "newer than this consumer knows" in CONTRACT.problem(newer, size)
    assert "too large" in CONTRACT.problem(newer, CONTRACT.max_bytes + 1)
    unknown = {"type": event_type + "X", "schema_version": 1, "data": data}
    assert "unknown event type" in CONTRACT.problem(unknown, size)
