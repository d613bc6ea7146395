from datetime import date

import pytest

from services.branches.domain import branch as b, commands as cmd
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound

FINANCE = "财政局离退休干部党支部"
EDUCATION = "教育局离退休干部党支部"


@pytest.mark.parametrize("status", ["registered", "verified", "active"])
def test_a_registered_verified_or_active_volunteer_joins_a_branch(branch, ids, status):
    events = b.add_member(branch(), cmd.AddMember(ids(FINANCE), ids("王建国")), status)

    assert [e.type for e in events] == ["MemberAdded"]
    assert b.replay(events, branch()).members == {ids("王建国")}


def test_a_withdrawn_volunteer_cannot_become_a_member(branch, ids):
    with pytest.raises(DomainRuleViolated, match="withdrawn volunteer cannot join") as refused:
        b.add_member(branch(), cmd.AddMember(ids(FINANCE), ids("王建国")), "withdrawn")
    assert refused.value.field == "volunteer_id"


def test_an_unknown_volunteer_cannot_become_a_member(branch, ids):
    with pytest.raises(NotFound) as refused:
        b.add_member(branch(), cmd.AddMember(ids(FINANCE), ids("查无此人")), None)
    assert refused.value.field == "volunteer_id"


def test_a_suspended_volunteer_cannot_join_until_reinstated(branch, ids):
    with pytest.raises(DomainRuleViolated, match="suspended") as refused:
        b.add_member(branch(), cmd.AddMember(ids(FINANCE), ids("王建国")), "suspended")
    assert refused.value.context == {"status": "suspended"}


def test_adding_a_member_twice_is_refused(branch, ids):
    with pytest.raises(AlreadyExists):
        b.add_member(branch(members=[ids("王建国")]), cmd.AddMember(ids(FINANCE), ids("王建国")),
                     "active")


def test_a_dissolved_branch_takes_no_members(branch, ids):
    with pytest.raises(DomainRuleViolated, match="dissolved branch") as refused:
        b.add_member(branch(status=b.DISSOLVED), cmd.AddMember(ids(FINANCE), ids("王建国")),
                     "active")
    assert refused.value.field == "branch_id"


def test_removing_a_member_records_the_reason(branch, ids):
    finance = branch(members=[ids("王建国"), ids("李秀英")])
    events = b.remove_member(finance, cmd.RemoveMember(ids(FINANCE), ids("王建国"), "组织关系转出"))

    assert events[0].data == {"volunteer_id": ids("王建国"), "reason": "组织关系转出"}
    assert b.replay(events, finance).members == {ids("李秀英")}


def test_removing_someone_who_is_not_a_member_is_not_found(branch, ids):
    with pytest.raises(NotFound):
        b.remove_member(branch(), cmd.RemoveMember(ids(FINANCE), ids("王建国")))


def test_renaming_records_the_previous_name_and_the_same_name_changes_nothing(branch, ids):
    finance = branch()
    events = b.rename(finance, cmd.RenameBranch(ids(FINANCE), "财政局退休干部第一党支部"))

    assert events[0].data == {"name": "财政局退休干部第一党支部", "previous_name": FINANCE}
    assert b.rename(finance, cmd.RenameBranch(ids(FINANCE), FINANCE)) == []


def officers(ids, **refs):
    """ChangeOfficers as the service hands it on: the names given, sealed."""
    return cmd.ChangeOfficers(ids(FINANCE), officers={}, officer_refs=refs)


def test_changing_officers_records_only_the_changes(branch, ids):
    finance = branch()
    events = b.change_officers(finance, officers(ids, secretary="person:zhao-deming",
                                                 liaison="person:chen-zhiyuan"))

    assert events[0].data == {"secretary_ref": "person:zhao-deming"}
    assert b.replay(events, finance).secretary_ref == "person:zhao-deming"


def test_a_vacant_liaison_post_is_recorded_as_none(branch, ids):
    events = b.change_officers(branch(), officers(ids, liaison=None))
    assert events[0].data == {"liaison_ref": None}
    assert b.replay(events, branch()).liaison_ref is None


