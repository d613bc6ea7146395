from datetime import UTC, datetime, timedelta

import pytest
from activities_examples import ACTIVITY_ID, CLINIC_REQUEST, HEALTH_TEAM, LI, WANG, known

from services.activities.domain import activity as a
from services.activities.domain.ids import activity_id_for
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound


def test_publishing_records_the_activity_in_utc(publication, decide):
    events, state = decide(None, a.publish, publication())

    assert [e.type for e in events] == ["ActivityPublished"]
    assert events[0].data["starts_at"] == "2023-10-23T01:00:00+00:00"
    assert state.status == a.PUBLISHED
    assert state.details.starts_at == datetime(2023, 10, 23, 1, tzinfo=UTC)
    assert state.details.duration == timedelta(hours=2, minutes=30)
    assert state.details.organiser.kind == "branch"


def test_the_stream_id_derives_from_the_client_request_id():
    assert activity_id_for(CLINIC_REQUEST) == ACTIVITY_ID
    assert activity_id_for(known("另一次请求")) != ACTIVITY_ID


def test_publishing_the_same_request_again_records_nothing(publication, activity, decide):
    signed_up = activity(WANG)

    events, state = decide(signed_up, a.publish, publication())

    assert events == [] and state == signed_up


def test_another_activity_under_a_used_request_id_is_refused(publication, activity, decide):
    with pytest.raises(AlreadyExists) as refused:
        decide(activity(), a.publish, publication(title="敬老院文艺演出"))
    assert refused.value.field == "client_request_id"


def test_an_activity_may_serve_a_theme_its_kind_does_not_usually_serve(publication, decide):
    _, state = decide(None, a.publish, publication(kind="mediation", theme="youth_cultivation"))
    assert (state.details.kind, state.details.theme) == ("mediation", "youth_cultivation")


def test_a_teams_own_team_only_activity_is_for_that_team(publication, decide):
    team = {"kind": "team", "id": HEALTH_TEAM}
    _, state = decide(None, a.publish, publication(organiser=team, team_only=True))
    assert state.details.team_only and state.details.team_id == HEALTH_TEAM


def test_a_publication_without_sign_ups_can_be_cancelled(activity, decide):
    events, state = decide(activity(), a.cancel_publication, {"reason": "场地临时征用"})

    assert [(e.type, dict(e.data)) for e in events] == [
        ("ActivityPublicationCancelled", {"reason": "场地临时征用"})]
    assert state.status == a.PUBLICATION_CANCELLED


def test_a_publication_with_sign_ups_cannot_be_quietly_withdrawn(activity, decide):
    with pytest.raises(DomainRuleViolated) as refused:
        decide(activity(WANG), a.cancel_publication, {"reason": None})
    assert refused.value.field == "activity_id"
    assert refused.value.context == {"signed_up": 1}


def test_cancelling_an_activity_names_everyone_who_signed_up(activity, decide):
    full = activity(WANG, LI, known("张志强"), capacity=2)

    events, state = decide(full, a.cancel, {"reason": "台风预警，活动取消"})

    assert [(e.type, dict(e.data)) for e in events] == [("ActivityCancelled", {
        "reason": "台风预警，活动取消", "signed_up": [WANG, LI], "waitlisted": [known("张志强")],
    })]
    assert state.status == a.CANCELLED


def test_cancelling_without_sign_ups_asks_for_cancelling_the_publication(activity, decide):
    with pytest.raises(DomainRuleViolated) as refused:
        decide(activity(), a.cancel, {"reason": "台风预警"})
    assert "cancel the publication" in refused.value.message


@pytest.mark.parametrize("command_fn", [a.cancel, a.cancel_publication])
def test_a_cancelled_activity_cannot_be_cancelled_again(command_fn, activity, decide):
    _, cancelled = decide(activity(), a.cancel_publication, {})
    with pytest.raises(DomainRuleViolated) as refused:
        decide(cancelled, command_fn, {"reason": "再次取消"})
    assert refused.value.context == {"status": "publication_cancelled"}


def test_commands_on_an_unknown_activity_are_not_found(decide):
    with pytest.raises(NotFound) as missing:
        decide(None, a.cancel, {"reason": "x"})
    assert missing.value.field == "activity_id"
