"""Two platforms on one machine, each its own city: Yancheng (3209) and a Nantong (3206),
each a `yinfa run volunteers` process with its own broker vhost, databases, city file,
secrets and transfer key, each trusting the other. Yancheng releases a volunteer with a
signed transfer package; Nantong imports it once, with the history carried; a package
changed in any byte, from a city it does not trust, for another city, oversize, or of a
person already serving there is refused and changes nothing."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlparse

import pytest
import yaml
from nameko.standalone.rpc import ClusterRpcProxy
from ops_support import free_ports

import yinfa.service.remote_errors  # noqa: F401 - the services' errors as themselves
from contracts.volunteers.city_transfer_record import MAX_PACKAGE_BYTES, PACKAGE_KIND
from contracts.volunteers.id_number import make_id_number
from contracts.volunteers.replies import CityTransferPackage, Volunteer
from yinfa.city_packages import CityKeys, TrustedCity, new_secret, seal_package
from yinfa.errors import AlreadyExists, DomainRuleViolated, ValidationFailed
from yinfa.secrets import key_material

YANCHENG, NANTONG, SUZHOU = "3209", "3206", "3205"
TINGHU, CHONGCHUAN = "320902", "320602"
WANG_ID = make_id_number(TINGHU, date(1956, 10, 1), 123)
LI_ID = make_id_number(TINGHU, date(1958, 2, 3), 124)


def registration(id_number: str, name: str) -> dict:
    return {"name": name, "gender": "男" if int(id_number[16]) % 2 else "女",
            "birth_year": int(id_number[6:10]), "id_number": id_number,
            "phone": "13812345678", "county_code": TINGHU, "retirement_status": "退休",
            "party_member": True, "skills": ["law"]}


@pytest.fixture
def cities(tmp_path, ops_env, rabbit_config, vhost_pipeline, mongo_db, yinfa_process,
           wait_for):
    """{city code: RPC config} of the two running platforms."""
    secrets = {YANCHENG: new_secret(), NANTONG: new_secret()}
    public = {code: CityKeys.from_secret(key_material(s)).public()
              for code, s in secrets.items()}
    names = {YANCHENG: "盐城市", NANTONG: "南通市"}
    for here, there in ((YANCHENG, NANTONG), (NANTONG, YANCHENG)):
        (tmp_path / f"trust_{here}.yaml").write_text(yaml.safe_dump({"cities": [
            {"code": there, "name": names[there], **public[there]}]}, allow_unicode=True))
    (tmp_path / "nantong.yaml").write_text(yaml.safe_dump({
        "city": {"code": NANTONG, "name": "南通市", "timezone": "Asia/Shanghai"},
        "counties": [
            {"code": CHONGCHUAN, "name": "崇川区", "kind": "district", "retired_cadres": 4000,
             "party_branches": 100},
            {"code": "320612", "name": "通州区", "kind": "district", "retired_cadres": 3000,
             "party_branches": 80}]}, allow_unicode=True))
    broker = urlparse(rabbit_config["AMQP_URI"])
    with vhost_pipeline.get() as nantong_vhost:
        uris = {YANCHENG: rabbit_config["AMQP_URI"],
                NANTONG: f"{broker.scheme}://{broker.netloc}/{nantong_vhost}"}
        envs = {
            YANCHENG: {**ops_env, "YINFA_TRANSFER_KEY": secrets[YANCHENG],
                       "YINFA_TRANSFER_TRUST": str(tmp_path / f"trust_{YANCHENG}.yaml")},
            NANTONG: {**ops_env, "AMQP_URI": uris[NANTONG],
                      "YINFA_DB_PREFIX": f"{mongo_db.name}_nantong",
                      "YINFA_REFERENCE_CITY": str(tmp_path / "nantong.yaml"),
                      "YINFA_ID_SECRET": new_secret(), "YINFA_MASTER_KEY": new_secret(),
                      "YINFA_TRANSFER_KEY": secrets[NANTONG],
                      "YINFA_TRANSFER_TRUST": str(tmp_path / f"trust_{NANTONG}.yaml")},
        }
        configs, processes = {}, []
        for code, env in envs.items():
            processes.append(yinfa_process(f"volunteers-{code}", ["run", "volunteers"],
                                           {**env, "YINFA_OPS_PORT": str(free_ports(1))}))
            configs[code] = {"AMQP_URI": uris[code], "serializer": "json"}
        for code, config in configs.items():
            with ClusterRpcProxy(config, timeout=60) as cluster:
                wait_for(lambda cluster=cluster: _healthy(cluster), what=f"{code} up")
        yield configs
        for process in processes:  # before Nantong's vhost goes
            process.send_signal(signal.SIGTERM)
            process.wait(15)


def _healthy(cluster) -> bool:
    try:
        cluster.volunteers.health()
        return True
    except Exception:  # noqa: BLE001 - not up yet
        return False


def served_volunteer(volunteers, id_number: str, name: str) -> str:
    """Registered in 亭湖区, verified, 120 hours served, one star approved, in a team."""
    vid = volunteers.register_volunteer(registration(id_number, name))["volunteer_id"]
    volunteers.verify_volunteer({"volunteer_id": vid, "county_code": TINGHU})
    volunteers.record_hours_batch({"volunteer_id": vid, "entries": [
        {"entry_id": str(uuid.uuid4()), "hours": 24, "served_on": f"2026-0{n + 1}-15",
         "source": "bureau"} for n in range(5)]})
    volunteers.approve_star_level({"volunteer_id": vid, "level": 1, "approver": "county"})
    team = volunteers.create_team({"name": "亭湖区法律服务队", "category": "theory_outreach",
                                   "county_code": TINGHU})
    volunteers.join_team({"team_id": team["team_id"], "volunteer_id": vid})
    return vid


def test_a_package_round_trips_between_two_cities_and_a_tampered_one_is_refused(cities):
    with ClusterRpcProxy(cities[YANCHENG], timeout=30) as yancheng, \
            ClusterRpcProxy(cities[NANTONG], timeout=30) as nantong:
        wang = served_volunteer(yancheng.volunteers, WANG_ID, "王建国")
        released = yancheng.volunteers.transfer_out_of_city(
            {"volunteer_id": wang, "to_city": NANTONG, "acting_county": TINGHU})
        package = released["package"]
        assert "王建国" not in package and WANG_ID not in package  # encrypted

        left = yancheng.volunteers.get_volunteer(wang)
        assert left["status"] == "transferred_out" and left["transferred_to"] == NANTONG
        assert left["total_hours"] == "120.0"  # the record stays, hours where served
        with pytest.raises(Exception, match="transferred_out"):
            yancheng.volunteers.record_hours({"volunteer_id": wang,
                                              "entry_id": str(uuid.uuid4()),
                                              "hours": 2, "served_on": "2026-11-01",
                                              "source": "bureau"})
        again = yancheng.volunteers.transfer_out_of_city(
            {"volunteer_id": wang, "to_city": NANTONG})  # the download was lost
        assert again["package_id"] == released["package_id"]

        for position in (10, len(package) // 2, len(package) - 20):
            tampered = package[:position] + chr(ord(package[position]) ^ 1) + \
                package[position + 1:]
            with pytest.raises(ValidationFailed) as refused:
                nantong.volunteers.transfer_in_from_city(
                    {"package": tampered, "county_code": CHONGCHUAN})
            assert "package" in refused.value.errors
        assert nantong.volunteers.list_volunteers()["total"] == 0  # nothing changed

        arrived = nantong.volunteers.transfer_in_from_city(
            {"package": package, "county_code": CHONGCHUAN})

        assert arrived["county_code"] == CHONGCHUAN and arrived["status"] == "verified"
        assert arrived["name"] == "王建国" and arrived["transferred_from"] == YANCHENG
        assert arrived["total_hours"] == "0"  # none served here
        assert arrived["carried_hours"] == "120.0"
        assert arrived["verified_hours"] == "120.0" and arrived["star_level"] == 1
        revealed = nantong.volunteers.get_volunteer(arrived["volunteer_id"], reveal=True)
        assert revealed["id_number"] == WANG_ID
        assert arrived["volunteer_id"] != wang  # each city names its people itself

        twice = nantong.volunteers.transfer_in_from_city(
            {"package": package, "county_code": CHONGCHUAN})
        assert twice == arrived  # the same package again creates nothing
        assert nantong.volunteers.list_volunteers()["total"] == 1

        # the answers are as published; the views rebuilt from the log are the live ones
        CityTransferPackage().load(released)
        Volunteer().load(arrived)
        Volunteer().load(left)
        for city, vid in ((nantong, arrived["volunteer_id"]), (yancheng, wang)):
            live = city.volunteers.get_volunteer(vid)
            city.volunteers.rebuild_views()
            assert city.volunteers.get_volunteer(vid) == live


def test_refusals_change_nothing(cities):
    with ClusterRpcProxy(cities[YANCHENG], timeout=30) as yancheng, \
            ClusterRpcProxy(cities[NANTONG], timeout=30) as nantong:
        li = served_volunteer(yancheng.volunteers, LI_ID, "李秀英")
        with pytest.raises(ValidationFailed, match="to_city|invalid"):  # not trusted
            yancheng.volunteers.transfer_out_of_city({"volunteer_id": li,
                                                      "to_city": SUZHOU})
        assert yancheng.volunteers.get_volunteer(li)["status"] == "active"

        # a city Nantong does not trust, and a package sealed for Suzhou
        stranger = CityKeys.from_secret(key_material(new_secret()))
        now = datetime.now(UTC)
        for sender, to in ((SUZHOU, NANTONG), (YANCHENG, SUZHOU)):
            forged = seal_package(b"{}", kind=PACKAGE_KIND, sender=sender, keys=stranger,
                                  recipient=TrustedCity.of(to, "某市", **stranger.public()),
                                  created_at=now, expires_at=now + timedelta(days=1))
            with pytest.raises(ValidationFailed):
                nantong.volunteers.transfer_in_from_city(
                    {"package": forged.decode(), "county_code": CHONGCHUAN})
        with pytest.raises(ValidationFailed):  # oversize
            nantong.volunteers.transfer_in_from_city(
                {"package": "x" * (MAX_PACKAGE_BYTES + 1), "county_code": CHONGCHUAN})
        with pytest.raises(ValidationFailed):  # malformed
            nantong.volunteers.transfer_in_from_city(
                {"package": json.dumps({"format": "yinfa.city-package"}),
                 "county_code": CHONGCHUAN})

        # the person already serves in Nantong: the package is refused
        nantong.volunteers.register_volunteer({**registration(LI_ID, "李秀英"),
                                               "county_code": CHONGCHUAN})
        package = yancheng.volunteers.transfer_out_of_city(
            {"volunteer_id": li, "to_city": NANTONG})["package"]
        with pytest.raises(AlreadyExists):
            nantong.volunteers.transfer_in_from_city(
                {"package": package, "county_code": CHONGCHUAN})
        assert nantong.volunteers.list_volunteers()["total"] == 1


def test_the_commands_release_and_import_a_package(cities, ops_env, tmp_path):
    """`yinfa transfer-out` (as the city) writes the package; `yinfa transfer-in` imports
    it in the receiving city; a second run imports nobody twice."""
    zhao_id = make_id_number(TINGHU, date(1955, 5, 5), 125)
    with ClusterRpcProxy(cities[YANCHENG], timeout=30) as yancheng, \
            ClusterRpcProxy(cities[NANTONG], timeout=30) as nantong:
        zhao = served_volunteer(yancheng.volunteers, zhao_id, "赵德明")
        package = tmp_path / "zhao.json"

        def yinfa(city: str, *args: str) -> subprocess.CompletedProcess:
            return subprocess.run([sys.executable, "-m", "yinfa.cli", *args],
                                  env={**ops_env, "AMQP_URI": cities[city]["AMQP_URI"]},
                                  capture_output=True, text=True, timeout=120)

        out = yinfa(YANCHENG, "transfer-out", zhao, "--to-city", NANTONG, "-o", str(package))
        assert out.returncode == 0, out.stderr
        assert f"released {zhao} to city {NANTONG}" in out.stdout
        first = yinfa(NANTONG, "transfer-in", str(package), "--county", CHONGCHUAN)
        again = yinfa(NANTONG, "transfer-in", str(package), "--county", CHONGCHUAN)

        assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
        assert "120.0 hours carried" in first.stdout and first.stdout == again.stdout
        page = nantong.volunteers.list_volunteers(county_code=CHONGCHUAN)
        assert [v["name"] for v in page["items"]] == ["赵德明"]
        package.write_text(package.read_text().replace('"3206"', '"3205"'))
        refused = yinfa(NANTONG, "transfer-in", str(package), "--county", CHONGCHUAN)
        assert refused.returncode == 1 and "refused" in refused.stderr


def test_back_from_the_other_city_the_record_left_here_stands_again(cities):
    """Yancheng → Nantong → Yancheng: the record Yancheng kept comes back in the county
    that released it, its own hours as they were, the hours served in Nantong carried."""
    sun_id = make_id_number(TINGHU, date(1954, 8, 8), 127)
    with ClusterRpcProxy(cities[YANCHENG], timeout=30) as yancheng, \
            ClusterRpcProxy(cities[NANTONG], timeout=30) as nantong:
        sun = served_volunteer(yancheng.volunteers, sun_id, "孙志强")
        there = nantong.volunteers.transfer_in_from_city({
            "package": yancheng.volunteers.transfer_out_of_city(
                {"volunteer_id": sun, "to_city": NANTONG})["package"],
            "county_code": CHONGCHUAN})["volunteer_id"]
        nantong.volunteers.record_hours({"volunteer_id": there, "entry_id": str(uuid.uuid4()),
                                         "hours": 5, "served_on": "2026-10-01",
                                         "source": "bureau"})
        package = nantong.volunteers.transfer_out_of_city(
            {"volunteer_id": there, "to_city": YANCHENG, "acting_county": CHONGCHUAN}
        )["package"]

        with pytest.raises(DomainRuleViolated, match=TINGHU):  # another county than its own
            yancheng.volunteers.transfer_in_from_city({"package": package,
                                                       "county_code": "320903"})
        home = yancheng.volunteers.transfer_in_from_city({"package": package,
                                                          "county_code": TINGHU})

        assert home["volunteer_id"] == sun and home["status"] == "active"
        assert home["total_hours"] == "120.0" and home["carried_hours"] == "5.0"
        assert home["verified_hours"] == "125.0" and home["star_level"] == 1
        assert home["transferred_from"] == NANTONG and home["transferred_to"] is None
        assert yancheng.volunteers.get_volunteer(sun, reveal=True)["id_number"] == sun_id
        left = nantong.volunteers.get_volunteer(there)
        assert left["status"] == "transferred_out" and left["total_hours"] == "5.0"


def test_hours_a_merge_handed_the_record_travel_with_it(cities):
    """A duplicate record merged into the survivor: its hours count for the survivor,
    and they travel in the survivor's package."""
    qian_id = make_id_number(TINGHU, date(1953, 3, 3), 129)
    typo_id = make_id_number(TINGHU, date(1953, 3, 3), 131)  # the same person, mistyped
    with ClusterRpcProxy(cities[YANCHENG], timeout=30) as yancheng, \
            ClusterRpcProxy(cities[NANTONG], timeout=30) as nantong:
        qian = served_volunteer(yancheng.volunteers, qian_id, "钱玉兰")
        typo = yancheng.volunteers.register_volunteer(
            registration(typo_id, "钱玉兰"))["volunteer_id"]
        yancheng.volunteers.record_hours({"volunteer_id": typo, "entry_id": str(uuid.uuid4()),
                                          "hours": 6, "served_on": "2026-07-01",
                                          "source": "bureau"})
        yancheng.volunteers.merge_volunteers({"volunteer_id": qian, "duplicate_id": typo,
                                              "reason": "同一人重复登记"})
        assert yancheng.volunteers.get_volunteer(qian)["total_hours"] == "126.0"

        arrived = nantong.volunteers.transfer_in_from_city({
            "package": yancheng.volunteers.transfer_out_of_city(
                {"volunteer_id": qian, "to_city": NANTONG})["package"],
            "county_code": CHONGCHUAN})

        assert arrived["carried_hours"] == "126.0"
