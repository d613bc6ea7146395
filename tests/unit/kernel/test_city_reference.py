from pathlib import Path

import pytest

from yinfa.reference import ReferenceDataError, load_city, reference_dir

NANTONG = """
city: {code: "3206", name: 南通市, timezone: Asia/Shanghai}
counties:
  - {code: "320602", name: 崇川区, kind: district, retired_cadres: 6100, party_branches: 160}
  - {code: "320685", name: 海安市, kind: city, retired_cadres: 3400, party_branches: 90}
"""


@pytest.fixture
def city_file(tmp_path):
    def write(text, name="city.yaml"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def test_the_default_city_is_yancheng_with_nine_counties_and_two_zones():
    city = load_city()

    assert (city.code, city.name) == ("3209", "盐城市")
    assert len(city.counties) == 11
    assert [c.name for c in city.counties.values() if c.kind == "zone"] == [
        "盐城经济技术开发区", "盐南高新区"]


def test_counties_are_keyed_by_their_division_code():
    city = load_city()
    assert city.counties["320902"].name == "亭湖区"
    assert city.counties["320981"].name == "东台市"
    assert city.counties["320981"].kind == "city"
    assert city.counties["320921"].kind == "county"


def test_every_county_has_a_baseline_and_zones_are_smaller():
    counties = load_city().counties.values()
    assert all(c.retired_cadres > 0 and c.branches > 0 for c in counties)
    smallest_county = min(c.retired_cadres for c in counties if c.kind != "zone")
    assert all(c.retired_cadres < smallest_county for c in counties if c.kind == "zone")


def test_another_citys_file_replaces_yancheng(city_file):
    nantong = load_city(city_file(NANTONG))

    assert nantong.name == "南通市"
    assert list(nantong.counties) == ["320602", "320685"]
    assert nantong.counties["320602"].branches == 160


def test_the_city_file_can_be_chosen_by_environment(city_file, monkeypatch):
    monkeypatch.setenv("YINFA_REFERENCE_CITY", str(city_file(NANTONG)))
    assert load_city().code == "3206"


def test_the_reference_folder_can_be_chosen_by_environment(tmp_path, monkeypatch):
    (tmp_path / "yancheng.yaml").write_text(NANTONG, encoding="utf-8")
    monkeypatch.setenv("YINFA_REFERENCE_DIR", str(tmp_path))

    assert reference_dir() == tmp_path
    assert load_city().code == "3206"


def test_the_reference_folder_defaults_to_the_repository():
    assert reference_dir() == Path(__file__).resolve().parents[3] / "reference"


def test_a_malformed_city_file_names_the_file_and_the_field(city_file):
    path = city_file(NANTONG.replace("kind: city", "kind: village"), name="nantong.yaml")

    with pytest.raises(ReferenceDataError) as error:
        load_city(path)

    message = str(error.value)
    assert "nantong.yaml" in message
    assert "counties.1.kind" in message


def test_a_negative_baseline_is_refused(city_file):
    with pytest.raises(ReferenceDataError, match="counties.0.retired_cadres"):
        load_city(city_file(NANTONG.replace("6100", "-5")))


def test_a_county_code_listed_twice_is_refused(city_file):
    with pytest.raises(ReferenceDataError, match="duplicate codes: 320602"):
        load_city(city_file(NANTONG.replace("320685", "320602")))


def test_the_city_names_its_clock(city_file):
    assert str(load_city().zone) == "Asia/Shanghai"
    with pytest.raises(ReferenceDataError, match="city.timezone: unknown time zone"):
        load_city(city_file(NANTONG.replace("Asia/Shanghai", "Mars/Olympus")))
    with pytest.raises(ReferenceDataError, match="city.timezone"):
        load_city(city_file(NANTONG.replace(", timezone: Asia/Shanghai", "")))


def test_unquoted_codes_are_read_as_text(city_file):
    city = load_city(city_file(NANTONG.replace('"320602"', "320602")))
    assert "320602" in city.counties


def test_a_missing_file_is_reported_by_name(tmp_path):
    with pytest.raises(ReferenceDataError, match="suzhou.yaml"):
        load_city(tmp_path / "suzhou.yaml")


def test_a_file_that_is_not_yaml_is_reported(city_file):
    with pytest.raises(ReferenceDataError, match="not valid YAML"):
        load_city(city_file("city: [unclosed"))


def test_loading_the_same_file_twice_reads_it_once():
    assert load_city() is load_city()
