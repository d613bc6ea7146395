"""The silver talent pool (银发人才库): a talent profile in codes beside the record, recorded
again only when it changes; a posted need, once; the catalogs that name the codes."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from contracts.volunteers import commands as published
from contracts.volunteers.recognition import load_recognition_catalog
from contracts.volunteers.talent import load_talent_catalog
from services.volunteers.domain import talent as t
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound, ValidationFailed
from yinfa.reference import ReferenceDataError

WANG = "0f5c6b1e-8a7d-4c2e-9b1a-3d4e5f607182"
NEED = "5b2e9d40-1c3a-4f6e-8d7b-2a9c0e1f3d45"
TEACHER = t.RecordTalentProfile(WANG, ("primary_teaching", "party_history"), "teacher",
                                ("weekends",))


def test_a_profile_is_recorded_once_until_it_changes(volunteer):
    events = t.record_profile(None, TEACHER, volunteer())
    profile = t.replay_profile(events)

    assert events[0].data == {"volunteer_id": WANG,
                              "specialities": ["primary_teaching", "party_history"],
                              "former_post": "teacher", "availability": ["weekends"]}
    assert t.record_profile(profile, TEACHER, volunteer()) == []
    assert t.record_profile(profile, t.RecordTalentProfile(WANG), volunteer())


def test_nobody_unknown_or_erased_is_in_the_pool(volunteer):
    with pytest.raises(NotFound):
        t.record_profile(None, TEACHER, None)
    with pytest.raises(DomainRuleViolated):
        t.record_profile(None, TEACHER, replace(volunteer(), status="erased"))


def test_a_need_is_posted_once_and_names_a_branch_poster():
    need = t.PostTalentNeed(NEED, "320902", date(2026, 12, 10), date(2026, 12, 20),
                            "branch_secretary", ("law", "law"), branch_id="亭湖区司法局支部")
    events = t.post_need(None, need)

    assert events[0].data["posted_by"] == "branch_secretary:亭湖区司法局支部"
    assert events[0].data["skills"] == ["law"]
    with pytest.raises(AlreadyExists):
        t.post_need(t.replay_need(events), need)


@pytest.mark.parametrize("payload, field", [
    ({"specialities": ["astrology"]}, "specialities"), ({"former_post": "king"}, "former_post"),
    ({"availability": ["nights"]}, "availability")])
def test_a_profile_names_only_catalog_codes(payload, field):
    with pytest.raises(ValidationFailed) as refused:
        published.load_command(published.RecordTalentProfile, {"volunteer_id": WANG, **payload})
    assert field in refused.value.errors


def test_a_profile_may_name_codes_by_their_labels():
    loaded = published.load_command(published.RecordTalentProfile, {
        "volunteer_id": WANG, "specialities": ["中医"], "former_post": "教师"})
    assert loaded["specialities"] == ["traditional_medicine"]
    assert loaded["former_post"] == "teacher"


def test_the_shipped_catalogs_load_and_a_duplicate_code_is_refused(tmp_path):
    assert "party_history" in load_talent_catalog().specialities
    assert load_recognition_catalog().titles["model_volunteer"].label == "最美老干部志愿者"
    broken = tmp_path / "talent.yaml"
    broken.write_text("specialities:\n  - {code: law, label: 法}\n  - {code: law, label: 律}\n"
                      "former_posts:\n  - {code: teacher, label: 教师}\n"
                      "availability:\n  - {code: remote, label: 线上}\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="duplicate"):
        load_talent_catalog(broken)
