import pytest

from contracts.branches.catalog import load_branch_catalog, load_checklist, load_checklists
from yinfa.reference import ReferenceDataError


@pytest.fixture
def write(tmp_path):
    def make(name, text):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return make


def test_the_certification_levels_climb_from_standard_to_province(catalog):
    assert [level.label for level in catalog.certification_levels] == [
        "达标", "县级示范", "市级示范", "省级示范"]
    assert catalog.rank_of("city_demo") == 3


def test_county_bureaus_grant_the_county_levels_and_the_city_records_the_province(catalog):
    granted_by = {level.code: level.granted_by for level in catalog.certification_levels}

    assert "county_bureau" in granted_by["standard"] and "county_bureau" in granted_by[
        "county_demo"]
    assert granted_by["city_demo"] == granted_by["province_demo"] == ("city_bureau",)
    assert catalog.certification_level("province_demo").external
    assert all(level.valid_months == 36 for level in catalog.certification_levels)
    assert catalog.review_interval_months == 12


def test_the_four_levels_of_structure_and_where_each_may_sit(catalog):
    levels = catalog.structure_levels

    assert [level.label for level in levels.values()] == ["党工委", "党总支", "支部", "党小组"]
    assert levels["group"].parents == ("branch",) and not levels["group"].top_level
    assert set(levels["branch"].parents) == {"general_branch", "working_committee"}


def test_only_the_formal_type_counts_towards_coverage(catalog):
    assert [t.label for t in catalog.branch_types.values() if t.formal] == ["建制性"]
    assert catalog.branch_types["featured_group"].levels == ("group",)


def test_forms_accept_each_part_by_its_zh_cn_label(catalog):
    assert catalog.labels["certification_levels"]["province_demo"] == "省级示范"
    assert catalog.labels["structure_levels"]["group"] == "党小组"
    assert set(catalog.labels["branch_types"]) == set(catalog.branch_types)


def test_brands_cultivate_for_three_years_and_ten_are_chosen(catalog):
    assert (catalog.brand_cultivation_years, catalog.brand_top_per_year) == (3, 10)


def test_the_liuyou_yitisheng_checklist_has_29_measures_in_seven_groups():
    checklist = load_checklist("liuyou_yitisheng")

    assert checklist.name == "六有一提升"
    assert len(checklist.items) == 29
    assert len(checklist.groups) == 7
    assert 0 < len(checklist.mandatory_items) < 29


def test_the_sihao_wuqiang_liuyou_checklist_follows_its_name():
    checklist = load_checklist("sihao_wuqiang_liuyou")
    per_group = {code: sum(item.group == code for item in checklist.items)
                 for code in checklist.groups}

    assert list(per_group.values()) == [4, 5, 6]


def test_every_checklist_of_the_folder_is_loaded(checklists):
    assert set(checklists) == {"liuyou_yitisheng", "wuhua", "sihao_wuqiang_liuyou"}
    assert checklists["wuhua"].name == "五化"


def test_a_checklist_whose_code_differs_from_its_file_name_is_refused(write, tmp_path):
    write("wuhua.yaml", """
code: other
name: 五化
version: 1
groups: [{code: setup, label: 组织设置规范化}]
items: [{code: a_item, label: 甲, group: setup, mandatory: true}]
""")
    with pytest.raises(ReferenceDataError, match="differs from the file name"):
        load_checklist("wuhua", tmp_path)


def test_an_item_in_an_undeclared_group_is_named_with_file_and_field(write, tmp_path):
    path = write("wuhua.yaml", """
code: wuhua
name: 五化
version: 1
groups: [{code: setup, label: 组织设置规范化}]
items:
  - {code: a_item, label: 甲, group: setup, mandatory: true}
  - {code: b_item, label: 乙, group: venue, mandatory: false}
""")
    with pytest.raises(ReferenceDataError) as refused:
        load_checklist("wuhua", tmp_path)
    assert str(path) in str(refused.value)
    assert "items.1.group: unknown codes: venue" in str(refused.value)


def test_a_checklist_with_no_mandatory_item_is_refused(write, tmp_path):
    write("lax.yaml", """
code: lax
name: 宽松
version: 1
groups: [{code: setup, label: 设置}]
items: [{code: a_item, label: 甲, group: setup, mandatory: false}]
""")
    with pytest.raises(ReferenceDataError, match="at least one item must be mandatory"):
        load_checklists(tmp_path)


def test_a_checklist_code_is_never_a_path(tmp_path):
    with pytest.raises(ReferenceDataError, match="not a checklist code"):
        load_checklist("../branches", tmp_path)


def test_a_parent_level_the_catalog_does_not_define_is_named(write):
    path = write("branches.yaml", """
branch_types: [{code: formal, label: 建制性, formal: true, levels: [branch]}]
structure_levels:
  - {code: branch, label: 支部, parents: [general_branch], top_level: true, certifiable: true}
granter_roles: [{code: county_bureau, label: 县局, scope: county}]
certification_levels:
  - {code: standard, label: 达标, granted_by: [county_bureau], external: false,
     valid_months: 36}
review_interval_months: 12
brands: {cultivation_years: 3, top_per_year: 10}
""")
    with pytest.raises(ReferenceDataError) as refused:
        load_branch_catalog(path)
    assert "structure_levels.0.parents: unknown codes: general_branch" in str(refused.value)


def test_a_level_granted_by_an_unknown_role_is_named(write):
    path = write("branches.yaml", """
branch_types: [{code: formal, label: 建制性, formal: true, levels: [branch]}]
structure_levels:
  - {code: branch, label: 支部, parents: [], top_level: true, certifiable: true}
granter_roles: [{code: county_bureau, label: 县局, scope: county}]
certification_levels:
  - {code: standard, label: 达标, granted_by: [province], external: false, valid_months: 36}
review_interval_months: 12
brands: {cultivation_years: 3, top_per_year: 10}
""")
    with pytest.raises(ReferenceDataError, match="certification_levels.0.granted_by"):
        load_branch_catalog(path)
