"""Who may join a branch is what the volunteers service's events said, over RabbitMQ."""
from __future__ import annotations

from datetime import date

import pytest
from branch_service_examples import FINANCE, TINGHU, ids

from contracts.volunteers.id_number import make_id_number
from services.branches.directory import VolunteerDirectory
from services.branches.service import BranchesService
from services.volunteers.service import VolunteersService
from yinfa.errors import DomainRuleViolated


@pytest.fixture
def platform(runner_factory, platform_config, mongo_client, rpc_proxy):
    """Both services in one runner, each in its own database."""
    runner = runner_factory(platform_config, VolunteersService, BranchesService)
    runner.start()
    yield (rpc_proxy("volunteers"), rpc_proxy("branches"),
           mongo_client[f"{platform_config['DB_PREFIX']}_branches"])
    runner.stop()  # before platform_config drops the databases


def test_a_volunteer_withdrawn_in_the_volunteers_service_cannot_join_a_branch(
    platform, eventually
):
    volunteers, branches, branches_db = platform
    replica = VolunteerDirectory(branches_db)
    for name in (FINANCE, "教育局离退休干部党支部"):
        branches.establish_branch({"branch_id": ids(name), "name": name, "branch_type": "建制性",
                                   "level": "支部", "county_code": TINGHU,
                                   "former_employer": name[:3], "established_on": "2021-03-01"})
    volunteer_id = volunteers.register_volunteer({
        "name": "王建国", "gender": "男", "birth_year": 1956,
        "id_number": make_id_number(TINGHU, date(1956, 3, 8), 3), "phone": "13812345678",
        "county_code": TINGHU, "retirement_status": "退休", "party_member": True,
    })["volunteer_id"]

    eventually(lambda: replica.status(volunteer_id) == "registered")
    joined = branches.add_member({"branch_id": ids(FINANCE), "volunteer_id": volunteer_id})
    assert joined["members"] == [volunteer_id]

    volunteers.withdraw_volunteer({"volunteer_id": volunteer_id, "reason_code": "deceased"})
    eventually(lambda: replica.status(volunteer_id) == "withdrawn")

    with pytest.raises(DomainRuleViolated) as refused:
        branches.add_member({"branch_id": ids("教育局离退休干部党支部"),
                             "volunteer_id": volunteer_id})
    assert refused.value.field == "volunteer_id"
    assert branches.get_branch(ids("教育局离退休干部党支部"))["members"] == []
