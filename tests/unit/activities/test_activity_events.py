import json
from decimal import Decimal

import pytest
from activities_examples import COMMUNITY, LI, WANG, ZHANG, bj

from contracts.activities import events as ev
from services.activities.domain import activity as a, wish as w
from yinfa.events.registry import SchemaRegistry


def an_activitys_whole_life(publication, decide, whole_morning):
    """Every activity event type, produced by the domain itself."""
    produced, state = decide(None, a.publish, publication(kind="policy_suggestion", capacity=1))
    steps = [
        (a.sign_up, {"volunteer_id": WANG, "at": bj(20, 9)}, "active", ()),
        (a.sign_up, {"volunteer_id": LI, "at": bj(20, 9)}, "active", ()),
        (a.sign_up, {"volunteer_id": ZHANG, "at": bj(20, 9)}, "active", ()),
        (a.withdraw_sign_up, {"volunteer_id": WANG}),
        (a.issue_check_in_code, {"code": "CY2023", "at": bj(23, 8)}),
        (a.check_in, {"volunteer_id": LI, "code": "CY2023", "at": whole_morning[0]}),
        (a.check_out, {"volunteer_id": LI, "code": "CY2023", "at": whole_morning[1]}),
        (a.complete, {"served": [{"volunteer_id": LI, "hours": Decimal("2.5")}],
                      "endorsed": True, "endorsement_note": "批示", "at": bj(23, 12)}),
        (a.correct_completion, {"corrections": [{"volunteer_id": LI, "hours": Decimal("2.0")}],
                                "reason": "更正"}),
    ]
    for command_fn, command, *args in steps:
        events, state = decide(state, command_fn, command, *args)
        produced += events
    return produced


def the_two_cancellations(activity, decide):
    return (decide(activity(), a.cancel_publication, {})[0]
            + decide(activity(WANG), a.cancel, {"reason": "台风"})[0])


def a_wishs_whole_life(posting, on_wish):
    produced, state = on_wish(None, w.post, posting())
    volunteer = {"kind": "volunteer", "id": WANG}
    steps = [
        (w.claim, {"claimant": {"kind": "branch", "id": "b"}, "at": bj(2, 9)}),
        (w.release_claim, {"reason": "外出"}),
        (w.claim, {"claimant": volunteer, "at": bj(2, 10)}, "active"),
        (w.fulfil, {"fulfilled_by": volunteer, "evidence": ["https://x.cn/1.jpg"],
                    "at": bj(3, 9)}),
        (w.confirm, {"confirmed_by": COMMUNITY, "at": bj(9, 9)}),
    ]
    for command_fn, command, *args in steps:
        events, state = on_wish(state, command_fn, command, *args)
        produced += events
    return produced


@pytest.fixture
def everything(publication, activity, decide, whole_morning, posting, on_wish, wish):
    expired = w.expired(wish(w.CLAIMED), bj(1, 9, month=12))
    return (an_activitys_whole_life(publication, decide, whole_morning)
            + the_two_cancellations(activity, decide)
            + a_wishs_whole_life(posting, on_wish) + expired)


def test_every_emitted_event_matches_its_current_schema_and_is_json(everything):
    produced = everything

    assert {e.type for e in produced} == set(ev.CURRENT_VERSIONS)
    for event in produced:
        assert event.schema_version == ev.CURRENT_VERSIONS[event.type]
        schema = ev.SCHEMAS[(event.type, event.schema_version)]()
        assert schema.load(event.data) == event.data
        json.dumps(event.data)


def test_the_store_keeps_event_data_as_the_domain_made_it(everything):
    registry = SchemaRegistry().register_module(ev.SCHEMAS, ev.UPCASTERS)
    for event in everything:
        assert registry.validate(event.type, event.schema_version, event.data) == event.data


def test_every_event_type_has_a_schema_for_its_current_version():
    assert len(ev.CURRENT_VERSIONS) == 18
    for event_type, version in ev.CURRENT_VERSIONS.items():
        assert (event_type, version) in ev.SCHEMAS


def test_a_current_payload_upcasts_to_itself():
    data = {"volunteer_id": WANG}
    assert ev.upcast(ev.VOLUNTEER_SIGNED_UP, 1, data) == data
