"""A member's move between branches over the real broker and store: out of one branch
and into the other, once; a move cut short between the two appends is completed by the
sweep, once."""
from __future__ import annotations

from branch_service_examples import FINANCE, ids
from nameko.testing.services import entrypoint_hook

from contracts.branches.streams import branch_stream
from services.branches.domain import branch as b, commands as cmd

EDUCATION = "教育局离退休干部党支部"


def test_a_member_moves_once_and_the_sweep_finds_nothing_to_do(
        branches, branches_container, establish, known_volunteer, stored):
    establish()
    establish(EDUCATION, former_employer="盐城市教育局")
    wang = known_volunteer("王建国")
    branches.add_member({"branch_id": ids(FINANCE), "volunteer_id": wang})

    left = branches.move_member({"branch_id": ids(FINANCE), "volunteer_id": wang,
                                 "to_branch_id": ids(EDUCATION)})

    assert left["members"] == [] and "moves_out" not in left
    assert branches.get_branch(ids(EDUCATION))["members"] == [wang]
    with entrypoint_hook(branches_container, "complete_member_moves") as complete:
        assert complete() == 0
    assert stored.types(branch_stream(ids(EDUCATION))).count("MemberMoved") == 1


def test_a_move_cut_short_before_the_target_took_the_member_is_completed_once(
        branches, branches_container, establish, known_volunteer, stored, eventually):
    """As if the service died between the two appends of the move."""
    establish()
    establish(EDUCATION, former_employer="盐城市教育局")
    wang = known_volunteer("王建国")
    branches.add_member({"branch_id": ids(FINANCE), "volunteer_id": wang})
    finance = b.replay(stored.stream(branch_stream(ids(FINANCE))))
    target = b.replay(stored.stream(branch_stream(ids(EDUCATION))))
    out = b.move_member(finance, cmd.MoveMember(ids(FINANCE), wang, ids(EDUCATION),
                                                ids("调动")), target)
    stored.store.append(branch_stream(ids(FINANCE)), out, 2)
    eventually(lambda: branches.get_branch(ids(FINANCE))["members"] == [])

    with entrypoint_hook(branches_container, "complete_member_moves") as complete:
        assert complete() == 1
        assert complete() == 0

    assert branches.get_branch(ids(EDUCATION))["members"] == [wang]
    assert stored.types(branch_stream(ids(EDUCATION))).count("MemberMoved") == 1
