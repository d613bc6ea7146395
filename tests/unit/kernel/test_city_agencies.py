"""City agencies (市直单位) in the city's reference data: assessed units beside the counties."""
import pytest
from marshmallow import ValidationError

from yinfa.reference import AGENCY_KINDS, ReferenceDataError, load_city
from yinfa.schemas import county_in_city, unit_in_city

NANTONG = """
city: {code: "3206", name: 南通市, timezone: Asia/Shanghai}
counties:
  - {code: "320602", name: 崇川区, kind: district, retired_cadres: 6100, party_branches: 160}
"""
AGENCIES = """agencies:
  - {code: "3206A01", name: 市委组织部, kind: party, retired_cadres: 120, party_branches: 3}
"""


@pytest.fixture
def city_file(tmp_path):
    def write(text):
        path = tmp_path / "city.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def test_yancheng_has_ten_city_agencies_with_baselines():
    agencies = load_city().agencies

    assert len(agencies) == 10
    assert agencies["3209A01"].name == "市委组织部"
    assert agencies["3209A02"].name == "市委宣传部"
    assert all(a.retired_cadres > 50 and a.branches > 0 for a in agencies.values())
    assert {a.kind for a in agencies.values()} <= set(AGENCY_KINDS)


def test_agency_codes_can_never_be_taken_for_a_county_code():
    city = load_city()

    assert not set(city.agencies) & set(city.counties)
    assert all(not code.isdigit() and code.startswith(city.code) for code in city.agencies)


def test_the_assessed_units_are_the_counties_and_the_agencies():
    city = load_city()

    assert set(city.units) == set(city.counties) | set(city.agencies)
    assert city.units["3209A03"].name == "市教育局"
    assert city.units["320902"].name == "亭湖区"


def test_a_city_file_without_agencies_still_loads(city_file):
    nantong = load_city(city_file(NANTONG))

    assert nantong.agencies == {}
    assert list(nantong.units) == ["320602"]


def test_another_citys_agencies_are_read_from_its_file(city_file):
    nantong = load_city(city_file(NANTONG + AGENCIES))

    assert nantong.agencies["3206A01"].branches == 3


@pytest.mark.parametrize("broken, field", [
    ('"3206A01"', "agencies.0.code"),  # replaced by a county-shaped code below
    ("kind: party", "agencies.0.kind"),
    ("party_branches: 3", "agencies.0.party_branches"),
])
def test_a_malformed_agency_names_its_field(city_file, broken, field):
    replacement = {'"3206A01"': '"320699"', "kind: party": "kind: bureau",
                   "party_branches: 3": "party_branches: -3"}[broken]
    with pytest.raises(ReferenceDataError, match=field):
        load_city(city_file(NANTONG + AGENCIES.replace(broken, replacement)))


def test_an_agency_of_another_city_is_refused(city_file):
    with pytest.raises(ReferenceDataError, match="agencies: codes must start with the city"):
        load_city(city_file(NANTONG + AGENCIES.replace("3206A01", "3209A01")))


def test_two_agencies_with_one_code_are_refused(city_file):
    twice = AGENCIES + AGENCIES.splitlines()[1] + "\n"
    with pytest.raises(ReferenceDataError, match="duplicate codes: 3206A01"):
        load_city(city_file(NANTONG + twice))


def test_a_command_may_name_an_agency_where_it_names_a_county():
    unit_in_city("3209A05")
    unit_in_city("320902")
    with pytest.raises(ValidationError, match="Not a county or city agency"):
        unit_in_city("3209A99")
    with pytest.raises(ValidationError, match="Not a county of this city"):
        county_in_city("3209A05")
