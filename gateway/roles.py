"""Who may see what: the roles, the caller as a `Principal`, and county scoping.

Deny by default: every route names the roles it admits; a role tied to a county
(county admin, branch secretary, volunteer) sees only its county, and another county's
resources answer 404, exactly as ids that do not exist, so ids cannot be probed.

A city agency (市直单位) is an assessed unit like a county: its volunteers, branches and
activities carry the agency's code where others carry a county's, and its retiree office
signs in as an agency admin whose `county_code` is that agency code. Scoping is therefore
one rule for both: the caller's unit against the resource's.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gateway.problem import forbidden, not_found

CITY_ADMIN = "city_admin"
COUNTY_ADMIN = "county_admin"
AGENCY_ADMIN = "agency_admin"  # 市直单位老干部工作部门: a county admin for one city agency
BRANCH_SECRETARY = "branch_secretary"
BRANCH_LIAISON = "branch_liaison"  # 联络员: keeps the records of one branch
VOLUNTEER = "volunteer"
FEED_CLIENT = "feed_client"
OPS = "ops"

ROLES = (CITY_ADMIN, COUNTY_ADMIN, BRANCH_SECRETARY, VOLUNTEER, FEED_CLIENT, OPS,
         BRANCH_LIAISON, AGENCY_ADMIN)
ADMINS = (CITY_ADMIN, COUNTY_ADMIN, AGENCY_ADMIN)
UNIT_ADMINS = (COUNTY_ADMIN, AGENCY_ADMIN)  # the bureau of one county or of one agency
COUNTY_BOUND = (COUNTY_ADMIN, BRANCH_SECRETARY, VOLUNTEER, BRANCH_LIAISON, AGENCY_ADMIN)
# roles whose accounts must name a county, a branch, a volunteer
NEEDS_COUNTY = COUNTY_BOUND
NEEDS_BRANCH = (BRANCH_SECRETARY, BRANCH_LIAISON)
NEEDS_VOLUNTEER = (VOLUNTEER,)


@dataclass(frozen=True)
class Principal:
    account: str
    role: str
    county_code: str | None = None
    branch_id: str | None = None
    volunteer_id: str | None = None

    @property
    def county_bound(self) -> bool:
        return self.role in COUNTY_BOUND


def require_role(principal: Principal, allowed: Iterable[str]) -> None:
    if principal.role not in allowed:
        raise forbidden()


def county_filter(principal: Principal, requested: str | None) -> str | None:
    """The county a list is limited to: the caller's own, whatever was asked for."""
    if not principal.county_bound:
        return requested
    if requested and requested != principal.county_code:
        raise not_found("No such county in your scope.")
    return principal.county_code


def check_county(principal: Principal, county_code: str | None) -> None:
    """A resource of another county does not exist for a county-bound caller."""
    if principal.county_bound and county_code != principal.county_code:
        raise not_found()


def check_branch(principal: Principal, branch_id: str | None) -> None:
    if principal.role in NEEDS_BRANCH and branch_id != principal.branch_id:
        raise not_found()


def check_volunteer(principal: Principal, volunteer_id: str | None) -> None:
    if principal.role == VOLUNTEER and volunteer_id != principal.volunteer_id:
        raise not_found()


def may_reveal(principal: Principal, county_code: str | None, volunteer_id: str) -> bool:
    """Full ID number and phone: the city, the volunteer's county, the volunteer."""
    if principal.role == CITY_ADMIN:
        return True
    if principal.role in UNIT_ADMINS:
        return county_code == principal.county_code
    return principal.role == VOLUNTEER and principal.volunteer_id == volunteer_id
