"""Password guessing spread over two gateway processes (`yinfa run gateway` twice, one
store) is stopped as if it went to one: the failures are counted in the store."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

from ops_support import free_ports, get
from pymongo import MongoClient

from gateway.accounts.book import AccountBook, DirectStreams

PASSWORD = "a-good-password-2026"


def login(port: int, password: str) -> int:
    body = json.dumps({"username": "guessed", "password": password}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/auth/login", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code


def test_ten_wrong_passwords_over_two_gateway_processes_lock_the_account_on_both(
        ops_env, yinfa_process, wait_for, mongo_uri):
    gateway_db = MongoClient(mongo_uri)[f"{ops_env['YINFA_DB_PREFIX']}_gateway"]
    AccountBook(gateway_db, DirectStreams(gateway_db, actor="test")).open(
        {"username": "guessed", "password": PASSWORD, "role": "county_admin",
         "county_code": "320902"})
    ports = []
    for name in ("gateway-a", "gateway-b"):
        api, ops = free_ports(1), free_ports(1)
        yinfa_process(name, ["run", "gateway"], {
            **ops_env, "YINFA_GATEWAY_ADDRESS": f"127.0.0.1:{api}", "YINFA_OPS_PORT": str(ops)})
        wait_for(lambda ops=ops: get(f"http://127.0.0.1:{ops}/health/ready")[0] == 200,
                 what=f"{name} ready")
        ports.append(api)

    assert login(ports[0], PASSWORD) == 200
    for attempt in range(10):
        assert login(ports[attempt % 2], f"wrong-{attempt}-password") == 401
    assert [login(port, PASSWORD) for port in ports] == [429, 429]
