"""Factories for the activities unit tests. Our usual activity is the Double Ninth Festival
free clinic (重阳节义诊) of a 亭湖区 retirees' branch: 23 October 2023, 09:00–11:30 Beijing
time, two places. Our volunteers are 王建国, 李秀英, 张志强 and 赵桂兰."""
from __future__ import annotations

import pytest
from activities_examples import (
    ACTIVITY_ID,
    CLINIC_REQUEST,
    CODE,
    COMMUNITY,
    TINGHU,
    WANG,
    WISH_ID,
    WISH_REQUEST,
    bj,
)

from contracts.activities.catalog import load_activity_catalog
from services.activities.domain import activity as a, commands as c, wish as w
from yinfa.service.commands import build

# the command each decision takes, built from the fields a test gives
COMMAND_OF = {
    a.publish: c.PublishActivity, a.cancel_publication: c.CancelPublication,
    a.cancel: c.CancelActivity, a.sign_up: c.SignUp, a.withdraw_sign_up: c.WithdrawSignUp,
    a.issue_check_in_code: c.IssueCheckInCode, a.check_in: c.CheckIn, a.check_out: c.CheckOut,
    a.complete: c.CompleteActivity, a.correct_completion: c.CorrectCompletion,
    w.post: c.PostWish, w.claim: c.ClaimWish, w.release_claim: c.ReleaseWishClaim,
    w.fulfil: c.FulfilWish, w.confirm: c.ConfirmWish,
}


def command_for(command_fn, fields):
    return build(COMMAND_OF[command_fn], fields)


@pytest.fixture
def catalog():
    return load_activity_catalog()


@pytest.fixture
def publication():
    def make(**overrides):
        return {
            "client_request_id": CLINIC_REQUEST,
            "theme": "rural_revitalisation",
            "kind": "medical",
            "title": "重阳节银发义诊进社区",
            "description": "老专家为社区老人量血压、讲慢病防治",
            "organiser": {"kind": "branch", "id": "亭湖区卫健系统离退休党支部"},
            "county_code": TINGHU,
            "place": "文峰街道社区卫生服务中心",
            "starts_at": bj(23, 9),
            "ends_at": bj(23, 11, 30),
            "capacity": 2,
            "team_only": False,
            "team_id": None,
            **overrides,
        }

    return make


@pytest.fixture
def decide(catalog):
    """Run a command (given by its fields) on an activity; return (events, state after)."""

    def run(state, command_fn, fields, *args, using=None):
        if command_fn is not a.publish:
            fields = {"activity_id": ACTIVITY_ID, **fields}
        events = command_fn(state, command_for(command_fn, fields), using or catalog, *args)
        return events, a.replay(events, state)

    return run


@pytest.fixture
def activity(publication, decide):
    """An activity with sign-ups (in order, active volunteers), an issued check-in code, and
    attendance given as {volunteer: (check-in, check-out or None)}."""

    def make(*volunteers, attended=None, code=None, using=None, **details):
        _, state = decide(None, a.publish, publication(**details), using=using)
        for volunteer_id in volunteers:
            _, state = decide(state, a.sign_up, {"volunteer_id": volunteer_id, "at": bj(20, 10)},
                              "active", (), using=using)
        if code or attended:
            _, state = decide(state, a.issue_check_in_code,
                              {"code": code or CODE, "at": bj(23, 8)}, using=using)
        for volunteer_id, (came, left) in (attended or {}).items():
            _, state = decide(state, a.check_in,
                              {"volunteer_id": volunteer_id, "code": CODE, "at": came}, using=using)
            if left is not None:
                _, state = decide(state, a.check_out, {"volunteer_id": volunteer_id,
                                                       "code": CODE, "at": left}, using=using)
        return state

    return make


@pytest.fixture
def whole_morning():
    """Attendance covering the whole clinic."""
    return bj(23, 8, 50), bj(23, 11, 40)


@pytest.fixture
def posting():
    def make(**overrides):
        return {
            "client_request_id": WISH_REQUEST,
            "label": "王奶奶",
            "county_code": TINGHU,
            "category": "medical_help",
            "description": "独居老党员，想配一副助听器",
            "posted_by": COMMUNITY,
            "at": bj(1, 9),
            **overrides,
        }

    return make


@pytest.fixture
def on_wish(catalog):
    """Run a command (given by its fields) on a wish; return (events, state after them)."""

    def run(state, command_fn, fields, *args):
        if command_fn is not w.post:
            fields = {"wish_id": WISH_ID, **fields}
        events = command_fn(state, command_for(command_fn, fields), catalog, *args)
        return events, w.replay(events, state)

    return run


@pytest.fixture
def wish(posting, on_wish):
    """A wish posted on 1 October, taken as far as `status` (claimed by 王建国)."""

    def make(status=w.OPEN, claimant=None):
        claimant = claimant or {"kind": "volunteer", "id": WANG}
        _, state = on_wish(None, w.post, posting())
        if status == w.OPEN:
            return state
        _, state = on_wish(state, w.claim, {"claimant": claimant, "at": bj(2, 10)}, "active")
        if status == w.CLAIMED:
            return state
        _, state = on_wish(state, w.fulfil, {"fulfilled_by": claimant, "at": bj(5, 15),
                                             "evidence": ["https://example.cn/p/1.jpg"]})
        if status == w.FULFILLED:
            return state
        _, state = on_wish(state, w.confirm, {"confirmed_by": COMMUNITY, "at": bj(6, 9)})
        return state

    return make
