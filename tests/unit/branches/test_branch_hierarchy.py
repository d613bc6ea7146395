from datetime import date

import pytest

from services.branches.domain import branch as b, commands as cmd
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound

FINANCE = "财政局离退休干部党支部"
TINGHU, YANDU = "320902", "320903"


def test_establishing_a_formal_branch_records_its_base_and_officers(establishing, catalog):
    events = b.establish(None, establishing(), None, catalog)
    state = b.replay(events)

    assert [e.type for e in events] == ["BranchEstablished"]
    assert events[0].data["established_on"] == "2021-03-01"
    assert (state.name, state.level, state.former_employer) == (FINANCE, "branch", "盐城市财政局")
    assert (state.secretary_ref, state.liaison_ref, state.status) == (
        "person:li-xiuying", "person:chen-zhiyuan", "active")
    assert "李秀英" not in str(events[0].data)


def test_a_branch_may_sit_directly_under_the_county_bureau(branch):
    assert branch().parent_id is None


def test_establishing_an_existing_branch_is_refused(branch, establishing, catalog):
    with pytest.raises(AlreadyExists) as refused:
        b.establish(branch(), establishing(), None, catalog)
    assert refused.value.field == "branch_id"


def test_a_party_group_with_no_branch_above_it_is_refused(establishing, catalog):
    command = establishing("书法特色党小组", branch_type="featured_group", level="group")

    with pytest.raises(DomainRuleViolated, match="党小组 must sit under a 支部") as refused:
        b.establish(None, command, None, catalog)
    assert refused.value.field == "parent_id"


def test_a_party_group_sits_under_a_branch(branch, ids):
    finance = branch()
    group = branch("书法特色党小组", parent=finance, branch_type="featured_group", level="group")

    assert group.parent_id == ids(FINANCE)


def test_a_party_group_cannot_sit_under_a_general_branch(branch, establishing, catalog, ids):
    general = branch("文峰街道离退休干部党总支", level="general_branch", former_employer=None)
    command = establishing("书法特色党小组", branch_type="featured_group", level="group",
                           parent_id=ids(general.name))

    with pytest.raises(DomainRuleViolated, match="cannot sit under a 党总支") as refused:
        b.establish(None, command, general, catalog)
    assert refused.value.context["allowed"] == ["branch"]


def test_a_branch_sits_under_a_general_branch_or_a_working_committee(
    branch, working_committee, ids
):
    general = branch("文峰街道离退休干部党总支", level="general_branch",
                     former_employer=None, parent=working_committee)

    assert branch(parent=general).parent_id == ids(general.name)
    assert branch("教育局离退休干部党支部", parent=working_committee).parent_id == ids(
        working_committee.name)


def test_a_general_branch_cannot_sit_under_a_branch(branch, establishing, catalog, ids):
    finance = branch()
    command = establishing("文峰街道离退休干部党总支", level="general_branch",
                           parent_id=ids(FINANCE))

    with pytest.raises(DomainRuleViolated, match="党总支 cannot sit under a 支部"):
        b.establish(None, command, finance, catalog)


def test_a_branch_cannot_be_its_own_parent(establishing, catalog, ids):
    command = establishing(parent_id=ids(FINANCE))

    with pytest.raises(DomainRuleViolated, match="own parent") as refused:
        b.establish(None, command, None, catalog)
    assert refused.value.field == "parent_id"


def test_an_unknown_parent_is_not_found(establishing, catalog, ids):
    command = establishing(parent_id=ids("不存在的党总支"))

    with pytest.raises(NotFound) as refused:
        b.establish(None, command, None, catalog)
    assert refused.value.field == "parent_id"


def test_a_dissolved_parent_takes_no_new_bodies(branch, establishing, catalog, ids):
    finance = branch(status=b.DISSOLVED)
    command = establishing("书法特色党小组", branch_type="featured_group", level="group",
                           parent_id=ids(FINANCE))

    with pytest.raises(DomainRuleViolated, match="parent branch is dissolved"):
        b.establish(None, command, finance, catalog)


