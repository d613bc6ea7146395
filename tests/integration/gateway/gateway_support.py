"""Helpers of the gateway's integration tests: an HTTP client, the platform, test data."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import requests

from contracts.volunteers.id_number import make_id_number
from gateway.accounts.book import AccountBook, DirectStreams
from gateway.service import GatewayWebServer

ADMIN_PASSWORD = "city-admin-password-1"
TINGHU, DAFENG = "320902", "320904"
EDUCATION = "3209A03"  # 市教育局, a city agency (市直单位)


def gateway_config(amqp_uri: str, mongo_uri: str, prefix: str, **extra) -> dict:
    return {
        "AMQP_URI": amqp_uri, "MONGO_URI": mongo_uri, "DB_PREFIX": prefix,
        "serializer": "json",
        "WEB_SERVER_ADDRESS": "127.0.0.1:0",  # any free port: see `listening_on`
        "GATEWAY_RATE": 10_000, "GATEWAY_BURST": 10_000, "GATEWAY_RPC_TIMEOUT": 5,
        **extra,
    }


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


def listening_on(container) -> str:
    """The address the gateway's web server took (it was asked for port 0: no race with
    other processes for a port picked in advance)."""
    server = next(e for e in container.extensions if isinstance(e, GatewayWebServer))
    host, port = server._sock.getsockname()[:2]
    return f"{host}:{port}"


class Platform:
    def __init__(self, config: dict, db, address: str) -> None:
        self.config = config
        self.db = db
        self.base = "http://" + address
        self.anonymous = Api(self.base)

    def open_account(self, username: str, role: str, password: str = ADMIN_PASSWORD,
                     **scope) -> Api:
        """An account opened straight in the gateway's store (as `yinfa-create-admin`)."""
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


def team_body(county: str = TINGHU) -> dict:
    return {"name": "亭湖区理论宣讲队", "category": "theory_outreach", "county_code": county}


def branch_body(county: str = TINGHU) -> dict:
    return {"name": "亭湖区机关离退休干部党支部", "branch_type": "formal", "level": "branch",
            "county_code": county, "former_employer": "亭湖区机关事务管理局",
            "secretary": "李秀英", "established_on": "2021-03-01"}


def activity_body(county: str = TINGHU) -> dict:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    return {"theme": "party_story", "kind": "talk", "title": "红色故事进社区",
            "organiser": {"kind": "bureau", "id": f"county-{county}"},
            "county_code": county, "place": "新时代文明实践站",
            "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(),
            "capacity": 20}


def wish_body(county: str = TINGHU) -> dict:
    return {"label": "王奶奶", "county_code": county, "category": "home_repair",
            "description": "厨房水管漏水，想请人修一修",
            "posted_by": {"kind": "community", "id": "community-wuxing"}}
