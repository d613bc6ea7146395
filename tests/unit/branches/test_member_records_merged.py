"""A merge of two records of one person in a party branch: the duplicate leaves, the
survivor takes its place (unless a member already, or of another county); the undo gives
back what that merge changed and only that; each is recorded once."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, strategies as st

from contracts.branches.catalog import load_branch_catalog
from services.branches.domain import branch as b, commands as cmd, member_merges as mm
from services.scoring.domain.state import TRANSLATORS

TINGHU, YANDU = "320902", "320903"


@pytest.fixture
def people(ids):
    return ids("王建国"), ids("王建国（重复登记）"), ids("合并一")


def merged(state, people, county=TINGHU):
    survivor, duplicate, merge_id = people
    events = mm.merge_records(state, merge_id, duplicate, survivor, county)
    return events, b.replay(events, state)


def undone(state, merge_id):
    events = mm.unmerge_records(state, merge_id)
    return events, b.replay(events, state)


def test_the_survivor_takes_the_duplicates_place(branch, people):
    survivor, duplicate, merge_id = people
    events, after = merged(branch(members=[duplicate]), people)

    assert [(e.type, dict(e.data)) for e in events] == [("MemberRecordsMerged", {
        "merge_id": merge_id, "duplicate_id": duplicate, "survivor_id": survivor,
        "outcome": "joined"})]
    assert after.members == {survivor}


def test_a_survivor_already_a_member_keeps_one_membership_and_stays_after_the_undo(
        branch, people, ids):
    survivor, duplicate, merge_id = people
    other = ids("李秀英")
    events, after = merged(branch(members=[survivor, duplicate, other]), people)

    assert events[0].data["outcome"] == "already_member"
    assert after.members == {survivor, other}
    back, restored = undone(after, merge_id)
    assert (back[0].data["duplicate_rejoined"], back[0].data["survivor_left"]) == (True, False)
    assert restored.members == {survivor, duplicate, other}


def test_a_branch_of_another_county_gives_the_membership_up(branch, people):
    survivor, duplicate, merge_id = people
    events, after = merged(branch(members=[duplicate]), people, county=YANDU)

    assert events[0].data["outcome"] == "given_up"
    assert after.members == frozenset()
    assert undone(after, merge_id)[1].members == {duplicate}


def test_the_undo_gives_back_what_the_merge_changed(branch, people):
    survivor, duplicate, merge_id = people
    before = branch(members=[duplicate])
    _, after = merged(before, people)

    back, restored = undone(after, merge_id)

    assert [e.type for e in back] == ["MemberRecordsUnmerged"]
    assert (back[0].data["duplicate_rejoined"], back[0].data["survivor_left"]) == (True, True)
    assert restored.members == before.members and restored.member_merges == {}


def test_a_survivor_who_left_and_came_back_by_themselves_stays_after_the_undo(
        branch, people, ids):
    survivor, duplicate, merge_id = people
    _, after = merged(branch(members=[duplicate]), people)
    finance = ids("财政局离退休干部党支部")
    after = b.replay(b.remove_member(after, cmd.RemoveMember(finance, survivor)), after)
    after = b.replay(b.add_member(after, cmd.AddMember(finance, survivor), "verified"), after)

    back, restored = undone(after, merge_id)

    assert back[0].data["survivor_left"] is False
    assert restored.members == {survivor, duplicate}


def test_a_survivor_held_by_a_second_merge_stays_until_that_one_is_undone(
        branch, people, ids):
    survivor, first, first_merge = people
    second, second_merge = ids("王建国（第三份）"), ids("合并二")
    _, after = merged(branch(members=[first, second]), people)
    after = b.replay(mm.merge_records(after, second_merge, second, survivor, TINGHU), after)

    _, one_undone = undone(after, first_merge)
    assert one_undone.members == {survivor, first}
    _, both_undone = undone(one_undone, second_merge)
    assert both_undone.members == {first, second}


def test_each_merge_and_undo_is_recorded_once(branch, people):
    survivor, duplicate, merge_id = people
    _, after = merged(branch(members=[duplicate]), people)

    assert mm.merge_records(after, merge_id, duplicate, survivor, TINGHU) == []
    _, restored = undone(after, merge_id)
    assert mm.unmerge_records(restored, merge_id) == []
    # a merge delivered late, after its undo, changes nothing
    assert mm.merge_records(restored, merge_id, duplicate, survivor, TINGHU) == []


def test_nothing_is_recorded_where_the_duplicate_is_no_member_or_the_branch_closed(
        branch, people):
    survivor, duplicate, merge_id = people
    assert mm.merge_records(branch(members=[survivor]), merge_id, duplicate, survivor,
                            TINGHU) == []
    closed = branch(members=[duplicate], status=b.DISSOLVED)
    assert mm.merge_records(closed, merge_id, duplicate, survivor, TINGHU) == []
    assert mm.unmerge_records(branch(), merge_id) == []


def test_scoring_reads_the_memberships_as_the_branch_does(branch, people):
    survivor, duplicate, merge_id = people
    events, after = merged(branch(members=[duplicate]), people)
    back, _ = undone(after, merge_id)

    def on(event):
        return {r["volunteer"]: r["on"]
                for _, r in TRANSLATORS[event.type]("b1", event.data, None)}

    assert on(events[0]) == {duplicate: False, survivor: True}
    assert on(back[0]) == {duplicate: True, survivor: False}


@given(st.lists(st.sampled_from(["merge1", "merge2", "undo1", "undo2", "leave", "join"]),
                max_size=12))
def test_undoing_every_merge_leaves_the_members_the_merges_did_not_touch(steps):
    """Any sequence of two merges of records into one survivor, their undos, and the
    survivor's own leaving and joining: once both merges are undone, the duplicates are
    back, and the survivor is a member exactly if their own last step made them one."""
    survivor, dups, finance = "wang", {"1": "wang-dup-1", "2": "wang-dup-2"}, "finance"
    state = b.replay(b.establish(None, cmd.EstablishBranch(
        finance, "财政局离退休干部党支部", "formal", "branch", TINGHU, date(2021, 3, 1),
        former_employer="盐城市财政局"),
        None, load_branch_catalog()))
    for d in dups.values():
        state = b.replay(b.add_member(state, cmd.AddMember(finance, d), "verified"), state)
    own: bool | None = None  # the survivor's own last step, if any
    for step in steps:
        if step.startswith("merge"):
            events = mm.merge_records(state, f"m{step[-1]}", dups[step[-1]], survivor, TINGHU)
        elif step.startswith("undo"):
            events = mm.unmerge_records(state, f"m{step[-1]}")
        elif step == "leave":
            events = (b.remove_member(state, cmd.RemoveMember(finance, survivor))
                      if survivor in state.members else [])
            own = False if events else own
        else:
            events = ([] if survivor in state.members else
                      b.add_member(state, cmd.AddMember(finance, survivor), "verified"))
            own = True if events else own
        state = b.replay(events, state)
    for n in dups:
        state = b.replay(mm.unmerge_records(state, f"m{n}"), state)

    assert set(dups.values()) <= state.members
    assert (survivor in state.members) == bool(own)
