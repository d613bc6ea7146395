"""Member moves: a party branch's member to another branch, a team's member to another
team, each kept in the member's history as one move (from, to). Both ends must be in the
caller's scope (another county's branch or team is 404); a dissolved or merged target,
or the same one, is refused (409, 422)."""
from __future__ import annotations

from typing import Any

from contracts.branches import commands as branch_cmd
from contracts.branches.replies import Branch
from contracts.volunteers import commands as volunteer_cmd
from contracts.volunteers.replies import Team
from gateway.context import Ctx
from gateway.resources.branches import scoped_branch
from gateway.resources.common import ADMINS
from gateway.resources.volunteers import scoped_team
from gateway.routing import route
from gateway.schemas import body_of


@route("POST", "/branches/<branch_id>/members/<volunteer_id>/move", roles=ADMINS,
       body=body_of(branch_cmd.MoveMember, "branch_id", "volunteer_id"), response=Branch,
       tag="branches",
       summary="Move a member to another branch of their county, their history kept "
               "(answers the branch they left)")
def move_branch_member(ctx: Ctx) -> dict[str, Any]:
    branch_id, volunteer_id = ctx.params["branch_id"], ctx.params["volunteer_id"]
    scoped_branch(ctx, branch_id)
    scoped_branch(ctx, ctx.data["to_branch_id"])
    return ctx.call("branches", "move_member",
                    ctx.payload(branch_id=branch_id, volunteer_id=volunteer_id))


@route("POST", "/teams/<team_id>/members/<volunteer_id>/move", roles=ADMINS,
       body=body_of(volunteer_cmd.MoveTeamMember, "team_id", "volunteer_id"), response=Team,
       tag="teams",
       summary="Move a member to another team of their county, their history kept "
               "(answers the team they left)")
def move_team_member(ctx: Ctx) -> dict[str, Any]:
    team_id, volunteer_id = ctx.params["team_id"], ctx.params["volunteer_id"]
    scoped_team(ctx, team_id)
    scoped_team(ctx, ctx.data["to_team_id"])
    return ctx.call("volunteers", "move_team_member",
                    ctx.payload(team_id=team_id, volunteer_id=volunteer_id))
