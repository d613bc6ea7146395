"""Any sequence of commands on a branch, its certification or its brand: each is refused with
a typed error or recorded, and the recorded events fold (after the wire) into the state the
commands saw. A level is reached only by the ladder, a closed branch stays closed, the
re-review timer is idempotent, and brand reviews run year after year without gaps."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

from hypothesis import event, given, settings, strategies as st
from property_support import (
    PROPERTY_SETTINGS,
    Outcome,
    Stream,
    attempt as attempt_loaded,
    describe,
    known,
    maybe,
)

from contracts.branches import events as ev
from contracts.branches.catalog import load_branch_catalog, load_checklists
from services.branches.domain import (
    branch as b,
    brand as br,
    certification as c,
    commands as contract,
)
from services.branches.handlers import COMMANDS as TABLE

CATALOG = load_branch_catalog()
CHECKLISTS = load_checklists()
CHECKLIST = "wuhua"  # ten items: short enough to review them all in a step
ITEMS = [item.code for item in CHECKLISTS[CHECKLIST].items]
TINGHU, YANDU = "320902", "320903"
BRANCH = known("财政局离退休干部党支部")
LEVELS = [level.code for level in CATALOG.certification_levels]
APPLICATIONS = [known(f"application {n}") for n in range(4)]
DAYS = [date(2022, 3, 1), date(2022, 4, 1), date(2023, 4, 1), date(2024, 4, 1),
        date(2025, 4, 2), date(2026, 4, 1), date(2026, 11, 1)]

day = maybe(st.sampled_from(DAYS).map(date.isoformat))
application_id = maybe(st.sampled_from(APPLICATIONS))
role = maybe(st.sampled_from(["county_bureau"] * 3 + ["city_bureau"] * 2 + ["agency_office"]))
county = st.sampled_from([TINGHU, TINGHU, YANDU, None])


def attempt(command_type: type, payload: dict, decide) -> Outcome:
    """The payload loaded as the service loads it (its command table), then decided."""
    return attempt_loaded(None, payload,
                          lambda fields: decide(TABLE.load(command_type, fields)))


def on_branch(**fields):
    return st.fixed_dictionaries({"branch_id": st.just(BRANCH), **fields})


APPLY = st.tuples(st.just("apply"), on_branch(
    application_id=application_id, level=maybe(st.sampled_from(LEVELS)),
    checklist=st.just(CHECKLIST), applicant=st.just("李秀英"), applied_on=day,
    evidence=st.just([{"item": item, "text": "台账齐全"} for item in ITEMS])))
REVIEW_ALL = st.tuples(st.just("review_all"), on_branch(
    application_id=application_id, met=st.sampled_from([True, True, True, False])))
GRANT = st.tuples(st.just("grant"), on_branch(
    application_id=application_id, granted_by=role, granter_county=county,
    granted_on=day, external_reference=st.sampled_from([None, "苏老干〔2025〕12号"])))
CERTIFICATION_COMMANDS = st.one_of(
    APPLY, REVIEW_ALL, GRANT,
    st.tuples(st.just("refuse"), on_branch(
        application_id=application_id, refused_by=role, granter_county=county,
        reason=st.just("材料不全"))),
    st.tuples(st.just("timer"), st.sampled_from(DAYS).map(lambda d: {"now": d})),
    st.tuples(st.just("pass_review"), on_branch(
        due_on=day, reviewer=role, granter_county=county)),
    st.tuples(st.just("fail_review"), on_branch(
        due_on=day, reviewer=role, granter_county=county, note=st.just("台账缺失"))),
    st.tuples(st.just("revoke"), on_branch(
        revoked_by=role, granter_county=county, reason=st.just("违纪"), revoked_on=day)),
)
# climbs (apply, review every item, grant), each step as likely to go wrong as above,
# between stray commands, timers and reviews
CLIMB = st.tuples(APPLY, REVIEW_ALL, GRANT).map(list)
CERTIFICATION_LIVES = st.lists(
    st.one_of(CLIMB, st.lists(CERTIFICATION_COMMANDS, max_size=3)),
    min_size=3, max_size=8).map(lambda parts: sum(parts, []))
ENDED = {c.SUPERSEDED, c.REVOKED, c.FAILED, c.EXPIRED}


def the_branch() -> b.Branch:
    command = TABLE.load(contract.EstablishBranch, {
        "branch_id": BRANCH, "name": "财政局离退休干部党支部", "branch_type": "formal",
        "level": "branch", "county_code": TINGHU, "former_employer": "盐城市财政局",
        "established_on": "2021-03-01"})
    state = b.replay(b.establish(None, command, None, CATALOG))
    assert state is not None
    return state


def decide(state: c.Certification | None, action: str, payload: dict, branch: b.Branch
           ) -> Outcome:
    if action == "apply":
        return attempt(contract.ApplyForCertification, payload,
                       lambda cmd: c.apply_for(state, cmd, branch, CHECKLISTS, CATALOG))
    if action == "review_all":
        def review(cmd: dict) -> list:
            decided, current = [], state
            for item in ITEMS:  # each through the boundary, as review_items does
                made = c.review_item(current, TABLE.load(contract.ReviewItem, {
                    **cmd, "item": item, "reviewer": "王评审",
                    "note": None if cmd["met"] else "缺台账"}))
                decided.extend(made)
                current = c.replay(made, current)
            return decided
        return attempt_loaded(None, payload, review)
    if action == "timer":
        return Outcome(events=c.due(state, payload["now"], CATALOG, branch))
    schema, decision = {
        "grant": (contract.GrantCertification, c.grant),
        "refuse": (contract.RefuseCertification, c.refuse),
        "pass_review": (contract.PassReview, c.pass_review),
        "fail_review": (contract.FailReview, c.fail_review),
        "revoke": (contract.RevokeCertification, c.revoke),
    }[action]
    return attempt(schema, payload, lambda cmd: decision(state, cmd, branch, CATALOG))


def check_ladder(before: c.Certification | None, outcome: Outcome,
                 after: c.Certification | None) -> None:
    for recorded in outcome.events:
        if recorded.type == ev.CERTIFICATION_GRANTED:
            granted_on = date.fromisoformat(recorded.data["granted_on"])
            held = c.current_level(before, granted_on)
            assert recorded.data["previous_level"] == held
            allowed = c.next_levels(before, granted_on, CATALOG)
            assert recorded.data["level"] in allowed, "only the ladder leads up"
            step = LEVELS.index(recorded.data["level"]) - (-1 if held is None
                                                          else LEVELS.index(held))
            assert step in (0, 1)
            if CATALOG.certification_level(recorded.data["level"]).external:
                assert recorded.data["external_reference"]
        if recorded.type == ev.REVIEW_FALLEN_DUE:
            assert before is not None and before.holding is not None
            due_on = date.fromisoformat(recorded.data["due_on"])
            assert due_on in c.review_dates(before.holding, CATALOG)
    if after is None:
        return
    assert sum(1 for a in after.applications.values() if a.status == c.OPEN) <= 1
    assert after.holding is None or after.holding.status == c.HELD
    assert all(past.status in ENDED for past in after.past)


@settings(PROPERTY_SETTINGS, max_examples=100)  # a grant needs a lucky climb: more tries
@given(commands=CERTIFICATION_LIVES)
def test_certification_climbs_only_by_the_ladder_and_folds_consistently(commands):
    branch = the_branch()
    stream = Stream(f"certification-{BRANCH}", ev.CATALOG)
    state: c.Certification | None = None
    for action, payload in commands:
        outcome = decide(state, action, payload, branch)
        event(f"{action}: {describe(outcome)}")
        stream.append(outcome.events)
        after = c.replay(outcome.events, state)
        check_ladder(state, outcome, after)
        state = after
        if action == "timer":
            assert c.due(state, payload["now"], CATALOG, branch) == [], "the timer repeats"
    assert c.replay(stream.recorded) == state


# ---- the branch itself ------------------------------------------------------------------------

MEMBERS = [known(name) for name in ("王建国", "李秀英", "张志强")]
BRANCH_COMMANDS = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(MEMBERS),
              st.sampled_from(["active", "registered", "suspended", "withdrawn", None])),
    st.tuples(st.just("remove"), st.sampled_from(MEMBERS), st.none()),
    st.tuples(st.just("rename"), maybe(st.sampled_from(["财政局第一党支部", ""])), st.none()),
    st.tuples(st.just("officers"), maybe(st.sampled_from(["王建国", "李秀英"])), st.none()),
    st.tuples(st.just("dissolve"), st.sampled_from([(), ("child",)]), st.none()),
    st.tuples(st.just("merge"), st.sampled_from(["same", "other county", "itself"]),
              st.none()),
)


def branch_step(state: b.Branch, action: str, arg, status) -> Outcome:
    if action == "add":
        return attempt(contract.AddMember, {"branch_id": BRANCH, "volunteer_id": arg},
                       lambda cmd: b.add_member(state, cmd, status))
    if action == "remove":
        return attempt(contract.RemoveMember, {"branch_id": BRANCH, "volunteer_id": arg},
                       lambda cmd: b.remove_member(state, cmd))
    if action == "rename":
        return attempt(contract.RenameBranch, {"branch_id": BRANCH, "name": arg},
                       lambda cmd: b.rename(state, cmd))
    if action == "officers":
        return attempt(contract.ChangeOfficers, {"branch_id": BRANCH, "secretary": arg},
                       lambda cmd: b.change_officers(state, as_referred(cmd)))
    if action == "dissolve":
        return attempt(contract.DissolveBranch, {"branch_id": BRANCH, "reason": "党员全部转出",
                                                "dissolved_on": "2026-06-30"},
                       lambda cmd: b.dissolve(state, cmd, arg))
    into = BRANCH if arg == "itself" else known(arg)
    target = the_branch() if arg == "same" else b.replay([ev.new_event(
        ev.BRANCH_ESTABLISHED, {"name": "盐都区某支部", "branch_type": "formal",
                                "level": "branch", "county_code": YANDU, "parent_id": None,
                                "former_employer": "盐都区", "established_on": "2021-01-01"})])
    return attempt(contract.MergeBranch, {"branch_id": BRANCH, "into_branch_id": into,
                                         "reason": "合并", "merged_on": "2026-06-30"},
                   lambda cmd: b.merge(state, cmd, target))


@PROPERTY_SETTINGS
@given(commands=st.lists(BRANCH_COMMANDS, min_size=4, max_size=16))
def test_a_closed_branch_stays_closed_and_members_are_the_adds_minus_the_removes(commands):
    state = the_branch()
    stream = Stream(f"branch-{BRANCH}", ev.CATALOG)
    members: set[str] = set()
    for action, arg, status in commands:
        before = state
        outcome = branch_step(state, action, arg, status)
        event(f"{action}: {describe(outcome)}")
        if not before.is_active:
            assert outcome.refused is not None, f"{action} on a {before.status} branch"
        if not outcome.refused and action == "add":
            members.add(arg)
        if not outcome.refused and action == "remove":
            members.discard(arg)
        stream.append(outcome.events)
        after = b.replay(outcome.events, state)
        assert after is not None
        state = after
        assert state.members == (members if state.status != b.MERGED else set())
        if state.status == b.MERGED:
            merged = next(e for e in outcome.events if e.type == ev.BRANCH_MERGED) \
                if outcome.events else None
            if merged:
                assert sorted(merged.data["members"]) == sorted(members)
            members = set()
    assert b.replay(stream.recorded, the_branch()) == state


# ---- brands -----------------------------------------------------------------------------------

BRAND_COMMANDS = st.lists(st.one_of(
    st.tuples(st.just("apply"), st.integers(2019, 2027), st.none()),
    st.tuples(st.just("review"), st.integers(2019, 2027), st.booleans()),
    st.tuples(st.just("review"), st.integers(2019, 2027), st.just(True)),
), min_size=4, max_size=16)


@PROPERTY_SETTINGS
@given(commands=BRAND_COMMANDS)
def test_brand_reviews_run_year_by_year_and_only_a_full_cultivation_establishes(commands):
    branch = the_branch()
    stream = Stream(f"brand-{BRANCH}", ev.CATALOG)
    state: br.Brand | None = None
    for action, year, passed in commands:
        if action == "apply":
            outcome = attempt(contract.ApplyForBrand, {
                "branch_id": BRANCH, "name": "银发先锋", "description": "老党员讲党课",
                "year": year}, lambda cmd, now=state: br.apply_brand(now, cmd, branch, CATALOG))
        else:
            outcome = attempt(contract.ReviewBrand, {
                "branch_id": BRANCH, "year": year, "passed": passed, "reviewer": "市委老干部局",
                "note": None if passed else "活动不足"},
                lambda cmd, now=state: br.review_brand(now, cmd))
        event(f"{action}: {describe(outcome)}")
        stream.append(outcome.events)
        after = br.replay(outcome.events, state)
        if after is not None:
            years = sorted(after.reviews)
            assert years == list(range(after.first_year, after.first_year + len(years)))
            passes = list(after.reviews.values())
            if after.status == br.ESTABLISHED:
                assert len(passes) >= after.cultivation_years
                assert all(passes[:after.cultivation_years])
            if after.status == br.CULTIVATING:
                assert all(passes) and len(passes) < after.cultivation_years
        state = after
    assert br.replay(stream.recorded) == state


def as_referred(command: contract.ChangeOfficers) -> contract.ChangeOfficers:
    """What the service hands the domain: the name sealed, a reference in its place."""
    name = command.officers["secretary"]
    return replace(command, officers={},
                   officer_refs={"secretary": f"person:{name}" if name else None})
