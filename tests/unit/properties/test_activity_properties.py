"""Any sequence of commands on an activity or a micro-wish: each is refused with a typed
error or recorded, and the recorded events fold (after the wire) into the state the
commands saw. Sign-ups never exceed capacity, nobody waits while a place is free, the
waitlist is promoted first come first served, and hours go only to those who attended."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import event, given, settings, strategies as st
from property_support import (
    PROPERTY_SETTINGS,
    Outcome,
    Stream,
    attempt as attempt_loaded,
    describe,
    known,
    maybe,
)

from contracts.activities import events as ev
from contracts.activities.catalog import load_activity_catalog
from services.activities.domain import activity as a, commands as cmd, wish as w
from services.activities.domain.ids import activity_id_for, wish_id_for
from services.activities.handlers import COMMANDS

CATALOG = load_activity_catalog()
BEIJING = ZoneInfo("Asia/Shanghai")
STARTS = datetime(2023, 10, 23, 9, 0, tzinfo=BEIJING)  # the Double Ninth free clinic
ENDS = STARTS + timedelta(hours=2, minutes=30)
REQUEST = known("重阳节义诊")
ACTIVITY = activity_id_for(REQUEST)
CODE = "CY2023"
VOLUNTEERS = [known(name) for name in ("王建国", "李秀英", "张志强", "赵桂兰", "陈志远")]
STATUSES = ["active"] * 4 + ["verified", "registered", "suspended", None]


def attempt(command_type: type, payload: dict, decide) -> Outcome:
    """The payload loaded as the service loads it (its command table), then decided."""
    return attempt_loaded(None, payload, lambda fields: decide(COMMANDS.load(command_type,
                                                                             fields)))


def moments(*offsets: timedelta) -> st.SearchStrategy[str]:
    return st.sampled_from([STARTS + offset for offset in offsets]).map(datetime.isoformat)


# each command mostly at a time that suits it, now and then at one that does not
BEFORE = moments(-timedelta(days=2), -timedelta(days=1), -timedelta(minutes=61),
                 -timedelta(hours=3), timedelta(hours=1))
ON_SITE = moments(-timedelta(minutes=20), timedelta(0), timedelta(minutes=10),
                  -timedelta(minutes=61))
LEAVING = moments(timedelta(hours=2, minutes=30), timedelta(hours=3), timedelta(hours=1),
                  timedelta(hours=6))
AFTER = moments(timedelta(hours=3), timedelta(days=1), timedelta(hours=1))
volunteer = maybe(st.sampled_from(VOLUNTEERS[:4]))
hours = maybe(st.sampled_from(["2.5", "2", "1.5", "2.5", "0", "1", "3", "0.25", "-1"]))
lines = st.lists(st.fixed_dictionaries({"volunteer_id": volunteer, "hours": hours}),
                 max_size=4, unique_by=lambda line: str(line["volunteer_id"]))


def on_activity(**fields):
    return st.fixed_dictionaries({"activity_id": maybe(st.just(ACTIVITY)), **fields})


sign_up = st.tuples(st.just("sign_up"), on_activity(volunteer_id=volunteer, at=BEFORE),
                    st.sampled_from(STATUSES))
attendance = st.tuples(st.sampled_from(["check_in", "check_out"]), st.none(), st.none()
                       ).flatmap(lambda drawn: st.tuples(st.just(drawn[0]), on_activity(
                           volunteer_id=volunteer, code=st.sampled_from([CODE, CODE, "WRONG1"]),
                           at=ON_SITE if drawn[0] == "check_in" else LEAVING), st.none()))


def attend(volunteer_id, code: str, came: str, left: str) -> list:
    payload = {"activity_id": ACTIVITY, "volunteer_id": volunteer_id, "code": code}
    return [("check_in", {**payload, "at": came}, None),
            ("check_out", {**payload, "at": left}, None)]


# a volunteer's visit: check-in, then check-out (mostly long enough to earn the hours)
visit = st.builds(attend, volunteer, st.sampled_from([CODE, CODE, CODE, "WRONG1"]), ON_SITE,
                  LEAVING)
issue = st.tuples(st.just("issue_check_in_code"), on_activity(
    code=maybe(st.sampled_from([CODE, CODE, "CY2024"])), at=BEFORE, replace=st.booleans()),
    st.none())
# the organiser's report: mostly well-formed lines (the junk comes with corrections)
served = st.lists(st.fixed_dictionaries({
    "volunteer_id": st.sampled_from(VOLUNTEERS[:4]),
    "hours": st.sampled_from(["2.5", "2", "1.5", "1", "3"])}), max_size=3,
    unique_by=lambda line: line["volunteer_id"])
complete = st.tuples(st.just("complete"), on_activity(
    served=st.one_of(served, served, lines), at=AFTER, audience_reached=maybe(st.integers(0, 80)),
    endorsed=st.sampled_from([False, False, True])), st.none())
correct = st.tuples(st.just("correct_completion"), on_activity(
    corrections=lines, reason=maybe(st.just("签到表核对")),
    beneficiaries=maybe(st.one_of(st.none(), st.integers(0, 30)))), st.none())
# a correction of the counts only, or taking hours back (0) from whoever is listed
recount = st.tuples(st.just("correct_completion"), on_activity(
    corrections=st.lists(st.fixed_dictionaries({"volunteer_id": volunteer,
                                                "hours": st.just("0")}), max_size=2,
                         unique_by=lambda line: str(line["volunteer_id"])),
    reason=st.just("签到表核对"), beneficiaries=st.integers(0, 30)), st.none())
withdraw = st.tuples(st.just("withdraw_sign_up"), on_activity(volunteer_id=volunteer),
                     st.none())
ACTIVITY_COMMANDS = st.one_of(sign_up, attendance, withdraw, issue, complete, correct)
# An activity's life in phases (sign-ups, the code, attendance, completion, corrections),
# each phase with any other command mixed in: sequences that get far, and stray commands.
ACTIVITY_LIVES = st.tuples(
    st.lists(sign_up, min_size=2, max_size=7), st.lists(withdraw, max_size=2),
    st.lists(ACTIVITY_COMMANDS, max_size=3), st.lists(issue, min_size=1, max_size=2),
    st.lists(visit, min_size=1, max_size=4).map(lambda visits: sum(visits, [])),
    st.lists(ACTIVITY_COMMANDS, max_size=3),
    st.lists(complete, max_size=2),
    st.lists(st.one_of(recount, correct, ACTIVITY_COMMANDS), min_size=1, max_size=4),
).map(lambda phases: [command for phase in phases for command in phase])

# a cancellation ends everything, so it comes at most once, somewhere in the sequence
CANCELLATION = st.tuples(st.sampled_from(["cancel", "cancel_publication"]),
                         on_activity(reason=maybe(st.just("台风"))), st.none())

DECISIONS = {
    "withdraw_sign_up": (cmd.WithdrawSignUp, a.withdraw_sign_up),
    "issue_check_in_code": (cmd.IssueCheckInCode, a.issue_check_in_code),
    "check_in": (cmd.CheckIn, a.check_in),
    "check_out": (cmd.CheckOut, a.check_out),
    "complete": (cmd.CompleteActivity, a.complete),
    "correct_completion": (cmd.CorrectCompletion, a.correct_completion),
    "cancel": (cmd.CancelActivity, a.cancel),
    "cancel_publication": (cmd.CancelPublication, a.cancel_publication),
}


def publication(capacity: int) -> dict:
    return {
        "client_request_id": REQUEST, "theme": "rural_revitalisation", "kind": "medical",
        "title": "重阳节银发义诊进社区",
        "organiser": {"kind": "branch", "id": "卫健系统离退休党支部"},
        "county_code": "320902", "place": "文峰街道社区卫生服务中心",
        "starts_at": STARTS.isoformat(), "ends_at": ENDS.isoformat(), "capacity": capacity,
    }


def decide(state: a.Activity | None, action: str, payload: dict, status: str | None
           ) -> Outcome:
    if action == "sign_up":
        return attempt(cmd.SignUp, payload,
                       lambda c: a.sign_up(state, c, CATALOG, volunteer_status=status))
    schema, decision = DECISIONS[action]
    return attempt(schema, payload, lambda c: decision(state, c, CATALOG))


def check_places(before: a.Activity, outcome: Outcome, after: a.Activity) -> None:
    capacity = after.details.capacity
    assert len(after.participants) <= capacity
    assert len(set(after.signed_up)) == len(after.signed_up), "signed up twice"
    assert not after.waitlist or len(after.participants) == capacity, "a place stood free"
    types = [e.type for e in outcome.events]
    if ev.WAITLIST_PROMOTED in types:
        promoted = outcome.events[types.index(ev.WAITLIST_PROMOTED)].data["volunteer_id"]
        assert promoted == before.waitlist[0], "the first in line is promoted"
        assert after.waitlist == before.waitlist[1:]
        assert after.participants[-1] == promoted
    if ev.VOLUNTEER_WAITLISTED in types:
        data = outcome.events[0].data
        assert data["position"] == len(after.waitlist) == len(before.waitlist) + 1


def check_hours(before: a.Activity, outcome: Outcome, after: a.Activity) -> None:
    for volunteer_id, credited in after.credited.items():
        assert credited >= 0
        if credited > 0:
            assert volunteer_id in after.participants
            assert a.uncredited_reason(after, volunteer_id, CATALOG) is None
    for recorded in outcome.events:
        if recorded.type == ev.ACTIVITY_COMPLETED:
            served = sum((Decimal(line["hours"]) for line in recorded.data["served"]),
                         Decimal(0))
            assert Decimal(recorded.data["total_hours"]) == served == after.total_hours
        if recorded.type == ev.COMPLETION_CORRECTED:
            assert Decimal(recorded.data["total_hours"]) == after.total_hours
            for line in recorded.data["corrections"]:
                previous = before.credited.get(line["volunteer_id"], Decimal(0))
                assert Decimal(line["previous_hours"]) == previous
                assert line["new_entry"] == (line["volunteer_id"] not in before.credited)
    for attended in after.attendance.values():
        if attended.checked_out_at is not None:
            assert attended.checked_out_at > attended.checked_in_at


@settings(PROPERTY_SETTINGS, max_examples=40)  # check-in codes are slow hashes on purpose
@given(capacity=st.integers(1, 3), commands=ACTIVITY_LIVES,
       cancelled=st.one_of(st.none(), st.tuples(st.integers(0, 28), CANCELLATION)))
def test_every_activity_command_is_refused_by_a_typed_error_or_folds_consistently(
        capacity, commands, cancelled):
    if cancelled is not None:
        commands = [*commands[:cancelled[0]], cancelled[1], *commands[cancelled[0]:]]
    stream = Stream(f"activity-{ACTIVITY}", ev.CATALOG)
    published = attempt(cmd.PublishActivity, publication(capacity),
                        lambda c: a.publish(None, c, CATALOG))
    stream.append(published.events)
    state = a.replay(published.events)
    assert state is not None
    for action, payload, status in commands:
        before = state
        outcome = decide(state, action, payload, status)
        event(f"{action}: {describe(outcome)}")
        if before.status != a.PUBLISHED and action not in ("correct_completion", "complete"):
            assert outcome.refused is not None, f"{action} on a {before.status} activity"
        stream.append(outcome.events)
        state = a.replay(outcome.events, state)
        assert state is not None
        check_places(before, outcome, state)
        check_hours(before, outcome, state)
    assert a.replay(stream.recorded) == state
    republished = attempt(cmd.PublishActivity, publication(capacity),
                          lambda c: a.publish(state, c, CATALOG))
    assert republished.events == [] and republished.refused is None, "a retry records nothing"


# ---- micro-wishes ----------------------------------------------------------------------------

POSTED = datetime(2023, 10, 1, 9, 0, tzinfo=BEIJING)
WISH_REQUEST = known("王奶奶的助听器")
WISH = wish_id_for(WISH_REQUEST)
COMMUNITY = {"kind": "community", "id": "文峰街道先锋社区"}
BRANCH = {"kind": "branch", "id": "财政局离退休党支部"}
WANG = {"kind": "volunteer", "id": VOLUNTEERS[0]}
wish_moments = st.sampled_from([POSTED + timedelta(days=d) for d in (1, 2, 3, 5, 8, 61)]
                               ).map(datetime.isoformat)
claimants = maybe(st.sampled_from([WANG, BRANCH]))


def on_the_wish(**fields):
    return st.fixed_dictionaries({"wish_id": st.just(WISH), **fields})


WISH_COMMANDS = st.one_of(
    st.tuples(st.just("claim"), on_the_wish(claimant=claimants, at=wish_moments),
              st.sampled_from(STATUSES)),
    st.tuples(st.just("release_claim"), on_the_wish(reason=maybe(st.just("临时住院"))),
              st.none()),
    st.tuples(st.just("fulfil"), on_the_wish(
        fulfilled_by=claimants, at=wish_moments,
        evidence=maybe(st.just(["https://example.cn/p/1.jpg"]))), st.none()),
    st.tuples(st.just("confirm"), on_the_wish(
        confirmed_by=maybe(st.sampled_from([COMMUNITY, BRANCH])), at=wish_moments), st.none()),
    st.tuples(st.just("expire"), st.sampled_from([3, 30, 30, 30, 61]).map(
        lambda days: {"now": (POSTED + timedelta(days=days)).isoformat()}), st.none()),
)
WISH_DECISIONS = {"release_claim": (cmd.ReleaseWishClaim, w.release_claim),
                  "fulfil": (cmd.FulfilWish, w.fulfil),
                  "confirm": (cmd.ConfirmWish, w.confirm)}
NEXT = {w.OPEN: {w.OPEN, w.CLAIMED, w.EXPIRED}, w.CLAIMED: {w.CLAIMED, w.OPEN, w.FULFILLED,
        w.EXPIRED}, w.FULFILLED: {w.FULFILLED, w.CONFIRMED}, w.CONFIRMED: {w.CONFIRMED},
        w.EXPIRED: {w.EXPIRED}}


def decide_wish(state: w.Wish | None, action: str, payload: dict, status: str | None
                ) -> Outcome:
    if action == "claim":
        return attempt(cmd.ClaimWish, payload,
                       lambda c: w.claim(state, c, CATALOG, volunteer_status=status))
    if action == "expire":
        return Outcome(events=w.expired(state, datetime.fromisoformat(payload["now"])))
    schema, decision = WISH_DECISIONS[action]
    return attempt(schema, payload, lambda c: decision(state, c, CATALOG))


@PROPERTY_SETTINGS
@given(commands=st.lists(WISH_COMMANDS, min_size=4, max_size=16))
def test_a_wish_moves_only_along_its_lifecycle_and_folds_consistently(commands):
    stream = Stream(f"wish-{WISH}", ev.CATALOG)
    posted = w.post(None, COMMANDS.load(cmd.PostWish, {
        "client_request_id": WISH_REQUEST, "label": "王奶奶", "county_code": "320902",
        "category": "medical_help", "description": "独居老党员，想配一副助听器",
        "posted_by": COMMUNITY, "at": POSTED.isoformat()}), CATALOG)
    stream.append(posted)
    state = w.replay(posted)
    assert state is not None
    for action, payload, status in commands:
        before = state
        outcome = decide_wish(state, action, payload, status)
        event(f"{action}: {describe(outcome)}")
        stream.append(outcome.events)
        state = w.replay(outcome.events, state)
        assert state is not None
        assert state.status in NEXT[before.status], f"{before.status} → {state.status}"
        if state.claimed_at and state.fulfilled_at:
            assert state.fulfilled_at >= state.claimed_at
        if state.status == w.CONFIRMED:
            assert state.confirmed_at and state.fulfilled_at
            assert state.confirmed_at >= state.fulfilled_at
            assert state.seconds_to_fulfil == int((state.confirmed_at - state.posted_at)
                                                  .total_seconds()) >= 0
    assert w.replay(stream.recorded) == state