def test_a_parent_of_another_county_is_refused(working_committee, establishing, catalog, ids):
    command = establishing(county_code=YANDU, parent_id=ids(working_committee.name))

    with pytest.raises(DomainRuleViolated) as refused:
        b.establish(None, command, working_committee, catalog)
    assert refused.value.field == "county_code"
    assert refused.value.context == {"parent_county": TINGHU}


def test_a_type_takes_only_its_own_levels(establishing, catalog):
    command = establishing("老年大学功能性党小组", branch_type="functional", level="group")

    with pytest.raises(DomainRuleViolated, match="功能性 body cannot be a 党小组") as refused:
        b.establish(None, command, None, catalog)
    assert refused.value.field == "level"


def test_a_formal_branch_names_its_former_employer_or_community(establishing, catalog):
    with pytest.raises(DomainRuleViolated) as refused:
        b.establish(None, establishing(former_employer=None), None, catalog)
    assert refused.value.field == "former_employer"

    by_community = establishing("文峰社区夕阳红党支部", former_employer=None, community="文峰社区")
    assert b.establish(None, by_community, None, catalog)


def test_a_non_formal_branch_needs_no_base(establishing, catalog):
    command = establishing("老年大学书画班功能性党支部", branch_type="functional",
                           former_employer=None)
    assert b.replay(b.establish(None, command, None, catalog)).branch_type == "functional"


def test_moving_a_branch_under_a_new_general_branch_records_both_parents(
    branch, working_committee, catalog, ids
):
    finance = branch()
    general = branch("文峰街道离退休干部党总支", level="general_branch",
                     former_employer=None, parent=working_committee)
    command = cmd.MoveBranch(ids(FINANCE), ids(general.name))

    events = b.move(finance, command, general, [ids(working_committee.name)], catalog)

    assert events[0].data == {"parent_id": ids(general.name), "previous_parent_id": None}
    assert b.replay(events, finance).parent_id == ids(general.name)


def test_moving_to_the_same_parent_records_nothing(branch, working_committee, catalog, ids):
    finance = branch(parent=working_committee)
    command = cmd.MoveBranch(ids(FINANCE), ids(working_committee.name))

    assert b.move(finance, command, working_committee, [], catalog) == []


def test_moving_a_branch_under_its_own_descendant_is_a_cycle(
    branch, working_committee, catalog, ids
):
    general = branch("文峰街道离退休干部党总支", level="general_branch",
                     former_employer=None, parent=working_committee)
    finance = branch(parent=general)
    command = cmd.MoveBranch(ids(general.name), ids(FINANCE))

    with pytest.raises(DomainRuleViolated, match="cycle") as refused:
        b.move(general, command, finance, [ids(general.name), ids(working_committee.name)],
               catalog)
    assert refused.value.field == "parent_id"


def test_moving_a_branch_under_itself_is_refused(branch, catalog, ids):
    finance = branch()
    command = cmd.MoveBranch(ids(FINANCE), ids(FINANCE))

    with pytest.raises(DomainRuleViolated, match="own parent"):
        b.move(finance, command, finance, [], catalog)


def test_moving_a_party_group_out_from_under_its_branch_is_refused(branch, catalog, ids):
    group = branch("书法特色党小组", parent=branch(), branch_type="featured_group",
                   level="group")

    with pytest.raises(DomainRuleViolated, match="must sit under"):
        b.move(group, cmd.MoveBranch(ids(group.name), None), None, [], catalog)


def test_events_other_than_establishment_cannot_start_a_branch_stream(ids):
    with pytest.raises(ValueError, match="before BranchEstablished"):
        b.evolve(None, "MemberAdded", {"volunteer_id": ids("王建国")})


def test_the_establishment_date_is_kept_as_a_date(branch):
    assert branch().established_on == date(2021, 3, 1)