def test_merging_moves_the_members_and_closes_the_absorbed_branch(branch, ids):
    finance = branch(members=[ids("王建国"), ids("李秀英")])
    education = branch(EDUCATION, former_employer="盐城市教育局", members=[ids("张桂兰")])
    command = cmd.MergeBranch(ids(FINANCE), ids(EDUCATION), "机构改革，两局合并", date(2023, 1, 1))

    events = b.merge(finance, command, education)
    merged = b.replay(events, finance)

    assert events[0].data["members"] == sorted([ids("王建国"), ids("李秀英")])
    assert (merged.status, merged.merged_into, merged.members) == (
        "merged", ids(EDUCATION), frozenset())
    absorbed = b.absorb(education, ids(FINANCE), events[0].data["members"])
    education = b.replay(absorbed, education)
    assert education.members == {ids("王建国"), ids("李秀英"), ids("张桂兰")}


def test_absorbing_the_same_merge_twice_records_nothing(branch, ids):
    education = branch(EDUCATION, former_employer="盐城市教育局")
    education = b.replay(b.absorb(education, ids(FINANCE), [ids("王建国")]), education)

    assert b.absorb(education, ids(FINANCE), [ids("王建国")]) == []


def test_a_merged_branch_is_closed_for_good(branch, ids):
    finance = branch()
    education = branch(EDUCATION, former_employer="盐城市教育局")
    merged = b.replay(b.merge(finance, cmd.MergeBranch(ids(FINANCE), ids(EDUCATION), "合并",
                                                       date(2023, 1, 1)), education), finance)

    with pytest.raises(DomainRuleViolated, match="merged branch"):
        b.rename(merged, cmd.RenameBranch(ids(FINANCE), "新名称"))
    with pytest.raises(DomainRuleViolated, match="merged branch"):
        b.dissolve(merged, cmd.DissolveBranch(ids(FINANCE), "撤销", date(2023, 2, 1)))


def test_a_branch_cannot_merge_into_itself(branch, ids):
    finance = branch()
    with pytest.raises(DomainRuleViolated, match="itself") as refused:
        b.merge(finance, cmd.MergeBranch(ids(FINANCE), ids(FINANCE), "合并", date(2023, 1, 1)),
                finance)
    assert refused.value.field == "into_branch_id"


def test_merging_into_a_dissolved_or_unknown_branch_is_refused(branch, ids):
    command = cmd.MergeBranch(ids(FINANCE), ids(EDUCATION), "合并", date(2023, 1, 1))
    gone = branch(EDUCATION, former_employer="盐城市教育局", status=b.DISSOLVED)

    with pytest.raises(NotFound):
        b.merge(branch(), command, None)
    with pytest.raises(DomainRuleViolated, match="dissolved"):
        b.merge(branch(), command, gone)


def test_a_branch_merges_only_into_one_of_the_same_level(branch, ids):
    group = branch("书法特色党小组", parent=branch(EDUCATION, former_employer="盐城市教育局"),
                   branch_type="featured_group", level="group")
    command = cmd.MergeBranch(ids(group.name), ids(FINANCE), "合并", date(2023, 1, 1))

    with pytest.raises(DomainRuleViolated, match="same level"):
        b.merge(group, command, branch())


def test_dissolving_is_terminal(branch, ids):
    finance = branch()
    events = b.dissolve(finance, cmd.DissolveBranch(ids(FINANCE), "党员全部转出",
                                                    date(2023, 6, 30)))
    gone = b.replay(events, finance)

    assert (gone.status, gone.closed_on) == ("dissolved", date(2023, 6, 30))
    with pytest.raises(DomainRuleViolated, match="dissolved branch"):
        b.dissolve(gone, cmd.DissolveBranch(ids(FINANCE), "再次撤销", date(2023, 7, 1)))


def test_a_branch_with_active_bodies_under_it_cannot_be_dissolved_or_merged(branch, ids):
    finance = branch()
    children = [ids("书法特色党小组")]

    with pytest.raises(DomainRuleViolated, match="active bodies under it") as refused:
        b.dissolve(finance, cmd.DissolveBranch(ids(FINANCE), "撤销", date(2023, 6, 30)), children)
    assert refused.value.context == {"children": children}
    with pytest.raises(DomainRuleViolated, match="active bodies under it"):
        b.merge(finance, cmd.MergeBranch(ids(FINANCE), ids(EDUCATION), "合并", date(2023, 1, 1)),
                branch(EDUCATION, former_employer="盐城市教育局"), children)


def test_commands_on_an_unknown_branch_are_not_found(ids):
    with pytest.raises(NotFound) as refused:
        b.rename(None, cmd.RenameBranch(ids(FINANCE), "无"))
    assert refused.value.field == "branch_id"
