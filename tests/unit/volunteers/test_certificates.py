"""Certificates as events: issued with what the holder's record says (the approved star
level), revoked once; codes are random and typed in any case."""
from __future__ import annotations

import re
from datetime import date

import pytest

from contracts.volunteers import commands as published
from services.volunteers.domain import certificate as cert, commands as c, volunteer as v
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound, ValidationFailed

WANG = "0f5c6b1e-8a7d-4c2e-9b1a-3d4e5f607182"
CODE = "ABCD-EFGH-JKLM"
ISSUE = c.IssueCertificate(WANG, CODE, "county_admin")
TODAY = date(2026, 12, 3)


def test_a_certificate_says_what_the_record_says_with_the_approved_level_only(
        volunteer, decide, small_stars):
    _, holder = decide(volunteer(logged=[24, 10], using=small_stars), v.approve_star_level,
                       c.ApproveStarLevel(WANG, 1, "county"), small_stars)  # 2 reached

    events = cert.issue(None, ISSUE, holder, TODAY)

    assert [e.type for e in events] == ["VolunteerCertificateIssued"]
    assert events[0].data == {
        "volunteer_id": WANG, "county_code": "320902", "total_hours": "34.0",
        "verified_hours": "34.0", "star_level": 1, "issued_on": "2026-12-03",
        "issued_by": "county_admin", "titles": []}
    assert cert.replay(events).status == "issued"


def test_a_revoked_certificate_is_revoked_once(volunteer):
    issued = cert.replay(cert.issue(None, ISSUE, volunteer("active"), TODAY))
    events = cert.revoke(issued, c.RevokeCertificate(CODE, "时长有误"), TODAY)
    revoked = cert.replay(events, issued)

    assert events[0].data == {"reason": "时长有误", "revoked_on": "2026-12-03"}
    assert (revoked.status, revoked.revoked_on) == ("revoked", "2026-12-03")
    with pytest.raises(DomainRuleViolated, match="already revoked"):
        cert.revoke(revoked, c.RevokeCertificate(CODE, "again"), TODAY)


def test_no_certificate_for_nobody_an_erased_person_or_a_code_taken(volunteer, decide):
    with pytest.raises(NotFound):
        cert.issue(None, ISSUE, None, TODAY)
    _, erased = decide(volunteer("active"), v.erase, c.EraseVolunteer(WANG, erased_on=TODAY))
    with pytest.raises(DomainRuleViolated, match="erased"):
        cert.issue(None, ISSUE, erased, TODAY)
    issued = cert.replay(cert.issue(None, ISSUE, volunteer("active"), TODAY))
    with pytest.raises(AlreadyExists):
        cert.issue(issued, ISSUE, volunteer("active"), TODAY)
    with pytest.raises(NotFound):
        cert.revoke(None, c.RevokeCertificate(CODE, "?"), TODAY)


def test_codes_are_random_unambiguous_and_typed_in_any_case():
    codes = {published.new_certificate_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(re.fullmatch(published.CERTIFICATE_CODE, code) for code in codes)
    assert not set("".join(codes)) & set("01OI")
    loaded = published.load_command(published.RevokeCertificate,
                                    {"code": " abcd-efgh-jklm ", "reason": "有误"})
    assert loaded["code"] == CODE


@pytest.mark.parametrize("payload, field", [
    ({"code": CODE}, "reason"), ({"code": CODE, "reason": " "}, "reason"),
    ({"code": "ABCD-EFGH-JKL0", "reason": "有误"}, "code"),
])
def test_a_bad_revocation_is_refused_naming_the_field(payload, field):
    with pytest.raises(ValidationFailed) as refused:
        published.load_command(published.RevokeCertificate, payload)
    assert field in refused.value.errors


def test_a_former_certificate_is_adopted_as_it_said_then_keeping_the_role_only(volunteer):
    loaded = published.load_command(published.AdoptCertificate, {
        "code": CODE, "volunteer_id": WANG, "county_code": "320902", "total_hours": "12.0",
        "verified_hours": "12.0", "star_level": 0, "issued_on": "2026-11-01",
        "issued_by": "county_admin:county-th"})
    command = c.AdoptCertificate(**loaded)

    events = cert.adopt(None, command)

    assert events[0].data["issued_by"] == "county_admin"
    assert events[0].data["issued_on"] == "2026-11-01" and events[0].data["star_level"] == 0
    with pytest.raises(AlreadyExists):
        cert.adopt(cert.replay(events), command)
    with pytest.raises(ValidationFailed) as refused:
        published.load_command(published.AdoptCertificate, {**loaded, "issued_by": "mayor:x",
                                                            "issued_on": "2026-11-01"})
    assert "issued_by" in refused.value.errors
