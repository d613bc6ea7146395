"""Activities: publication, sign-ups, check-in and check-out, completion (activities service)."""
from __future__ import annotations

from typing import Any

from contracts.activities import commands as cmd
from contracts.activities.replies import Activity
from gateway.branch_scope import act_for_own_branch, on_own_branch_activity
from gateway.context import Ctx, Reply
from gateway.problem import invalid
from gateway.resources.common import (
    ADMINS,
    PEOPLE,
    created,
    filters_of,
    in_scope,
    retry_safe_id,
    service_page,
)
from gateway.resources.volunteers import scoped_volunteer
from gateway.roles import BRANCH_LIAISON, BRANCH_SECRETARY, FEED_CLIENT, VOLUNTEER
from gateway.routing import route
from gateway.schemas import ActivityQuery, SignedUp, body_of, page_of

A = "activities"
READERS = (*PEOPLE, FEED_CLIENT, BRANCH_LIAISON)
VOLUNTEER_ROLES = (*ADMINS, VOLUNTEER)
# a secretary runs their own branch's activities; the liaison keeps their records
ORGANISERS = (*ADMINS, BRANCH_SECRETARY)
RECORD_KEEPERS = (*ORGANISERS, BRANCH_LIAISON)
SIGN_UP_ROLES = (*VOLUNTEER_ROLES, BRANCH_SECRETARY)
CHECK_IN_ROLES = (*VOLUNTEER_ROLES, BRANCH_SECRETARY, BRANCH_LIAISON)


def client_request_id(ctx: Ctx) -> str:
    """The service's own duplicate guard, tied to the Idempotency-Key when one is sent."""
    return retry_safe_id(ctx)


def scoped_activity(ctx: Ctx, activity_id: str) -> dict[str, Any]:
    return in_scope(ctx, ctx.call(A, "get_activity", activity_id))


STAMPED_BY_THE_SERVER = ("check_in", "check_out")


def sign_up_outcome(activity: dict[str, Any], volunteer_id: str) -> dict[str, Any]:
    """What the sign-up did for the caller: a place, or a place in the waiting list."""
    if volunteer_id in activity.get("participants", []):
        return {"outcome": "signed_up", "volunteer_id": volunteer_id}
    waitlist = activity.get("waitlist", [])
    if volunteer_id in waitlist:
        return {"outcome": "waitlisted", "volunteer_id": volunteer_id,
                "position": waitlist.index(volunteer_id) + 1}
    return {"outcome": "not_signed_up", "volunteer_id": volunteer_id}


def _on_activity(ctx: Ctx, method: str, **ids: Any) -> Any:
    if (method in STAMPED_BY_THE_SERVER and ctx.principal.role == VOLUNTEER
            and "at" in ctx.body):
        raise invalid({"at": ["The server records when a volunteer checks in or out."]})
    activity_id = ctx.params["activity_id"]
    on_own_branch_activity(ctx.principal, scoped_activity(ctx, activity_id))
    volunteer_id = ids.get("volunteer_id") or ctx.body.get("volunteer_id")
    if volunteer_id is not None:
        scoped_volunteer(ctx, volunteer_id)
    return ctx.call(A, method, ctx.payload(activity_id=activity_id, **ids))


@route("GET", "/activities", roles=READERS, query=ActivityQuery,
       response=page_of(Activity), paged=True, tag="activities", summary="List activities")
def list_activities(ctx: Ctx) -> dict[str, Any]:
    return service_page(ctx, A, "list_activities",
                        filters_of(ctx, ("county_code", "theme", "status", "branch_id")))


@route("POST", "/activities", roles=ORGANISERS,
       body=body_of(cmd.PublishActivity, "client_request_id"), response=Activity, status=201,
       tag="activities", summary="Publish an activity")
def publish_activity(ctx: Ctx) -> Reply:
    in_scope(ctx, {"county_code": ctx.data["county_code"]})
    act_for_own_branch(ctx.principal, ctx.data["organiser"], "publishes")
    activity = ctx.call(A, "publish_activity",
                        ctx.payload(client_request_id=client_request_id(ctx)))
    return created(activity, f"/activities/{activity['activity_id']}")


@route("GET", "/activities/<activity_id>", roles=READERS, response=Activity,
       tag="activities", summary="One activity")
def get_activity(ctx: Ctx) -> dict[str, Any]:
    return scoped_activity(ctx, ctx.params["activity_id"])


for _path, _method, _schema, _roles, _status, _tag, _summary in (
    ("cancel-publication", "cancel_publication", cmd.CancelPublication, ORGANISERS, 200,
     "activities", "Withdraw a publication before sign-ups"),
    ("cancel", "cancel_activity", cmd.CancelActivity, ORGANISERS, 200, "activities",
     "Cancel an activity"),
    ("sign-ups", "sign_up", cmd.SignUp, SIGN_UP_ROLES, 201, "sign-ups",
     "Sign a volunteer up (a volunteer signs themself up)"),
    ("check-in-code", "issue_check_in_code", cmd.IssueCheckInCode, RECORD_KEEPERS, 201,
     "check-ins", "Issue the check-in code"),
    ("check-ins", "check_in", cmd.CheckIn, CHECK_IN_ROLES, 201, "check-ins",
     "Check a volunteer in with the code"),
    ("check-outs", "check_out", cmd.CheckOut, CHECK_IN_ROLES, 201, "check-ins",
     "Check a volunteer out with the code"),
    ("completion", "complete_activity", cmd.CompleteActivity, RECORD_KEEPERS, 201,
     "completions", "Complete an activity with the hours served"),
    ("completion/corrections", "correct_completion", cmd.CorrectCompletion, RECORD_KEEPERS,
     201, "completions", "Correct a completion"),
):
    def _activity_command(ctx: Ctx, method: str = _method, status: int = _status) -> Any:
        activity = _on_activity(ctx, method)
        if method == "sign_up":
            activity = {**activity, "sign_up": sign_up_outcome(activity,
                                                              ctx.data["volunteer_id"])}
        if status == 201:
            return created(activity, f"/activities/{ctx.params['activity_id']}")
        return activity

    route("POST", f"/activities/<activity_id>/{_path}", roles=_roles,
          body=body_of(_schema, "activity_id"), status=_status, tag=_tag, summary=_summary,
          response=SignedUp if _method == "sign_up" else Activity)(_activity_command)


@route("POST", "/activities/<activity_id>/sign-ups/<volunteer_id>/withdraw",
       roles=SIGN_UP_ROLES, body=body_of(cmd.WithdrawSignUp, "activity_id", "volunteer_id"),
       response=Activity, tag="sign-ups", summary="Withdraw a sign-up")
def withdraw_sign_up(ctx: Ctx) -> Any:
    return _on_activity(ctx, "withdraw_sign_up", volunteer_id=ctx.params["volunteer_id"])
