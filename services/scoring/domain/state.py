"""Scoring's state: the other services' events folded into facts that no delivery order
can change.

Every fact is a register keyed by what it is about — ("volunteer", id), ("hours", ledger
entry), ("branch", id), ("level", branch id), ("member", "branch/volunteer"),
("activity", id), ("wish", id) — and each field of a register keeps the stream version of
the event that last wrote it. An event writes a field only if its version is higher:
last-writer-wins per field, by the version of the one stream that owns the register
(every register is written by the events of a single source stream). So the fold is

- commutative: events in any order, across and within streams, end in the same state;
- idempotent: a duplicate, even a stale one arriving after later events, changes nothing.

That is what lets several scoring replicas journal events in whatever order the broker
hands them out, lets a rebuild run while live events keep coming, and makes
"live == rebuild from scratch" hold by construction (the property tests check it).

Joins between registers (an hour entry's county is its volunteer's; a certification's
county is its branch's) are made when measuring, never when applying, so an event that
arrives before the one that places it is simply not counted until it is placed.
Each register also keeps the ids of the events that wrote it: the evidence behind a score.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from functools import lru_cache
from typing import Any

from services.scoring.domain.county import CERTIFIED_STRUCTURE, FORMAL_BRANCH_TYPES, CountyFacts
from services.scoring.domain.moves import Move, Span, county_on, history
from yinfa.city_time import local_day

Key = tuple[str, str]
Writes = list[tuple[Key, dict[str, Any]]]


class UnknownCounty(Exception):
    """The event names a county the city's reference data does not know."""

    def __init__(self, event_type: str, stream_id: str, county: str | None = None) -> None:
        named = f" {county!r}" if county else ""
        super().__init__(f"{event_type} on {stream_id}: county{named} unknown")
        self.event_type = event_type
        self.stream_id = stream_id
        self.county = county


@dataclass(frozen=True)
class SourceEvent:
    """What scoring needs of an event of another service."""

    event_id: str
    type: str
    stream_id: str
    version: int
    data: Mapping[str, Any]
    recorded_at: datetime | None = None


def entity_of(stream_id: str) -> str:
    return stream_id.split("-", 1)[1] if "-" in stream_id else stream_id


def period_day(instant: str, zone: tzinfo) -> str:
    """The day by which a fact is placed in a period: the city's calendar day of the
    instant (ISO text). Every indicator's facts are placed through this one function;
    days that sources already keep on the city's clock (a ledger's `served_on`, a grant's
    `granted_on`) are taken as they are."""
    return local_day(instant, zone).isoformat()


# ---- event → register writes ----------------------------------------------------------
# Each translator: (entity id of the stream, payload) -> writes. Pure and total for the
# payloads the source schemas accept.

