"""What the scoring service answers over RPC: rankings of counties, branches and
volunteers, each score explained row by row (indicator → raw → normalised → points), the
events behind a row, two rulebooks compared, closed assessments. Numbers are text, exact;
every field is always there (null only where it allows none)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from contracts.scoring.assessments import AssessmentPublishedV1
from contracts.scoring.reports import ReportSubmittedV1
from yinfa.schemas import IdString, decimal_text, label


class IndicatorRow(Schema):
    code = fields.String(required=True)
    label = label(required=True)
    measure = fields.String(required=True)
    raw = decimal_text(required=True, allow_none=True)  # none: nothing to measure yet
    denominator = decimal_text(required=True, allow_none=True)  # none: not normalised
    normalised = decimal_text(required=True, allow_none=True)
    target = decimal_text(required=True)
    weight = decimal_text(required=True)
    points = decimal_text(required=True)


class Score(Schema):
    rank = fields.Integer(required=True)  # ties share a rank
    total = decimal_text(required=True)  # the sum of the rows' points
    rows = fields.List(fields.Nested(IndicatorRow), required=True)


class RankedCounty(Score):
    county_code = fields.String(required=True)
    county_name = label(required=True)


class CountyScore(RankedCounty):
    rulebook = fields.String(required=True)  # its version, e.g. 2026.1


class AgencyScore(Score):
    """A city agency (市直单位), ranked beside the counties under the agency indicators."""

    agency_code = fields.String(required=True)
    agency_name = label(required=True)
    rulebook = fields.String(required=True)


class RankedBranch(Score):
    branch_id = IdString(required=True)
    name = fields.String(required=True)


class RankedVolunteer(Score):
    volunteer_id = IdString(required=True)
    name = fields.String(required=True)  # empty: scoring keeps no names (the gateway adds them)


class InCounty(Schema):
    rulebook = fields.String(required=True)
    county_code = fields.String(required=True)


class BranchScore(RankedBranch, InCounty):
    pass


class VolunteerScore(RankedVolunteer, InCounty):
    pass


class BranchRanking(InCounty):
    total = fields.Integer(required=True)
    items = fields.List(fields.Nested(RankedBranch), required=True)


class VolunteerRanking(InCounty):
    total = fields.Integer(required=True)
    items = fields.List(fields.Nested(RankedVolunteer), required=True)


class Evidence(Schema):
    """A page of the ids of the events behind one row; `next` is the cursor of the next."""

    subject = fields.String(required=True, validate=validate.OneOf(
        ["county", "agency", "branch", "volunteer"]))
    subject_id = fields.String(required=True)
    indicator = fields.String(required=True)
    rulebook = fields.String(required=True)
    total = fields.Integer(required=True)
    event_ids = fields.List(fields.String(), required=True)
    next = fields.String(required=True, allow_none=True)


class Standing(Schema):
    rank = fields.Integer(required=True)
    total = decimal_text(required=True)


class CountyComparison(Schema):
    county_code = fields.String(required=True)
    county_name = label(required=True)
    left = fields.Nested(Standing, required=True)
    right = fields.Nested(Standing, required=True)
    rank_change = fields.Integer(required=True)  # places gained under the right rulebook
    total_delta = decimal_text(required=True)
    indicator_deltas = fields.Dict(keys=fields.String(), values=decimal_text(),
                                   required=True)  # non-zero only


class Comparison(Schema):
    left = fields.String(required=True)
    right = fields.String(required=True)
    counties = fields.List(fields.Nested(CountyComparison), required=True)


class Assessment(AssessmentPublishedV1):
    """A closed period: its frozen ranking, as published in its event."""

    counties = fields.List(fields.Nested(RankedCounty), required=True)
    event_position = fields.Integer(required=True)


class AssessmentSummary(Schema):
    period = fields.String(required=True)
    rulebook_version = fields.String(required=True)
    taken_at = fields.DateTime(required=True)
    event_position = fields.Integer(required=True)


class RulebookSummary(Schema):
    name = fields.String(required=True)  # what `rulebook=` takes
    version = fields.String(required=True)
    title = fields.String(required=True)
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)  # exclusive


class Timeline(Schema):
    """The rulebooks one may rank by, and when the earliest and the latest event scoring
    has folded were recorded (null before the first): as-of instants outside them ask
    about a time the rankings know nothing of."""

    default_rulebook = fields.String(required=True)
    rulebooks = fields.List(fields.Nested(RulebookSummary), required=True)
    first_event_at = fields.DateTime(required=True, allow_none=True)
    last_event_at = fields.DateTime(required=True, allow_none=True)


class Report(ReportSubmittedV1):
    """A submitted report document: what its event says, and who submitted it."""

    submitted_at = fields.String(required=True)  # type: ignore[assignment]  # as text
    due_on = fields.String(required=True, allow_none=True)  # type: ignore[assignment]
    submitted_by = fields.String(required=True)


class ReportDocument(Report):
    content = fields.String(required=True)  # the bytes, base64


class UnitBaseline(Schema):
    code = fields.String(required=True)
    name = label(required=True)
    retired_cadres = fields.Integer(required=True)
    party_branches = fields.Integer(required=True)


class YearBaselines(Schema):
    """The figures a year is ranked by: `figures_year` is the year they hold for (the
    nearest earlier year on file when the year has none); `frozen` once its assessment is
    published (then they are the published ones, whatever the files say)."""

    year = fields.Integer(required=True)
    figures_year = fields.Integer(required=True)
    frozen = fields.Boolean(required=True)
    units = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(UnitBaseline)),
                        required=True)  # "counties", "agencies"
