"""The services file (`services.toml`) is how the kernel knows the services: every entry
point it names must import, and another file can take its place."""
from __future__ import annotations

import pytest

from yinfa.catalog import SERVICES, imported, load_catalog, service_class
from yinfa.config import load_settings


def test_every_entry_point_of_the_shipped_file_imports():
    assert list(SERVICES) == ["volunteers", "branches", "activities", "scoring", "feeds",
                             "gateway"]
    for name, entry in SERVICES.items():
        assert service_class(name).name == name
        if entry.events:
            assert imported(entry.events).registry.knows  # a catalog with its registry
        for rewrite in (entry.migrate, entry.current_message):
            assert rewrite is None or callable(imported(rewrite))
    assert {n for n, e in SERVICES.items() if e.events} == {"volunteers", "branches",
                                                            "activities"}


def test_an_unknown_service_is_refused_with_the_known_ones():
    with pytest.raises(KeyError, match="known: volunteers, branches"):
        service_class("payroll")


def test_another_file_takes_its_place(tmp_path):
    path = tmp_path / "services.toml"
    path.write_text('[echo]\nservice = "tests:Echo"\n', encoding="utf-8")
    settings = load_settings({"YINFA_SERVICES_FILE": str(path)})
    assert settings.services_file == path
    assert load_catalog(settings.services_file)["echo"].service == "tests:Echo"
    assert load_settings({}).services_file.name == "services.toml"


def test_a_file_with_an_unknown_key_is_refused_naming_it(tmp_path):
    path = tmp_path / "services.toml"
    path.write_text('[echo]\nservice = "a:B"\nqueue = "x"\n', encoding="utf-8")
    with pytest.raises(RuntimeError, match="services.toml.*queue"):
        load_catalog(path)
