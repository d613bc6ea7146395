"""The account aggregate and the roles' scoping rules (pure)."""
from __future__ import annotations

import pytest

from gateway.accounts import account
from gateway.problem import Problem
from gateway.roles import Principal, check_county, county_filter, may_reveal
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound

FEED = {"role": "feed_client"}


def opened(command: dict) -> account.Account:
    state = account.fold(account.open_account(None, command))
    assert state is not None
    return state


def test_a_username_is_taken_once():
    state = opened(FEED)
    with pytest.raises(AlreadyExists):
        account.open_account(state, FEED)


def test_api_keys_are_issued_to_feed_clients_and_revoked():
    state = opened(FEED)
    events = account.issue_api_key(state, "a" * 16, "d" * 64, "大屏")
    state = account.fold([*account.open_account(None, FEED), *events])
    assert state is not None and "a" * 16 in state.api_keys
    revoked = account.revoke_api_key(state, "a" * 16)
    assert revoked[0].type == "ApiKeyRevoked"
    with pytest.raises(NotFound):
        account.revoke_api_key(state, "b" * 16)


def test_people_do_not_get_api_keys_and_closed_accounts_change_no_more():
    person = opened({"role": "volunteer", "county_code": "320902", "volunteer_id": "v"})
    with pytest.raises(DomainRuleViolated):
        account.issue_api_key(person, "a" * 16, "d" * 64, "x")
    closed = account.fold([*account.open_account(None, FEED),
                           *account.close_account(opened(FEED), "离职")])
    assert closed is not None and not closed.active
    with pytest.raises(DomainRuleViolated):
        account.set_password(closed)


CITY = Principal("city", "city_admin")
TINGHU = Principal("th", "county_admin", county_code="320902")
VOLUNTEER = Principal("v", "volunteer", county_code="320902", volunteer_id="v1")


def test_a_county_bound_caller_sees_only_its_county():
    assert county_filter(TINGHU, None) == "320902"
    assert county_filter(CITY, None) is None
    with pytest.raises(Problem) as caught:
        county_filter(TINGHU, "320904")
    assert caught.value.status == 404
    with pytest.raises(Problem):
        check_county(TINGHU, "320904")
    check_county(CITY, "320904")


def test_personal_data_is_revealed_to_the_city_the_county_and_the_person():
    assert may_reveal(CITY, "320904", "x")
    assert may_reveal(TINGHU, "320902", "x") and not may_reveal(TINGHU, "320904", "x")
    assert may_reveal(VOLUNTEER, "320902", "v1") and not may_reveal(VOLUNTEER, "320902", "v2")
    assert not may_reveal(Principal("s", "branch_secretary", "320902", "b"), "320902", "x")
