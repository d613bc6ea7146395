"""`yinfa transfer-keys`: a new city transfer key and the trust-list entry other cities add
for it; with --public, the entry of the key set (the same entry the key was made with)."""
from __future__ import annotations

import yaml
from click.testing import CliRunner

from yinfa.city_packages import TrustedCity
from yinfa.cli import main
from yinfa.config import settings


def test_a_new_key_and_its_entry_and_the_entry_again_from_the_key(monkeypatch):
    made = CliRunner().invoke(main, ["transfer-keys"])
    assert made.exit_code == 0, made.output
    secret = next(line.split("=", 1)[1] for line in made.stdout.splitlines()
                  if line.startswith("YINFA_TRANSFER_KEY="))
    [entry] = yaml.safe_load("\n".join(line for line in made.stdout.splitlines()
                                       if not line.startswith("YINFA_TRANSFER_KEY=")))
    assert entry["code"] == "3209" and entry["name"] == "盐城市"
    TrustedCity.of(**entry)  # other cities can trust it as printed

    monkeypatch.setenv("YINFA_TRANSFER_KEY", secret)
    settings.cache_clear()
    again = CliRunner().invoke(main, ["transfer-keys", "--public"])
    assert again.exit_code == 0, again.output
    assert yaml.safe_load(again.stdout) == [entry]


def test_without_a_usable_key_the_public_entry_is_refused_naming_the_variable(monkeypatch):
    monkeypatch.setenv("YINFA_TRANSFER_KEY", "too-short")
    monkeypatch.delenv("YINFA_DEMO_MODE", raising=False)
    settings.cache_clear()
    refused = CliRunner().invoke(main, ["transfer-keys", "--public"])
    assert refused.exit_code == 1 and "YINFA_TRANSFER_KEY" in refused.output
