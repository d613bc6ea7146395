"""The plan of a batch of deliveries: what the inbox applies, skips, parks or drops.

The batch must end where delivering its events one at a time would (in any order, with
parking and draining): the same events applied, in each stream's version order, and the
same ones left parked behind a gap."""
from __future__ import annotations

from collections import defaultdict

from hypothesis import given, strategies as st

from yinfa.messaging.batch_plan import APPLY, PARK, PAST, REPEAT, SKIP, Delivered, plan_batch


def event(stream: str, version: int, wanted: bool = True) -> Delivered:
    return Delivered(f"{stream}/{version}", stream, version, wanted)


def one_at_a_time(deliveries: list[Delivered], cursors: dict[str, int]
                  ) -> tuple[dict[str, list[str]], set[str]]:
    """Each event delivered alone (a batch of one), in memory: applied ids per stream (in
    order), parked ids."""
    cursor, parked, seen = dict(cursors), defaultdict(dict), set()
    applied: dict[str, list[str]] = defaultdict(list)
    for delivered in deliveries:
        if delivered.event_id in seen:
            continue
        seen.add(delivered.event_id)
        stream = delivered.stream_id
        if delivered.version > cursor.get(stream, 0) + 1:
            parked[stream][delivered.version] = delivered
            continue
        if delivered.version <= cursor.get(stream, 0):
            continue
        applied[stream].append(delivered.event_id)
        cursor[stream] = delivered.version
        while cursor[stream] + 1 in parked[stream]:
            cursor[stream] += 1
            applied[stream].append(parked[stream].pop(cursor[stream]).event_id)
    return dict(applied), {e.event_id for waiting in parked.values() for e in waiting.values()}


@st.composite
def batches(draw) -> tuple[list[Delivered], dict[str, int]]:
    """Deliveries drawn from a few streams' histories: any order, some twice, some
    missing (gaps), some before the cursor; each type wanted or not."""
    streams = draw(st.lists(st.sampled_from("abcde"), min_size=1, max_size=4, unique=True))
    history = [event(s, v, draw(st.booleans())) for s in streams
               for v in range(1, draw(st.integers(1, 8)) + 1)]
    cursors = {s: draw(st.integers(0, 3)) for s in streams}
    deliveries = draw(st.lists(st.sampled_from(history), max_size=30))
    return draw(st.permutations(deliveries)), cursors


@given(batches())
def test_a_batch_ends_where_delivering_its_events_one_at_a_time_would(batch):
    deliveries, cursors = batch
    plan = plan_batch(deliveries, cursors)

    expected_applied, expected_parked = one_at_a_time(deliveries, cursors)
    applied = {stream: [deliveries[i].event_id for i in run] for stream, run in plan.runs.items()}
    assert applied == expected_applied
    assert {deliveries[i].event_id for i in plan.indexes(PARK)} == expected_parked


@given(batches())
def test_each_stream_runs_on_from_its_cursor_without_a_gap(batch):
    deliveries, cursors = batch
    plan = plan_batch(deliveries, cursors)

    for stream, run in plan.runs.items():
        versions = [deliveries[i].version for i in run]
        first = cursors.get(stream, 0) + 1
        assert versions == list(range(first, first + len(run)))


@given(batches())
def test_every_event_is_acted_on_once_and_only_wanted_types_are_applied(batch):
    deliveries, cursors = batch
    plan = plan_batch(deliveries, cursors)

    taken = [deliveries[i].event_id for i in plan.indexes(APPLY) + plan.indexes(SKIP)
             + plan.indexes(PARK) + plan.indexes(PAST)]
    assert len(taken) == len(set(taken))
    assert len(taken) + len(plan.indexes(REPEAT)) == len(deliveries)
    assert all(deliveries[i].wanted for i in plan.indexes(APPLY) + plan.indexes(PAST))
    assert not any(deliveries[i].wanted for i in plan.indexes(SKIP))


def test_versions_arriving_out_of_order_are_applied_in_order_and_a_gap_parks_the_rest():
    deliveries = [event("a", 3), event("b", 2), event("a", 1), event("a", 2), event("b", 4),
                  event("a", 1)]

    plan = plan_batch(deliveries, {"b": 1})

    assert plan.runs == {"a": (2, 3, 0), "b": (1,)}
    assert plan.actions == (APPLY, APPLY, APPLY, APPLY, PARK, REPEAT)


def test_a_version_at_or_before_the_cursor_is_past_and_an_unwanted_one_a_repeat():
    deliveries = [event("a", 2), event("a", 1, wanted=False), event("a", 3, wanted=False)]

    plan = plan_batch(deliveries, {"a": 2})

    assert plan.actions == (PAST, REPEAT, SKIP)
    assert plan.runs == {"a": (2,)}
