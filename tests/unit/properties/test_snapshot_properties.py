"""Replay from a snapshot equals full replay, for every aggregate.

Each aggregate's property test is run again with a stream that, whenever events are
appended to it, takes the state at a random earlier point through the snapshot codec
(JSON text and back, as `yinfa.store.snapshots` stores it) and folds the rest onto it:
the result must equal folding the whole stream. The event sequences are those tests'
random lives of each aggregate."""
from __future__ import annotations

import json
import random
import sys

import pytest
import test_activity_properties as activities
import test_branch_properties as branches
import test_volunteer_properties as volunteers
from property_support import Stream

from services.activities.domain import activity, wish
from services.branches.domain import branch, brand, certification
from services.volunteers.domain import team, volunteer
from yinfa.store.snapshots import decode, encode, fold_of

FOLDS = {fold.first: fold for fold in (
    fold_of(module.replay) for module in (volunteer, team, activity, wish, branch,
                                           certification, brand))}


class SnapshotCheckedStream(Stream):
    checks = 0
    prologue: list = []  # events of a life that began before its stream (see below)

    def append(self, events):
        added = super().append(events)
        if self.recorded:
            whole = self.recorded
            if whole[0].type not in FOLDS:
                whole = [*self.prologue, *whole]
            check_snapshot(whole, random.randint(1, len(whole)))
            SnapshotCheckedStream.checks += 1
        return added


def remembered(decide):
    """`decide`, its events kept as the prologue of the stream that follows."""
    def deciding(*args, **kwargs):
        events = decide(*args, **kwargs)
        SnapshotCheckedStream.prologue = list(events)
        return events
    return deciding


def check_snapshot(recorded, at: int) -> None:
    fold = FOLDS[recorded[0].type]
    state = fold.replay(recorded[:at])
    restored = decode(json.loads(json.dumps(encode(state), ensure_ascii=False)))
    assert restored == state
    assert fold.replay(recorded[at:], restored) == fold.replay(recorded)


LIVES = [
    volunteers.test_every_volunteer_command_is_refused_by_a_typed_error_or_folds_consistently,
    volunteers.test_team_membership_is_the_joins_minus_the_leaves,
    activities.test_every_activity_command_is_refused_by_a_typed_error_or_folds_consistently,
    activities.test_a_wish_moves_only_along_its_lifecycle_and_folds_consistently,
    branches.test_certification_climbs_only_by_the_ladder_and_folds_consistently,
    branches.test_a_closed_branch_stays_closed_and_members_are_the_adds_minus_the_removes,
    branches.test_brand_reviews_run_year_by_year_and_only_a_full_cultivation_establishes,
]


@pytest.mark.parametrize("life", LIVES, ids=lambda life: life.__module__.split("_")[1])
def test_replay_from_a_snapshot_at_a_random_point_equals_full_replay(life, monkeypatch):
    monkeypatch.setattr(SnapshotCheckedStream, "checks", 0)
    monkeypatch.setattr(sys.modules[life.__module__], "Stream", SnapshotCheckedStream)
    if life is LIVES[5]:  # the branch's stream is recorded from after its establishment
        monkeypatch.setattr(branches.b, "establish", remembered(branches.b.establish))

    life()

    assert SnapshotCheckedStream.checks > 0, "no events were appended: nothing was checked"
