"""What the rules see: one child, their events and household, as known at a clock time.

Everything here is plain data, built by whoever reads the record store. The context constructor
drops anything recorded after the clock (the "as known on" rule), so a rule cannot use what was
not yet known, whatever it is handed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property
from types import MappingProxyType
from typing import Any

from jigsaw.core.dates import uk_date
from jigsaw.risk.engine.timing import age_phrase, day_phrase, months_old

PersonId = int | str

# Roles in which an event is about the child themself (not, say, a teenage parent's own baby).
ABOUT_CHILD_ROLES = frozenset({"child", "victim"})
INJURY_EVENT_TYPES = frozenset({"injury_observed", "ae_attendance"})
# What rules that read only events listing injuries say they read (see `Rule.reads`).
INJURIES = "injuries"


def _aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime")
    return value


def injuries_listed(type_: str, details: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The injuries an event of this type and these details lists."""
    raw = details.get("injuries")
    if type_ not in INJURY_EVENT_TYPES or not isinstance(raw, list | tuple):
        return []
    return [i for i in raw if isinstance(i, Mapping)]


@dataclass(frozen=True)
class Subject:
    """Another person an event names, with their role in it."""

    person_id: PersonId
    role: str


@dataclass(frozen=True, eq=False)
class Event:
    """One event as an agency sent it (its latest version known at the clock)."""

    agency: str  # the agency's code
    agency_name: str
    sector: str
    event_id: str
    type: str
    occurred_at: datetime
    recorded_at: datetime
    details: Mapping[str, Any] = field(default_factory=dict)
    role: str = "child"  # the role of the person whose event list this is in
    others: tuple[Subject, ...] = ()

    def __post_init__(self) -> None:
        _aware(self.occurred_at, "occurred_at")
        _aware(self.recorded_at, "recorded_at")
        details = self.details if isinstance(self.details, Mapping) else {}
        object.__setattr__(self, "details", MappingProxyType(dict(details)))

    @property
    def ref(self) -> tuple[str, str]:
        return (self.agency, self.event_id)

    @property
    def knowable_at(self) -> datetime:
        """When a rule could first act on it: it must have happened and been recorded."""
        return max(self.occurred_at, self.recorded_at)

    @cached_property
    def day(self) -> date:
        # Kept: the same event is read at every evaluation, and the zone conversion costs.
        return uk_date(self.occurred_at)

    @property
    def about_child(self) -> bool:
        return self.role in ABOUT_CHILD_ROLES

    @property
    def injuries(self) -> list[Mapping[str, Any]]:
        """The injuries listed, ignoring anything that is not an injury object."""
        return injuries_listed(self.type, self.details)

    def flag(self, name: str) -> bool | None:
        """A yes/no detail: True, False or None when missing or not a boolean."""
        value = self.details.get(name)
        return value if isinstance(value, bool) else None

    def text(self, name: str) -> str:
        value = self.details.get(name)
        return value.strip() if isinstance(value, str) else ""

    def sort_key(self) -> tuple[datetime, datetime, str, str]:
        return (self.occurred_at, self.recorded_at, self.agency, self.event_id)


@dataclass(frozen=True)
class DobClaim:
    """A date of birth as one agency's record gives it."""

    value: date
    agency: str
    agency_name: str


@dataclass(frozen=True)
class Child:
    person_id: PersonId
    records: tuple[tuple[str, str], ...] = ()  # (agency code, local id) of every linked record
    date_of_birth: date | None = None  # the best value, chosen when the records were linked
    dob_claims: tuple[DobClaim, ...] = ()

    @property
    def dob_disputed(self) -> bool:
        return len({c.value for c in self.dob_claims}) > 1

    def months_old(self, on: date) -> int | None:
        if self.date_of_birth is None:
            return None
        return months_old(self.date_of_birth, on)

    def age_phrase(self, on: date) -> str:
        """ "a 4-month-old", or "a child" when the age is not known."""
        if self.date_of_birth is None or on < self.date_of_birth:
            return "a child"
        return age_phrase(self.date_of_birth, on)

    def dob_note(self) -> str:
        """A sentence saying the date of birth is disputed and which value was used, or ""."""
        if not self.dob_disputed or self.date_of_birth is None:
            return ""
        by_value: dict[date, list[str]] = {}
        for claim in sorted(self.dob_claims, key=lambda c: (c.value, c.agency_name)):
            by_value.setdefault(claim.value, []).append(claim.agency_name)
        values = "; ".join(
            f"{day_phrase(value)} ({', '.join(names)})" for value, names in by_value.items()
        )
        return (
            f"Agencies disagree on the date of birth: {values}; "
            f"{day_phrase(self.date_of_birth)} was used."
        )


