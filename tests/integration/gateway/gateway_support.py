"""Helpers of the gateway's integration tests: an HTTP client, the platform, test data."""
from __future__ import annotations

from datetime import date

import requests

from gateway.accounts.book import AccountBook, DirectStreams
from services.volunteers.domain.id_number import make_id_number

ADMIN_PASSWORD = "city-admin-password-1"
TINGHU, DAFENG = "320902", "320904"


class Api:
    """A tiny HTTP client of one running gateway, with a bearer token when logged in."""

    def __init__(self, base: str, token: str | None = None, headers: dict | None = None):
        self.base = base
        self.session = requests.Session()
        self.session.headers.update(headers or {})
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, self.base + path, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json=None, **kwargs) -> requests.Response:
        return self.request("POST", path, json=json, **kwargs)

    def login(self, username: str, password: str) -> Api:
        answer = self.post("/auth/login", {"username": username, "password": password})
        assert answer.status_code == 200, answer.text
        return Api(self.base, answer.json()["access_token"])


class Platform:
    def __init__(self, config: dict, db) -> None:
        self.config = config
        self.db = db
        self.base = "http://" + config["WEB_SERVER_ADDRESS"]
        self.anonymous = Api(self.base)

    def open_account(self, username: str, role: str, password: str = ADMIN_PASSWORD,
                     **scope) -> Api:
        """An account opened straight in the gateway's store (as `yinfa create-admin`)."""
        book = AccountBook(self.db, DirectStreams(self.db, actor="test"))
        book.open({"username": username, "password": password, "role": role, **scope})
        return self.anonymous.login(username, password)


_seq = iter(range(1, 100_000))


def registration(county: str = TINGHU, **overrides) -> dict:
    """A valid registration of a new person (a fresh ID number each call)."""
    seq = next(_seq)
    body = {
        "name": "王建国", "gender": "男", "birth_year": 1956,
        "id_number": make_id_number(county, date(1956, 3, 8), (seq * 2 + 1) % 1000),
        "phone": "13812345678", "county_code": county, "retirement_status": "退休",
        "party_member": True,
    }
    body.update(overrides)
    return body
