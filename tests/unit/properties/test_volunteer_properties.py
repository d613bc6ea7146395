"""Any sequence of commands on a volunteer or a team, sensible or not: each is refused with a
typed error or recorded, and what is recorded folds (after the wire) into the state the
commands saw, with the ledger and star rules holding at every step."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import event, given, strategies as st
from property_support import (
    PROPERTY_SETTINGS,
    Outcome,
    Stream,
    attempt as attempt_loaded,
    describe,
    known,
    maybe,
    with_noise,
)

from contracts.volunteers import events as ev
from contracts.volunteers.catalog import load_volunteer_catalog
from contracts.volunteers.id_number import make_id_number
from services.volunteers.domain import commands as contract, team, volunteer
from services.volunteers.domain.stars import star_level
from services.volunteers.handlers import COMMANDS as TABLE

CATALOG = load_volunteer_catalog()
VOLUNTEER = known("王建国")
TINGHU, YANDU = "320902", "320903"
ENTRIES = [known(f"ledger entry {n}") for n in range(3)]
STATUSES = {volunteer.REGISTERED, volunteer.VERIFIED, volunteer.ACTIVE, volunteer.SUSPENDED,
            volunteer.WITHDRAWN}


def attempt(command_type: type, payload: dict, decide) -> Outcome:
    """The payload loaded as the service loads it (its command table), then decided."""
    return attempt_loaded(None, payload,
                          lambda fields: decide(TABLE.load(command_type, fields)))

# valid values several times over, so that most commands get past the boundary
hours = maybe(st.one_of(
    st.sampled_from(["0.5", "1", "2.5", "24", "3.0", "8", "0", "24.1", "-1", "1.25"]),
    st.integers(1, 24), st.sampled_from([2.5, 0.1, 1e-9, 30])))
entry_id = maybe(st.sampled_from(ENTRIES))
served_on = maybe(st.sampled_from(["2026-10-01"] * 4 + ["2099-01-01", "2026-02-30"]))
ledger_line = st.fixed_dictionaries({
    "entry_id": entry_id, "hours": hours, "served_on": served_on,
    "source": maybe(st.sampled_from(["bureau", "bureau", "partner", "activity"])),
}, optional={"activity_id": maybe(st.just(known("重阳节义诊")))})

# a monthly sheet: well-formed lines (new entries, many hours: stars are earned), and the
# junk of `maybe` now and then
sheet_line = st.fixed_dictionaries({
    "entry_id": st.sampled_from(ENTRIES + [known(f"sheet entry {n}") for n in range(6)]),
    "hours": st.sampled_from(["24", "12.5", "8"]), "served_on": st.just("2026-10-08"),
    "source": st.just("bureau")})


def about_the_volunteer(**fields):
    return with_noise(st.fixed_dictionaries(
        {"volunteer_id": maybe(st.just(VOLUNTEER)), **fields}))


COMMANDS = st.one_of(
    st.tuples(st.just("verify"), about_the_volunteer(
        county_code=maybe(st.sampled_from([TINGHU, YANDU, "999999"])))),
    st.tuples(st.just("suspend"), about_the_volunteer(reason=maybe(st.just("长期外出")))),
    st.tuples(st.just("reinstate"), about_the_volunteer()),
    st.tuples(st.just("withdraw"), about_the_volunteer(
        reason_code=maybe(st.sampled_from(["health", "other", "bored"])))),
    st.tuples(st.just("update_profile"), about_the_volunteer(
        phone=maybe(st.sampled_from(["13812345678", "13900001111", "12345"])),
        skills=maybe(st.lists(st.sampled_from(["law", "medicine", "juggling"]), max_size=2)))),
    st.tuples(st.just("record_hours"), with_noise(
        st.fixed_dictionaries({"volunteer_id": maybe(st.just(VOLUNTEER))}).flatmap(
            lambda head: ledger_line.map(lambda line: {**head, **line})))),
    st.tuples(st.just("record_hours_batch"), about_the_volunteer(
        entries=maybe(st.lists(sheet_line, min_size=1, max_size=8)))),
    st.tuples(st.just("correct_hours"), about_the_volunteer(
        entry_id=entry_id, hours=hours,
        reason=maybe(st.sampled_from(["签到表核对"] * 3 + ["  "])))),
    st.tuples(st.just("return"), about_the_volunteer(reason=maybe(st.just("本人申请回归")))),
    st.tuples(st.just("approve_star_level"), about_the_volunteer(
        level=maybe(st.integers(0, 6)), approver=maybe(st.sampled_from(["county", "city"])))),
    st.tuples(st.just("return_star_level"), about_the_volunteer(
        level=maybe(st.integers(1, 5)), approver=maybe(st.sampled_from(["county", "city"])),
        reason=maybe(st.just("待核实")))),
)

# a start that gets somewhere (entries on the ledger to correct), then anything
GOOD_RECORD = st.tuples(st.just("record_hours"), st.fixed_dictionaries({
    "volunteer_id": st.just(VOLUNTEER), "entry_id": st.sampled_from(ENTRIES),
    "hours": st.sampled_from(["2.5", "8", "24"]), "served_on": st.just("2026-10-01"),
    "source": st.just("bureau")}))
VOLUNTEER_LIVES = st.tuples(st.lists(GOOD_RECORD, min_size=1, max_size=3),
                            st.lists(COMMANDS, min_size=6, max_size=20)
                            ).map(lambda parts: parts[0] + parts[1])

DECISIONS = {
    "verify": (contract.VerifyVolunteer, volunteer.verify),
    "suspend": (contract.SuspendVolunteer, volunteer.suspend),
    "reinstate": (contract.ReinstateVolunteer, volunteer.reinstate),
    "withdraw": (contract.WithdrawVolunteer, volunteer.withdraw),
    "update_profile": (contract.UpdateProfile, volunteer.update_profile),
    "record_hours": (contract.RecordHours, volunteer.record_hours),
    "correct_hours": (contract.CorrectHours, volunteer.correct_hours),
    "return": (contract.ReturnVolunteer, volunteer.return_after_withdrawal),
    "approve_star_level": (contract.ApproveStarLevel, volunteer.approve_star_level),
    "return_star_level": (contract.ReturnStarLevel, volunteer.return_star_level),
}


def registration(seq: int = 1) -> dict:
    return {
        "name": "王建国", "gender": "男", "birth_year": 1956,
        "id_number": make_id_number(TINGHU, date(1956, 3, 8), seq), "phone": "13812345678",
        "county_code": TINGHU, "retirement_status": "退休", "party_member": True,
        "skills": ["agriculture"],
    }


REGISTRATIONS = st.integers(1, 4).flatmap(lambda n: st.just(registration()) if n < 4 else
                                          with_noise(st.fixed_dictionaries(
    {key: maybe(st.just(value)) for key, value in registration().items()})))


def decide(state: volunteer.Volunteer | None, action: str, payload: dict) -> Outcome:
    if action == "record_hours_batch":
        return attempt(contract.RecordHoursBatch, payload,
                       lambda c: volunteer.record_hours_batch(state, c, CATALOG))
    schema, decision = DECISIONS[action]
    return attempt(schema, payload, lambda c: decision(state, c, CATALOG))


def check_step(before: volunteer.Volunteer | None, outcome: Outcome,
               after: volunteer.Volunteer | None) -> None:
    if before is not None and before.status == volunteer.WITHDRAWN:  # until a return
        assert outcome.refused is not None or [e.type for e in outcome.events] == [
            ev.VOLUNTEER_RETURNED]
    if after is None:
        return
    assert after.status in STATUSES
    if after.status == volunteer.SUSPENDED:  # reinstatement returns to where it was
        assert after.suspended_from in STATUSES - {volunteer.SUSPENDED, volunteer.WITHDRAWN}
    elif after.status != volunteer.WITHDRAWN:
        assert after.suspended_from is None
    for value in after.ledger.values():
        assert Decimal(0) <= value <= CATALOG.max_hours_per_entry
        assert value == value.quantize(Decimal("0.1"))
    assert after.star_level_reached == star_level(after.verified_hours,
                                                  CATALOG.star_thresholds)
    assert 0 <= after.star_level <= after.star_level_reached  # approved: reached ones only
    level = before.star_level_reached if before else 0
    for decided in outcome.events:
        data = decided.data
        if decided.type == ev.HOURS_CORRECTED:
            assert before is not None
            assert Decimal(data["previous_hours"]) == before.ledger[data["entry_id"]]
        if decided.type == ev.STAR_LEVEL_CHANGED:
            assert data["from_level"] == level != data["to_level"]
            level = data["to_level"]


@PROPERTY_SETTINGS
@given(first=REGISTRATIONS, commands=VOLUNTEER_LIVES)
def test_every_volunteer_command_is_refused_by_a_typed_error_or_folds_consistently(
        first, commands):
    stream = Stream(f"volunteer-{VOLUNTEER}", ev.CATALOG)
    outcome = attempt(contract.RegisterVolunteer, first,
                      lambda c: volunteer.register(None, c, CATALOG))
    state = volunteer.replay(outcome.events)
    stream.append(outcome.events)
    for action, payload in commands:
        outcome = decide(state, action, payload)
        event(f"{action}: {describe(outcome)}")
        after = volunteer.replay(outcome.events, state)
        check_step(state, outcome, after)
        stream.append(outcome.events)
        state = after
        assert volunteer.replay(stream.recorded) == state  # the wire fold is the live one
    if state is not None:
        registered_again = attempt(contract.RegisterVolunteer, registration(),
                                   lambda c: volunteer.register(state, c, CATALOG))
        assert registered_again.refused is not None


# ---- teams ---------------------------------------------------------------------------------

MEMBERS = [known(name) for name in ("王建国", "李秀英", "张志强")]
TEAM_COMMANDS = st.lists(st.tuples(
    st.sampled_from(["join", "leave"]),
    st.sampled_from(MEMBERS),
    st.sampled_from([None, "registered", "verified", "active", "suspended", "withdrawn"]),
), min_size=4, max_size=16)


@PROPERTY_SETTINGS
@given(created=st.booleans(), commands=TEAM_COMMANDS)
def test_team_membership_is_the_joins_minus_the_leaves(created, commands):
    stream = Stream(f"team-{known('亭湖区银发义诊队')}", ev.CATALOG)
    state = None
    if created:
        made = team.create_team(None, TABLE.load(contract.CreateTeam, {
            "name": "银发义诊队", "category": "rural_revitalisation", "county_code": TINGHU}),
            CATALOG)
        stream.append(made)
        state = team.replay(made)
    expected: set[str] = set()
    for action, member, status in commands:
        if action == "join":
            outcome = attempt(contract.JoinTeam, {"team_id": known("队"), "volunteer_id": member},
                              lambda c, now=state, s=status: team.join_team(now, c, s))
            may_join = state is not None and status in {"registered", "verified", "active"}
            assert (not outcome.refused) == (may_join and member not in expected)
        else:
            outcome = attempt(contract.LeaveTeam, {"team_id": known("队"), "volunteer_id": member},
                              lambda c, now=state: team.leave_team(now, c))
            assert (not outcome.refused) == (state is not None and member in expected)
        if not outcome.refused:
            (expected.add if action == "join" else expected.discard)(member)
        stream.append(outcome.events)
        state = team.replay(outcome.events, state)
        assert state is None or state.members == expected
    assert team.replay(stream.recorded) == state