@dataclass(frozen=True)
class HouseholdSource:
    """Why one agency places a member in the child's household: an address its record gives, or
    a household_change event."""

    agency: str
    agency_name: str
    sector: str
    kind: str  # "address" or "household_change"
    reference: str  # the agency's record local id (address) or event id (household change)
    since: date | None
    recorded_at: datetime

    def __post_init__(self) -> None:
        _aware(self.recorded_at, "recorded_at")


@dataclass(frozen=True)
class HouseholdMember:
    person_id: PersonId
    name: str
    relationship: str = ""  # parent, partner_of_parent, lodger, relative, other, or ""
    adult: bool = True
    since: date | None = None  # None: not known when they arrived
    until: date | None = None  # None: still there as far as anyone says
    sources: tuple[HouseholdSource, ...] = ()
    known_to_social_care: bool = False  # children's social care's own records place them there
    events: tuple[Event, ...] = ()  # their own offence, mental health, substance, police events

    def present_on(self, d: date) -> bool:
        return (self.since is None or self.since <= d) and (self.until is None or d <= self.until)

    @property
    def label(self) -> str:
        relationship = self.relationship.replace("_", " ")
        if self.name and relationship:
            return f"{self.name} ({relationship})"
        return self.name or relationship or "an adult"


@dataclass(frozen=True)
class Period:
    """A stretch of a status (on a plan, under section 47…): from one event until another."""

    start: Event
    end: Event | None = None

    def covers(self, at: datetime) -> bool:
        return self.start.occurred_at <= at and (self.end is None or at < self.end.occurred_at)


def _known(event: Event, now: datetime) -> bool:
    return event.recorded_at <= now and event.occurred_at <= now


def household_known(
    household: Iterable[HouseholdMember], now: datetime
) -> tuple[HouseholdMember, ...]:
    """The household as known at `now`: each member with the sources and events then recorded
    (and happened), in a fixed order; a member nobody had yet placed there is left out."""
    members = []
    for m in household:
        sources = tuple(s for s in m.sources if s.recorded_at <= now)
        if m.sources and not sources:
            continue  # nobody had yet said they were there
        kept = tuple(sorted((e for e in m.events if _known(e, now)), key=Event.sort_key))
        if sources != m.sources or kept != m.events:
            m = replace(m, sources=sources, events=kept)
        members.append(m)
    return tuple(sorted(members, key=lambda m: (str(m.person_id), m.name)))


