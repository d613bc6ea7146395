"""A roster import whose process is killed (SIGKILL) between writing the personal data and
the registrations, or right after the registrations, then run again: every person is
registered with their personal data, and the reconciliation finds nobody without it."""
from __future__ import annotations

from datetime import date

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from ops_support import free_ports

from contracts.volunteers.id_number import make_id_number

ROSTER = [{"name": "东方建华", "gender": "男", "birth_year": 1955,
           "id_number": make_id_number("320902", date(1955, 4, 1), 2 * n + 1),
           "phone": f"1370000{n:04d}", "county_code": "320902", "retirement_status": "退休",
           "party_member": True} for n in range(12)]


@pytest.mark.parametrize("failpoint", ["roster.after_personal_data", "roster.after_commits"])
def test_a_roster_rerun_after_a_kill_leaves_everyone_with_personal_data(
        ops_env, yinfa_process, wait_for, failpoint):
    config = {"AMQP_URI": ops_env["AMQP_URI"], "serializer": "json"}
    crashing = yinfa_process("crashing", ["run", "volunteers"], {
        **ops_env, "YINFA_FAILPOINTS": failpoint, "YINFA_OPS_PORT": str(free_ports(1))})
    with ClusterRpcProxy(config, timeout=60) as cluster:
        wait_for(lambda: _healthy(cluster), what="volunteers up")
        with ClusterRpcProxy(config, timeout=10) as doomed, pytest.raises(Exception):  # noqa: B017
            doomed.volunteers.register_volunteers(ROSTER)  # no answer comes: killed
        assert crashing.wait(30) == -9
        yinfa_process("volunteers", ["run", "volunteers"], {
            **ops_env, "YINFA_OPS_PORT": str(free_ports(1))})
        wait_for(lambda: _healthy(cluster), what="volunteers up again")
        statuses = {r["status"] for r in cluster.volunteers.register_volunteers(
            ROSTER)["results"]}
        assert statuses <= {"created", "exists"}
        assert cluster.volunteers.volunteers_without_personal_data() == []
        page = cluster.volunteers.list_volunteers(county_code="320902", limit=100)
        assert page["total"] == len(ROSTER)
        assert {v["name"] for v in page["items"]} == {"东方建华"}


def _healthy(cluster) -> bool:
    try:
        cluster.volunteers.health()
        return True
    except Exception:  # noqa: BLE001 - not up yet
        return False
