"""Accounts that cannot lock the city out, through the gateway (a platform of its own: this
module closes the city administrator's account)."""
from __future__ import annotations

import pytest
from test_gateway_http import assert_problem

from gateway.accounts.book import AccountBook, DirectStreams
from yinfa.errors import DomainRuleViolated


def test_no_one_closes_their_own_account_nor_the_last_city_admin(platform, city):
    closed = city.post("/accounts/city/close", {"reason": "离任"})
    assert_problem(closed, 409)
    second = platform.open_account("sec-city-2", "city_admin")
    assert_problem(second.post("/accounts/sec-city-2/close", {"reason": "离任"}), 409)
    assert second.post("/accounts/city/close", {"reason": "离任"}).status_code == 200
    assert_problem(second.post("/accounts/city/close", {"reason": "again"}), 409)
    book = AccountBook(platform.db, DirectStreams(platform.db, actor="test"))
    with pytest.raises(DomainRuleViolated, match="last city administrator"):
        book.close("sec-city-2", "离任", closed_by="someone-else")
    assert second.get("/me").status_code == 200