class EvaluationContext:
    """One child as known at `now` (an aware datetime).

    Events, household sources and members' events recorded after `now` are dropped here, and
    events that had not happened by `now` (future-dated appointments, typing slips) too.
    """

    def __init__(
        self,
        *,
        child: Child,
        now: datetime,
        events: Iterable[Event] = (),
        household: Iterable[HouseholdMember] = (),
    ) -> None:
        self.now = _aware(now, "now")
        self.child = child
        self.events: tuple[Event, ...] = tuple(
            sorted((e for e in events if self._known(e)), key=Event.sort_key)
        )
        self.household: tuple[HouseholdMember, ...] = household_known(household, now)

    def _known(self, event: Event) -> bool:
        return _known(event, self.now)

    @property
    def today(self) -> date:
        return uk_date(self.now)

    @cached_property
    def about_child(self) -> tuple[Event, ...]:
        return tuple(e for e in self.events if e.about_child)

    def of_type(self, *types: str) -> list[Event]:
        if len(types) == 1:
            return list(self._by_type.get(types[0], ()))
        return [e for e in self.about_child if e.type in types]

    @cached_property
    def _by_type(self) -> dict[str, list[Event]]:
        """The events about the child by type, in order (rules ask for one type many times)."""
        out: dict[str, list[Event]] = {}
        for e in self.about_child:
            out.setdefault(e.type, []).append(e)
        return out

    @cached_property
    def injury_events(self) -> tuple[Event, ...]:
        return tuple(e for e in self.about_child if e.injuries)

    def current_members(self) -> list[HouseholdMember]:
        return [m for m in self.household if m.present_on(self.today)]

    # Status, from children's social care's events (by type: only social care sends them).

    @cached_property
    def plan_periods(self) -> tuple[Period, ...]:
        """On a plan: from a conference with outcome `plan` until one with `end_plan` (or a review
        conference deciding `no_plan`, which ends it just the same)."""
        periods: list[Period] = []
        start: Event | None = None
        for e in self.of_type("cp_conference"):
            outcome = e.text("outcome")
            if outcome == "plan" and start is None:
                start = e
            elif start is not None and (
                outcome == "end_plan" or (outcome == "no_plan" and e.text("conference") == "review")
            ):
                periods.append(Period(start, e))
                start = None
        if start is not None:
            periods.append(Period(start))
        return tuple(periods)

    @cached_property
    def section47_periods(self) -> tuple[Period, ...]:
        """Under section 47: from a strategy discussion deciding `section47` until its outcome,
        or, when the outcome is a conference, until the initial conference."""
        periods: list[Period] = []
        start: Event | None = None
        for e in self.of_type("strategy_discussion", "section47_outcome", "cp_conference"):
            if e.type == "strategy_discussion":
                if e.text("outcome") == "section47" and start is None:
                    start = e
            elif start is None:
                continue
            elif (e.type == "section47_outcome" and e.text("outcome") != "conference") or (
                e.type == "cp_conference" and e.text("conference") == "initial"
            ):
                periods.append(Period(start, e))
                start = None
        if start is not None:
            periods.append(Period(start))
        return tuple(periods)

    @cached_property
    def assessment_periods(self) -> tuple[Period, ...]:
        periods: list[Period] = []
        start: Event | None = None
        for e in self.of_type("assessment"):
            stage = e.text("stage")
            if stage == "started" and start is None:
                start = e
            elif stage == "completed" and start is not None:
                periods.append(Period(start, e))
                start = None
        if start is not None:
            periods.append(Period(start))
        return tuple(periods)

    @cached_property
    def care_periods(self) -> tuple[Period, ...]:
        """In care: an open placement other than with a parent. Each placement event says where
        the child is from then on; `ended`, or a placement with a parent, ends it."""
        periods: list[Period] = []
        start: Event | None = None
        for e in self.of_type("placement"):
            away = e.text("carer_type") != "parent" and e.flag("ended") is not True
            if start is not None and (not away or e.flag("ended") is True):
                periods.append(Period(start, e))
                start = None
            if away and start is None:
                start = e
        if start is not None:
            periods.append(Period(start))
        return tuple(periods)

    @staticmethod
    def _period_at(periods: tuple[Period, ...], at: datetime) -> Period | None:
        for p in reversed(periods):  # most children have none
            if p.covers(at):
                return p
        return None

    def plan_at(self, at: datetime | None = None) -> Period | None:
        return self._period_at(self.plan_periods, self.now if at is None else at)

    def section47_at(self, at: datetime | None = None) -> Period | None:
        return self._period_at(self.section47_periods, self.now if at is None else at)

    def assessment_at(self, at: datetime | None = None) -> Period | None:
        return self._period_at(self.assessment_periods, self.now if at is None else at)

    def care_at(self, at: datetime | None = None) -> Period | None:
        return self._period_at(self.care_periods, self.now if at is None else at)

    def on_plan(self, at: datetime | None = None) -> bool:
        return self.plan_at(at) is not None

    def under_section47(self, at: datetime | None = None) -> bool:
        return self.section47_at(at) is not None

    def under_assessment(self, at: datetime | None = None) -> bool:
        return self.assessment_at(at) is not None

    def in_care(self, at: datetime | None = None) -> bool:
        return self.care_at(at) is not None

    def open_to_social_care(self, at: datetime | None = None) -> bool:
        return (
            self.on_plan(at)
            or self.under_section47(at)
            or self.under_assessment(at)
            or self.in_care(at)
        )
