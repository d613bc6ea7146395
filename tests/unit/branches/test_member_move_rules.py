"""A branch's member moves to another branch of their county: one event (from, to) on
each branch's stream, out of the one and into the other; the member's history is kept."""
from __future__ import annotations

import pytest

from contracts.branches import commands as published
from services.branches.domain import branch as b, commands as cmd
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound, ValidationFailed

FINANCE, EDUCATION = "财政局离退休干部党支部", "教育局离退休干部党支部"
YANDU = "320903"


@pytest.fixture
def wang(ids):
    return ids("王建国")


def moving(ids, wang, to=EDUCATION):
    return cmd.MoveMember(ids(FINANCE), wang, ids(to), ids("调动"))


def test_a_member_moves_out_of_one_branch_and_into_the_other(branch, ids, wang):
    finance, education = branch(members=[wang]), branch(EDUCATION)

    out = b.move_member(finance, moving(ids, wang), education)
    into = b.receive_member(education, ids("调动"), wang, ids(FINANCE), ids(EDUCATION))

    assert [e.type for e in out + into] == ["MemberMoved", "MemberMoved"]
    assert out[0].data == {"move_id": ids("调动"), "volunteer_id": wang,
                           "from_branch_id": ids(FINANCE), "to_branch_id": ids(EDUCATION),
                           "side": "out"}
    assert into[0].data["side"] == "in"
    assert wang not in b.replay(out, finance).members
    assert wang in b.replay(into, education).members


def test_receiving_twice_records_nothing_the_second_time(branch, ids, wang):
    education = branch(EDUCATION)
    into = b.receive_member(education, ids("调动"), wang, ids(FINANCE), ids(EDUCATION))
    assert b.receive_member(b.replay(into, education), ids("调动"), wang, ids(FINANCE),
                            ids(EDUCATION)) == []


def test_a_move_to_a_dissolved_or_unknown_branch_is_refused(branch, ids, wang):
    finance = branch(members=[wang])
    with pytest.raises(DomainRuleViolated, match="dissolved"):
        b.move_member(finance, moving(ids, wang), branch(EDUCATION, status=b.DISSOLVED))
    with pytest.raises(NotFound) as unknown:
        b.move_member(finance, moving(ids, wang), None)
    assert unknown.value.field == "to_branch_id"


def test_a_move_to_the_same_branch_is_refused(branch, ids, wang):
    finance = branch(members=[wang])
    with pytest.raises(DomainRuleViolated, match="already"):
        b.move_member(finance, moving(ids, wang, to=FINANCE), finance)
    with pytest.raises(ValidationFailed) as refused:
        published.load_command(published.MoveMember, {
            "branch_id": ids(FINANCE), "volunteer_id": wang, "to_branch_id": ids(FINANCE)})
    assert "to_branch_id" in refused.value.errors


def test_only_a_member_moves_and_not_into_a_branch_they_are_in(branch, ids, wang):
    with pytest.raises(NotFound, match="not a member"):
        b.move_member(branch(), moving(ids, wang), branch(EDUCATION))
    with pytest.raises(AlreadyExists):
        b.move_member(branch(members=[wang]), moving(ids, wang),
                      branch(EDUCATION, members=[wang]))


def test_a_branch_of_another_county_takes_a_member_only_once_they_are_transferred(
        branch, ids, wang):
    finance, yandu_branch = branch(members=[wang]), branch(EDUCATION, county_code=YANDU)
    with pytest.raises(DomainRuleViolated, match="transferred first"):
        b.move_member(finance, moving(ids, wang), yandu_branch)
    # after the transfer the volunteer's county is 盐都区: the move is theirs to make
    moved = b.move_member(finance, moving(ids, wang), yandu_branch, volunteer_county=YANDU)
    assert moved[0].data["side"] == "out"
