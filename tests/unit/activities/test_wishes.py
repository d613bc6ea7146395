from datetime import UTC, datetime

import pytest
from activities_examples import BRANCH, COMMUNITY, LI, WANG, WISH_ID, WISH_REQUEST, bj

from services.activities.domain import wish as w
from services.activities.domain.ids import wish_id_for
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound

BY_WANG = {"kind": "volunteer", "id": WANG}
BY_LI = {"kind": "volunteer", "id": LI}
PHOTO = "https://tinghu.example.cn/wishes/hearing-aid.jpg"


def test_a_wish_is_posted_with_a_pseudonym_county_and_category(posting, on_wish):
    events, state = on_wish(None, w.post, posting())

    assert [e.type for e in events] == ["WishPosted"]
    assert set(events[0].data) == {"client_request_id", "label", "county_code", "category",
                                   "posted_by", "posted_at", "expires_at"}  # no description
    assert (state.label, state.county_code, state.category) == ("王奶奶", "320902",
                                                               "medical_help")
    assert state.status == w.OPEN


def test_a_wish_expires_sixty_days_after_it_is_posted_by_default(wish):
    assert wish().expires_at == datetime(2023, 11, 30, 1, tzinfo=UTC)  # 30 Nov, 09:00 Beijing


def test_posting_the_same_request_again_records_nothing(posting, on_wish, wish):
    assert wish_id_for(WISH_REQUEST) == WISH_ID
    claimed = wish(w.CLAIMED)

    events, state = on_wish(claimed, w.post, posting(at=bj(3, 9)))  # a later retry

    assert events == [] and state == claimed


def test_another_wish_under_a_used_request_id_is_refused(posting, on_wish, wish):
    with pytest.raises(AlreadyExists) as refused:
        on_wish(wish(), w.post, posting(category="daily_necessities"))
    assert refused.value.field == "client_request_id"


def test_a_verified_volunteer_claims_an_open_wish(wish, on_wish):
    events, state = on_wish(wish(), w.claim, {"claimant": BY_WANG, "at": bj(2, 10)}, "verified")

    assert [(e.type, dict(e.data)) for e in events] == [
        ("WishClaimed", {"claimant": BY_WANG, "claimed_at": "2023-10-02T02:00:00+00:00"})]
    assert state.status == w.CLAIMED and state.claimant == w.Party("volunteer", WANG)


def test_a_branch_claims_a_wish(wish, on_wish):
    _, state = on_wish(wish(), w.claim, {"claimant": BRANCH, "at": bj(2, 10)})
    assert state.claimant.kind == "branch"


def test_claiming_an_already_claimed_wish_is_refused(wish, on_wish):
    with pytest.raises(AlreadyExists) as refused:
        on_wish(wish(w.CLAIMED), w.claim, {"claimant": BY_LI, "at": bj(3, 10)}, "active")
    assert refused.value.field == "wish_id"
    assert refused.value.context == {"claimant_kind": "volunteer"}


@pytest.mark.parametrize("status", ["registered", "suspended", "withdrawn"])
def test_only_a_verified_volunteer_claims(status, wish, on_wish):
    with pytest.raises(DomainRuleViolated) as refused:
        on_wish(wish(), w.claim, {"claimant": BY_LI, "at": bj(2, 10)}, status)
    assert refused.value.field == "claimant"


def test_an_unknown_volunteer_cannot_claim(wish, on_wish):
    with pytest.raises(NotFound):
        on_wish(wish(), w.claim, {"claimant": BY_LI, "at": bj(2, 10)}, None)


def test_a_released_claim_lets_someone_else_claim(wish, on_wish):
    events, released = on_wish(wish(w.CLAIMED), w.release_claim, {"reason": "身体不适"})
    _, state = on_wish(released, w.claim, {"claimant": BRANCH, "at": bj(4, 9)})

    assert [(e.type, dict(e.data)) for e in events] == [
        ("WishClaimReleased", {"claimant": BY_WANG, "reason": "身体不适"})]
    assert released.status == w.OPEN and released.claimant is None
    assert state.claimant == w.Party.of(BRANCH)


def test_releasing_an_unclaimed_wish_is_refused(wish, on_wish):
    with pytest.raises(DomainRuleViolated):
        on_wish(wish(), w.release_claim, {"reason": "x"})


def test_the_claimant_fulfils_with_evidence(wish, on_wish):
    events, state = on_wish(wish(w.CLAIMED), w.fulfil, {
        "fulfilled_by": BY_WANG, "evidence": [PHOTO], "note": "已送助听器上门", "at": bj(5, 15)})

    assert events[0].type == "WishFulfilled" and events[0].data["evidence"] == [PHOTO]
    assert state.status == w.FULFILLED and state.fulfilled_at == bj(5, 15)