def _volunteer_registered(vid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    return [(("volunteer", vid), {"registered": True, "county": d["county_code"]})]


def _volunteer_withdrawn(vid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    return [(("volunteer", vid), {"registered": False})]


def _volunteer_returned(vid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    # counted again in the county they registered in; their ledger never left
    return [(("volunteer", vid), {"registered": True})]


def _volunteer_merged_into(vid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    # a duplicate record: one volunteer with its survivor; its entries count for the
    # survivor, in the county and period they were served, except the activities the
    # survivor was credited for too (`duplicates`), which count once, the survivor's.
    # The duplicate's stream says all of it: the survivor's VolunteerRecordsMerged is
    # not needed here (and not read, so every register keeps one source stream).
    return [(("volunteer", vid), {"merged_into": d["survivor_id"],
                                  "counted_once": tuple(sorted(d["duplicates"]))})]


def _volunteer_merge_undone(vid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    return [(("volunteer", vid), {"merged_into": None, "counted_once": ()})]


def _volunteer_transferred_out(vid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    # moved to another city: no longer one of the county's volunteers; the hours stay
    # where they were served
    return [(("volunteer", vid), {"registered": False})]


def _volunteer_transferred_in(vid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    # one of the county's volunteers: a newcomer (as their VolunteerRegistered says), or
    # back in the county that released them; the hours carried were served in other
    # cities and count in no ranking here (only HoursRecorded places hours)
    return [(("volunteer", vid), {"registered": True})]


def _volunteer_transferred(vid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    # a move between counties of the city, by its transfer (one event writes it); the
    # volunteer's county is the latest one. Out of the city: VolunteerTransferredOut.
    if not d.get("to_county"):
        return []
    return [(("move", d["transfer_id"]), {"volunteer": vid, "from": d["from_county"],
                                          "to": d["to_county"], "at": d["effective_at"],
                                          "day": period_day(d["effective_at"], zone)}),
            (("volunteer", vid), {"county": d["to_county"]})]


def _hours_recorded(vid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    return [(("hours", d["entry_id"]), {"volunteer": vid, "hours": str(d["hours"]),
                                        "day": d["served_on"],
                                        "activity": d.get("activity_id")})]


def _hours_corrected(vid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    return [(("hours", d["entry_id"]), {"volunteer": vid, "hours": str(d["hours"])})]


def _branch_established(bid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    return [(("branch", bid), {"alive": True, "county": d["county_code"], "name": d["name"],
                               "branch_type": d["branch_type"], "structure": d["level"]})]


def _branch_renamed(bid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    return [(("branch", bid), {"name": d["name"]})]


def _member(bid: str, vid: str, on: bool) -> tuple[Key, dict[str, Any]]:
    return ("member", f"{bid}/{vid}"), {"branch": bid, "volunteer": vid, "on": on}


def _member_added(bid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    return [_member(bid, d["volunteer_id"], True)]


def _member_removed(bid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    return [_member(bid, d["volunteer_id"], False)]


def _member_moved(bid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    # the same event on both branches' streams: each writes its own membership only
    return [_member(bid, d["volunteer_id"], d["side"] == "in")]


def _member_records_merged(bid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    # two records of one person merged: the duplicate left, the survivor may have joined
    joined = [_member(bid, d["survivor_id"], True)] if d["outcome"] == "joined" else []
    return [_member(bid, d["duplicate_id"], False), *joined]


def _member_records_unmerged(bid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    return [*([_member(bid, d["duplicate_id"], True)] if d["duplicate_rejoined"] else []),
            *([_member(bid, d["survivor_id"], False)] if d["survivor_left"] else [])]


def _branch_merged(bid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    # the members move to the absorbing branch (its BranchAbsorbed adds them there)
    return [(("branch", bid), {"alive": False}),
            *(_member(bid, vid, False) for vid in d["members"])]


def _branch_absorbed(bid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    return [_member(bid, vid, True) for vid in d["members"]]


def _branch_dissolved(bid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    return [(("branch", bid), {"alive": False})]


def _granted(bid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    return [(("level", bid), {"level": d["level"]})]


def _lost(bid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    # revoked, failed its re-review or expired: the branch holds nothing, not even a
    # lower level, and climbs again from the first (see branches' certification aggregate)
    return [(("level", bid), {"level": None})]


def _activity_published(aid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    organiser = d.get("organiser") or {}
    return [(("activity", aid), {"county": d["county_code"], "theme": d["theme"],
                                 "day": period_day(d["starts_at"], zone),
                                 "title": d.get("title"),
                                 "organiser": f"{organiser.get('kind')}:{organiser.get('id')}"})]


def _activity_completed(aid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    return [(("activity", aid), {"completed": True, "audience": int(d["audience_reached"]),
                                 "endorsed": bool(d["endorsed"])})]


def _completion_corrected(aid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    values: dict[str, Any] = {}
    if d.get("audience_reached") is not None:
        values["audience"] = int(d["audience_reached"])
    if d.get("endorsed") is not None:
        values["endorsed"] = bool(d["endorsed"])
    return [(("activity", aid), values)] if values else []


def _wish_posted(wid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    return [(("wish", wid), {"county": d["county_code"]})]


def _wish_confirmed(wid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    claimant = d.get("claimant") or {}
    return [(("wish", wid), {"seconds": int(d["seconds_to_fulfil"]),
                             "day": period_day(d["confirmed_at"], zone),
                             "claimant": f"{claimant.get('kind')}:{claimant.get('id')}"})]


def _report_submitted(rid: str, d: Mapping[str, Any], zone: tzinfo) -> Writes:
    # scoring's own event (it follows its own log): a unit's report for a year
    return [(("report", rid), {"unit": d["unit_code"], "kind": d["kind"],
                               "year": int(d["year"]), "on_time": bool(d["on_time"])})]


TRANSLATORS: dict[str, Callable[[str, Mapping[str, Any], tzinfo], Writes]] = {
    "VolunteerRegistered": _volunteer_registered,
    "VolunteerWithdrawn": _volunteer_withdrawn,
    "VolunteerReturned": _volunteer_returned,
    "VolunteerTransferredOut": _volunteer_transferred_out,
    "VolunteerTransferredIn": _volunteer_transferred_in,
    "VolunteerMergedInto": _volunteer_merged_into,
    "VolunteerMergeUndone": _volunteer_merge_undone,
    "VolunteerTransferred": _volunteer_transferred,
    "HoursRecorded": _hours_recorded,
    "HoursCorrected": _hours_corrected,
    "BranchEstablished": _branch_established,
    "BranchRenamed": _branch_renamed,
    "MemberAdded": _member_added,
    "MemberRemoved": _member_removed,
    "MemberMoved": _member_moved,
    "MemberRecordsMerged": _member_records_merged,
    "MemberRecordsUnmerged": _member_records_unmerged,
    "BranchMerged": _branch_merged,
    "BranchAbsorbed": _branch_absorbed,
    "BranchDissolved": _branch_dissolved,
    "CertificationGranted": _granted,
    "CertificationRevoked": _lost,
    "ReviewFailed": _lost,
    "CertificationExpired": _lost,
    "ActivityPublished": _activity_published,
    "ActivityCompleted": _activity_completed,
    "CompletionCorrected": _completion_corrected,
    "WishPosted": _wish_posted,
    "WishConfirmed": _wish_confirmed,
    "ReportSubmitted": _report_submitted,
}
SUBSCRIBED = frozenset(TRANSLATORS)


# ---- the state -------------------------------------------------------------------------

@dataclass(slots=True)  # one per entity and fact, so kept small: no __dict__, and ...
class Register:
    values: dict[str, Any] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    # ... one version for all fields while they were written together (most registers
    # are written by one event); a version per field only once they differ
    version: int = 0
    versions: dict[str, int] | None = None

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def version_of(self, name: str) -> int:
        if self.versions is not None:
            return self.versions.get(name, 0)
        return self.version if name in self.values else 0

    def write(self, name: str, value: Any, version: int) -> bool:
        """Last writer wins, by stream version; True if the value was taken."""
        if self.version_of(name) >= version:
            return False
        if self.versions is None:
            if not self.values or version == self.version:
                self.version = version
            else:
                self.versions = dict.fromkeys(self.values, self.version)
        if self.versions is not None:
            self.versions[name] = version
        self.values[name] = value
        return True


# the same few hour amounts and days recur across hundreds of thousands of facts: one
# shared (immutable) object each instead of a copy per fact
_amount = lru_cache(maxsize=4096)(Decimal)
_day = lru_cache(maxsize=4096)(date.fromisoformat)

_generations = itertools.count(1)


class ScoringState:
    """The registers, by kind and id, and the per-county facts they make, kept up to date
    as each register changes (so scoring a county never scans the whole state).

    Every county whose facts change gets its version bumped: a ranking cached per county
    version is recomputed only for the counties an event touched."""

    def __init__(self, zone: tzinfo) -> None:
        self.generation = next(_generations)  # tells states apart in caches
        self.zone = zone  # the city's clock, on which facts fall into periods
        self.by_kind: dict[str, dict[str, Register]] = {}
        self.facts: dict[str, CountyFacts] = {}
        self.county_versions: dict[str, int] = {}
        self.applied = 0  # events folded (duplicates included)
        # joins kept as indexes: volunteer -> its hour entries, branch -> its members
        self._hours_of: dict[str, set[str]] = {}
        self._members_of: dict[str, set[str]] = {}
        self._moves_of: dict[str, set[str]] = {}  # volunteer -> their transfers' ids
        self._merged_into_of: dict[str, set[str]] = {}  # survivor -> records ever merged

    # ---- folding -------------------------------------------------------------------------

    def apply(self, event: SourceEvent) -> None:
        self.apply_raw(event.event_id, event.type, event.stream_id, event.version, event.data)

    def apply_raw(self, event_id: str, event_type: str, stream_id: str, version: int,
                  data: Mapping[str, Any]) -> None:
        """`apply` without building a SourceEvent (the rebuild's hot path)."""
        self.applied += 1
        translate = TRANSLATORS.get(event_type)
        if translate is None:
            return
        for (kind, ident), values in translate(entity_of(stream_id), data, self.zone):
            registers = self.by_kind.get(kind)
            if registers is None:
                registers = self.by_kind[kind] = {}
            register = registers.get(ident)
            if register is None:
                register = registers[ident] = Register()
            changed = False
            for name, value in values.items():
                if register.write(name, value, version):
                    changed = True
            if event_id not in register.events:
                register.events.append(event_id)
            if changed:
                PLACERS[kind](self, ident, register)

    def apply_all(self, events: Iterable[SourceEvent]) -> ScoringState:
        for event in events:
            self.apply(event)
        return self

    # ---- reading -------------------------------------------------------------------------

    def of_kind(self, kind: str) -> Iterator[tuple[str, Register]]:
        return iter(self.by_kind.get(kind, {}).items())

    def register(self, kind: str, ident: str) -> Register | None:
        return self.by_kind.get(kind, {}).get(ident)

    @property
    def registers(self) -> dict[Key, Register]:
        return {(kind, ident): r for kind, registers in self.by_kind.items()
                for ident, r in registers.items()}

    def comparable(self) -> dict[Key, dict[str, Any]]:
        """The state without its bookkeeping, for equality checks (evidence order aside)."""
        return {key: {"values": dict(r.values), "events": sorted(r.events)}
                for key, r in self.registers.items()}

    def members_of(self, branch_id: str) -> set[str]:
        """Volunteer ids of the branch's members now."""
        return {vid for vid in self._members_of.get(branch_id, ())
                if (r := self.register("member", f"{branch_id}/{vid}")) and r.get("on")}

    def hour_entries_of(self, volunteer_id: str) -> set[str]:
        return self._hours_of.get(volunteer_id, set())

    def counted_entries_of(self, volunteer_id: str) -> set[str]:
        """The entries that count for a volunteer: their own, and those of the records
        merged into them now, but an activity both were credited for only once."""
        entries = set(self.hour_entries_of(volunteer_id))
        for merged in self._merged_into_of.get(volunteer_id, ()):
            r = self.register("volunteer", merged)
            if r is not None and r.get("merged_into") == volunteer_id:
                entries |= self.hour_entries_of(merged) - set(r.get("counted_once", ()))
        return entries

    # ---- placing registers into county facts --------------------------------------------

    def county_facts_of(self, county: str) -> CountyFacts:
        self.county_versions[county] = self.county_versions.get(county, 0) + 1
        facts = self.facts.get(county)
        if facts is None:
            facts = self.facts[county] = CountyFacts(county)
        return facts

    def county_of_volunteer(self, vid: str | None) -> str | None:
        r = self.register("volunteer", vid) if vid else None
        return r.get("county") if r is not None else None

    def county_spans(self, vid: str | None) -> list[Span] | None:
        """The counties a volunteer belonged to, day by day; None if never transferred
        (their county is the one they registered in)."""
        moves = self._moves_of.get(vid) if vid else None
        if not moves:
            return None
        registers = self.by_kind["move"]
        return history(Move(r.version_of("to"), _day(r.get("day")), r.get("from"), r.get("to"))
                       for r in (registers[transfer] for transfer in moves))

    def county_of_volunteer_on(self, vid: str | None, day: str | date | None) -> str | None:
        """The county a volunteer belonged to on a day (of the city's calendar)."""
        spans = self.county_spans(vid)
        if spans is None or day is None:
            return self.county_of_volunteer(vid)
        return county_on(spans, _day(day) if isinstance(day, str) else day)

    def county_of_branch(self, bid: str) -> str | None:
        r = self.register("branch", bid)
        return r.get("county") if r is not None else None


def _place_volunteer(state: ScoringState, vid: str, r: Register) -> None:
    county = r.get("county")
    if county is None:
        return
    # a record merged into another is the same person: counted once, as its survivor
    _place_membership(state, vid, county, bool(
        r.get("registered") and not r.get("merged_into")))
    if r.get("merged_into"):
        state._merged_into_of.setdefault(r.get("merged_into"), set()).add(vid)
    for survivor, merged in state._merged_into_of.items():  # few: merges are rare
        survivor_county = state.county_of_volunteer(survivor) if vid in merged else None
        if survivor_county:  # its rankings count this record's hours, or stop counting
            state.county_versions[survivor_county] = (
                state.county_versions.get(survivor_county, 0) + 1)
    for entry in state.hour_entries_of(vid):  # hours that came before the registration
        _place_hours(state, entry, state.by_kind["hours"][entry])


def _place_membership(state: ScoringState, vid: str, county: str, on: bool) -> None:
    """In the county they registered in; once transferred, in every county they belonged
    to, with the days they did (`CountyFacts.volunteer_spans`)."""
    spans = state.county_spans(vid)
    if spans is None:
        state.county_facts_of(county).volunteers[vid] = on
        return
    days: dict[str, list[tuple[date | None, date | None]]] = {}
    for span in spans:
        days.setdefault(span.county, []).append((span.start, span.end))
    for belonged, when in days.items():
        facts = state.county_facts_of(belonged)
        facts.volunteers[vid] = on
        facts.volunteer_spans[vid] = tuple(when)


def _unplace_elsewhere(state: ScoringState, vid: str | None, entry: str, county: str | None
                       ) -> None:
    """A transferred volunteer's entry counts in one county: the others drop it (placed
    there before a transfer that moves it was known)."""
    for span in state.county_spans(vid) or ():
        facts = state.facts.get(span.county)
        if span.county != county and facts is not None and entry in facts.hour_entries:
            state.county_facts_of(span.county).hour_entries.pop(entry)


def _place_move(state: ScoringState, transfer: str, r: Register) -> None:
    vid = r.get("volunteer")
    state._moves_of.setdefault(vid, set()).add(transfer)
    volunteer = state.register("volunteer", vid)
    if volunteer is not None:  # its county, its hour entries, by the days of its moves
        _place_volunteer(state, vid, volunteer)


def _place_hours(state: ScoringState, entry: str, r: Register) -> None:
    vid, amount, day = r.get("volunteer"), r.get("hours"), r.get("day")
    if vid is not None:
        state._hours_of.setdefault(vid, set()).add(entry)
    county = state.county_of_volunteer_on(vid, day)  # where it was served
    _unplace_elsewhere(state, vid, entry, county)
    if county and amount is not None and day is not None:
        owner = state.register("volunteer", vid) if vid else None
        survivor = owner.get("merged_into") if owner is not None else None
        if survivor and entry in owner.get("counted_once", ()):  # type: ignore[union-attr]
            state.county_facts_of(county).hour_entries.pop(entry, None)
            return
        state.county_facts_of(county).hour_entries[entry] = (
            survivor or vid, _amount(amount), _day(day))


def _place_branch(state: ScoringState, bid: str, r: Register) -> None:
    county = r.get("county")
    if county is None:
        return
    # coverage counts formal 支部, the level that is certified (as branches does)
    if r.get("branch_type") in FORMAL_BRANCH_TYPES and r.get("structure") == (
            CERTIFIED_STRUCTURE):
        state.county_facts_of(county).formal_branches[bid] = bool(r.get("alive"))
    level = state.register("level", bid)
    if level is not None:  # a certification that came before the establishment
        state.county_facts_of(county).certifications[bid] = level.get("level")


def _place_level(state: ScoringState, bid: str, r: Register) -> None:
    county = state.county_of_branch(bid)
    if county:
        state.county_facts_of(county).certifications[bid] = r.get("level")


def _place_member(state: ScoringState, key: str, r: Register) -> None:
    bid, vid = r.get("branch"), r.get("volunteer")
    state._members_of.setdefault(bid, set()).add(vid)
    county = state.county_of_branch(bid)
    if county:
        state.county_versions[county] = state.county_versions.get(county, 0) + 1


def _place_activity(state: ScoringState, aid: str, r: Register) -> None:
    county, theme, day = r.get("county"), r.get("theme"), r.get("day")
    if not county or theme is None:
        return
    f = state.county_facts_of(county)
    f.activities[aid] = (theme, _day(day))
    if r.get("completed"):
        f.completed.add(aid)
        f.audience[aid] = int(r.get("audience", 0))
        f.endorsed[aid] = bool(r.get("endorsed"))


def _place_wish(state: ScoringState, wid: str, r: Register) -> None:
    county, seconds = r.get("county"), r.get("seconds")
    if county:
        # wishes count for claimants too (branch and volunteer rankings): a change
        # anywhere in the county's wishes makes its rankings stale
        if seconds is None:
            state.county_versions[county] = state.county_versions.get(county, 0) + 1
        else:
            state.county_facts_of(county).wishes_fulfilled[wid] = (
                int(seconds), _day(r.get("day")))


def _place_report(state: ScoringState, rid: str, r: Register) -> None:
    unit = r.get("unit")
    if unit:
        state.county_facts_of(unit).reports[rid] = (r.get("kind"), r.get("year"),
                                                    bool(r.get("on_time")))


PLACERS: dict[str, Callable[[ScoringState, str, Register], None]] = {
    "volunteer": _place_volunteer, "hours": _place_hours, "branch": _place_branch,
    "level": _place_level, "member": _place_member, "activity": _place_activity,
    "wish": _place_wish, "move": _place_move, "report": _place_report,
}
