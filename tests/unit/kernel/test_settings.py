"""Settings: read from the environment in yinfa/config.py alone, checked when read, and
every variable in the README's settings table."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from yinfa.config import SettingError, load_settings, settings

ROOT = Path(__file__).resolve().parents[3]
PRODUCTION = ("yinfa", "gateway", "services", "contracts")
SETTINGS_MODULE = Path("yinfa/config.py")
NOT_YET: set[Path] = set()  # modules that still read the environment themselves
ENVIRONMENT_READ = re.compile(r"os\.environ|\bgetenv\b|from os import [^\n]*\benviron")
# read by click (`envvar=`), not through the settings
READ_BY_COMMAND_LINE = {"YINFA_ADMIN_PASSWORD"}


class Recording(dict):
    """An environment that notes every variable asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, name, default=None):
        self.asked.add(name)
        return super().get(name, default)


def variables_read() -> set[str]:
    env = Recording()
    load_settings(env)
    return env.asked


def readme_variables() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Settings (environment)", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {name for cell in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cell)}


def test_no_module_but_the_settings_reads_the_environment():
    readers = {path.relative_to(ROOT) for package in PRODUCTION
               for path in (ROOT / package).rglob("*.py")
               if ENVIRONMENT_READ.search(path.read_text(encoding="utf-8"))}
    assert readers - NOT_YET == {SETTINGS_MODULE}, "read it through yinfa.config.settings()"


def test_the_readme_lists_every_variable_and_no_other():
    assert readme_variables() - READ_BY_COMMAND_LINE == variables_read()


def test_without_environment_every_setting_has_its_default():
    chosen = load_settings({})
    assert (chosen.ops_port, chosen.ops_host, chosen.failpoints) == (9100, "0.0.0.0", set())
    assert chosen.database_name("volunteers") == "yinfa_volunteers"
    assert chosen.reference_dir == ROOT / "reference" and chosen.reference_city is None
    assert chosen.gateway.address == "0.0.0.0:8000"
    assert (chosen.gateway.access_seconds, chosen.gateway.rate_burst) == (900, 100)
    assert chosen.secrets["YINFA_MASTER_KEY"] == ""
    assert chosen.dashboard_dir == ROOT / "dashboard" / "dist"


def test_values_are_parsed_into_their_types():
    chosen = load_settings({
        "YINFA_DB_PREFIX": "city2", "YINFA_OPS_PORT": "0", "YINFA_LOG_LEVEL": "debug",
        "YINFA_FAILPOINTS": "relay.after_confirm, roster.after_commits",
        "YINFA_TRUSTED_PROXIES": "10.0.0.1,,10.0.0.2 ", "YINFA_GATEWAY_RATE": "2.5",
        "YINFA_REFERENCE_CITY": "/srv/city.yaml", "MONGO_URI": "mongodb://db:27017/",
        "YINFA_DASHBOARD_DIR": "/app/dashboard"})
    assert chosen.database_name("scoring") == "city2_scoring"
    assert (chosen.ops_port, chosen.log_level) == (0, "DEBUG")  # 0: any free port
    assert chosen.failpoints == {"relay.after_confirm", "roster.after_commits"}
    assert chosen.gateway.trusted_proxies == {"10.0.0.1", "10.0.0.2"}
    assert chosen.gateway.rate_per_second == 2.5
    assert chosen.reference_city == Path("/srv/city.yaml")
    assert chosen.mongo_uri == "mongodb://db:27017/"
    assert chosen.dashboard_dir == Path("/app/dashboard")


@pytest.mark.parametrize("value", ["off", "OFF", "none", "disabled"])
def test_the_operations_endpoint_can_be_switched_off(value):
    assert load_settings({"YINFA_OPS_PORT": value}).ops_port is None


def test_a_variable_set_but_empty_counts_as_unset():
    chosen = load_settings({"AMQP_URI": "", "MONGO_URI": " ", "YINFA_RELAY_BATCH": "",
                            "YINFA_GATEWAY_ADDRESS": ""})
    assert chosen == load_settings({})


@pytest.mark.parametrize(("variable", "value", "problem"), [
    ("YINFA_RELAY_BATCH", "five hundred", "is not an integer"),
    ("YINFA_RELAY_BATCH", "0", "at least 1"),
    ("YINFA_GATEWAY_ACCESS_SECONDS", "15m", "is not an integer"),
    ("YINFA_GATEWAY_RPC_TIMEOUT", "soon", "is not a number"),
    ("YINFA_GATEWAY_RATE", "-1", "at least 0"),
    ("YINFA_RELAY_IDLE_SECONDS", "nan", "out of range"),
    ("YINFA_OPS_PORT", "70000", "at most 65535"),
    ("YINFA_OPS_PORT", "http", "is not an integer"),
    ("YINFA_LOG_LEVEL", "loud", "is not a log level"),
])
def test_a_value_that_does_not_parse_is_refused_naming_the_variable(variable, value, problem):
    with pytest.raises(SettingError, match=problem) as refused:
        load_settings({variable: value})
    assert str(refused.value).startswith(f"{variable}={value!r}")


def test_the_secrets_are_kept_as_set_and_never_printed():
    key = "a-master-key-that-must-not-reach-any-log-0123456789"
    chosen = load_settings({"YINFA_MASTER_KEY": key})
    assert chosen.secrets["YINFA_MASTER_KEY"] == key
    assert key not in repr(chosen)


def test_the_process_reads_its_environment_once(monkeypatch):
    monkeypatch.setenv("YINFA_DB_PREFIX", "first")
    settings.cache_clear()
    assert load_settings().db_prefix == "first"  # without a mapping: this process's
    monkeypatch.setenv("YINFA_DB_PREFIX", "second")
    assert settings().db_prefix == "first"
    settings.cache_clear()
    assert settings().db_prefix == "second"