def test_only_the_claimant_fulfils(wish, on_wish):
    with pytest.raises(DomainRuleViolated) as refused:
        on_wish(wish(w.CLAIMED), w.fulfil, {"fulfilled_by": BY_LI, "evidence": [PHOTO],
                                            "at": bj(5, 15)})
    assert refused.value.field == "fulfilled_by"


def test_the_poster_confirms_and_the_event_says_how_long_it_took(wish, on_wish):
    events, state = on_wish(wish(w.FULFILLED), w.confirm,
                            {"confirmed_by": COMMUNITY, "at": bj(6, 9)})

    assert [(e.type, dict(e.data)) for e in events] == [("WishConfirmed", {
        "confirmed_by": COMMUNITY, "claimant": BY_WANG,
        "confirmed_at": "2023-10-06T01:00:00+00:00", "seconds_to_fulfil": 5 * 24 * 3600})]
    assert state.status == w.CONFIRMED and state.seconds_to_fulfil == 432_000


def test_only_the_poster_confirms(wish, on_wish):
    with pytest.raises(DomainRuleViolated) as refused:
        on_wish(wish(w.FULFILLED), w.confirm, {"confirmed_by": BRANCH, "at": bj(6, 9)})
    assert refused.value.field == "confirmed_by"


def test_a_wish_is_confirmed_once(wish, on_wish):
    with pytest.raises(AlreadyExists) as refused:
        on_wish(wish(w.CONFIRMED), w.confirm, {"confirmed_by": COMMUNITY, "at": bj(7, 9)})
    assert refused.value.field == "wish_id"


def test_an_unfulfilled_wish_cannot_be_confirmed(wish, on_wish):
    with pytest.raises(DomainRuleViolated) as refused:
        on_wish(wish(w.CLAIMED), w.confirm, {"confirmed_by": COMMUNITY, "at": bj(6, 9)})
    assert refused.value.context == {"status": "claimed"}


@pytest.mark.parametrize("status", [w.OPEN, w.CLAIMED])
def test_an_open_or_claimed_wish_expires_once_at_its_deadline(status, wish):
    state = wish(status)

    before = w.expired(state, bj(30, 8, 59, month=11))
    events = w.expired(state, bj(30, 9, month=11))
    after = w.replay(events, state)

    assert before == []
    assert [e.type for e in events] == ["WishExpired"]
    assert events[0].data["was_claimed_by"] == (BY_WANG if status == w.CLAIMED else None)
    assert after.status == w.EXPIRED
    assert w.expired(after, bj(31, 9, month=12)) == []


@pytest.mark.parametrize("status", [w.FULFILLED, w.CONFIRMED])
def test_a_fulfilled_wish_does_not_expire(status, wish):
    assert w.expired(wish(status), bj(31, 9, month=12)) == []


def test_an_unknown_wish_does_not_expire():
    assert w.expired(None, bj(1, 9)) == []


def test_a_wish_past_its_deadline_cannot_be_claimed_or_fulfilled(wish, on_wish):
    late = bj(30, 9, month=11)
    with pytest.raises(DomainRuleViolated) as refused:
        on_wish(wish(), w.claim, {"claimant": BRANCH, "at": late})
    assert "expired" in refused.value.message
    with pytest.raises(DomainRuleViolated):
        on_wish(wish(w.CLAIMED), w.fulfil, {"fulfilled_by": BY_WANG, "evidence": [PHOTO],
                                            "at": late})


def test_an_expired_wish_cannot_be_claimed(wish, on_wish):
    state = wish()
    expired = w.replay(w.expired(state, bj(1, 9, month=12)), state)
    with pytest.raises(DomainRuleViolated):
        on_wish(expired, w.claim, {"claimant": BRANCH, "at": bj(2, 9)})


def test_commands_on_an_unknown_wish_are_not_found(on_wish):
    with pytest.raises(NotFound) as missing:
        on_wish(None, w.claim, {"claimant": BRANCH, "at": bj(2, 9)})
    assert missing.value.field == "wish_id"


def test_a_confirmation_credits_whoever_fulfilled_even_after_a_release(wish, on_wish):
    _, released = on_wish(wish(w.CLAIMED), w.release_claim, {"reason": "外出"})
    _, state = on_wish(released, w.claim, {"claimant": BY_LI, "at": bj(3, 9)}, "active")
    _, state = on_wish(state, w.fulfil, {"fulfilled_by": BY_LI, "evidence": [PHOTO],
                                         "at": bj(4, 9)})
    events, _ = on_wish(state, w.confirm, {"confirmed_by": COMMUNITY, "at": bj(4, 18)})
    assert events[0].data["claimant"] == BY_LI
