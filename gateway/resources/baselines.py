"""The baselines a year is ranked by (retired cadres and party branches of each county
and agency): read-only, from the scoring service, which keeps them by year and freezes a
year's once its assessment is published (docs/scoring.md, "Baselines by year")."""
from __future__ import annotations

from typing import Any

from contracts.scoring.replies import YearBaselines
from gateway.context import Ctx
from gateway.resources.common import ADMINS
from gateway.routing import route

S = "scoring"


@route("GET", "/baselines/<year>", roles=ADMINS, response=YearBaselines, tag="rankings",
       summary="The baselines a year is ranked by, the year they hold for, frozen or not")
def year_baselines(ctx: Ctx) -> dict[str, Any]:
    return ctx.call(S, "baselines", ctx.params["year"])
