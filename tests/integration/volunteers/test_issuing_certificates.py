"""Certificates as events of the volunteers service, on the real broker and store: one
stream per certificate, the view answers its verification, and of two bureaus revoking
one at once one wins; the directory replica takes no notice of them."""
from __future__ import annotations

import pytest

from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound

TINGHU = "320902"


def test_a_certificate_is_issued_revoked_once_and_read_back(volunteers, registration,
                                                            at_once, directory, eventually):
    vid = volunteers.register_volunteer(registration())["volunteer_id"]
    issued = volunteers.issue_certificate({"volunteer_id": vid, "issued_by": "county_admin"})
    code = issued["code"]
    assert (issued["status"], issued["volunteer_id"], issued["county_code"]) == (
        "issued", vid, TINGHU)
    assert volunteers.get_certificate(code.lower()) == issued
    with pytest.raises(AlreadyExists):  # a code is one paper
        volunteers.issue_certificate({"volunteer_id": vid, "code": code,
                                      "issued_by": "county_admin"})

    outcomes = at_once("revoke_certificate", *[{"code": code, "reason": "时长有误"}] * 2)

    assert sum(isinstance(o, DomainRuleViolated) for o in outcomes) == 1
    assert volunteers.get_certificate(code)["status"] == "revoked"
    assert [e["type"] for e in volunteers.stream_events(f"certificate-{code}")] == [
        "VolunteerCertificateIssued", "VolunteerCertificateRevoked"]
    assert eventually(lambda: directory.status(vid) == "registered")


def test_unknown_codes_and_people_are_not_found(volunteers):
    with pytest.raises(NotFound):
        volunteers.get_certificate("AAAA-BBBB-CCCC")
    with pytest.raises(NotFound):
        volunteers.issue_certificate({"volunteer_id": "00000000-0000-4000-8000-000000000000",
                                      "issued_by": "city_admin"})
