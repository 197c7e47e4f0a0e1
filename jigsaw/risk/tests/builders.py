"""Short builders for engine tests. All people, agencies and events are made up."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from jigsaw.core.dates import UK
from jigsaw.risk.engine import (
    Child,
    DobClaim,
    EvaluationContext,
    Event,
    Finding,
    HouseholdMember,
    HouseholdSource,
    Subject,
    evaluate,
)

AGENCIES = {
    "NMUH": ("North Middlesex A&E", "health"),
    "WHH": ("Whittington Hospital", "health"),
    "GP": ("Bruce Grove Surgery", "health"),
    "HV": ("Haringey Health Visiting", "health"),
    "CSC": ("Haringey Children's Social Care", "social_care"),
    "MPS": ("Metropolitan Police", "police"),
    "SCH": ("Tiverton Primary School", "education"),
    "PRB": ("London Probation", "probation"),
    "AMH": ("Haringey Adult Mental Health", "adult_mental_health"),
    "SMS": ("Haringey Drug and Alcohol Service", "substance_misuse"),
    "HSG": ("Haringey Housing", "housing"),
}
CHILD_ID = 101
_ids = itertools.count(1)


def at(when: str | date | datetime) -> datetime:
    """ "2024-03-05" is noon UK time that day; "2024-03-05T09:30" is UK local time."""
    if isinstance(when, datetime):
        return when
    if isinstance(when, date):
        return datetime.combine(when, time(12, 0), tzinfo=UK).astimezone(UTC)
    if "T" in when:
        return datetime.fromisoformat(when).replace(tzinfo=UK).astimezone(UTC)
    return at(date.fromisoformat(when))


def d(text: str) -> date:
    return date.fromisoformat(text)


def ev(
    type: str,
    on: str | date | datetime,
    *,
    agency: str = "CSC",
    recorded: str | date | datetime | None = None,
    role: str = "child",
    event_id: str | None = None,
    others: tuple[Subject, ...] = (),
    **details: Any,
) -> Event:
    name, sector = AGENCIES[agency]
    occurred = at(on)
    return Event(
        agency=agency,
        agency_name=name,
        sector=sector,
        event_id=event_id or f"{type[:3].upper()}-{next(_ids)}",
        type=type,
        occurred_at=occurred,
        recorded_at=at(recorded) if recorded is not None else occurred + timedelta(hours=1),
        details=details,
        role=role,
        others=others,
    )


def bruise(site: str = "face", pattern: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "bruise", "site": site}
    if pattern:
        out["pattern"] = pattern
    return out


def injury(
    on: str | date | datetime, *injuries: dict[str, Any], agency: str = "NMUH", **kw: Any
) -> Event:
    """An injury event: A&E attendance from a hospital, otherwise injury_observed. An
    explanation is given unless the test says otherwise."""
    kind = "ae_attendance" if AGENCIES[agency][1] == "health" else "injury_observed"
    kw.setdefault("explanation", "fell in the park")
    return ev(kind, on, agency=agency, injuries=list(injuries or [bruise()]), **kw)


def visit(on: str | date | datetime, *, seen: bool | None = True, **kw: Any) -> Event:
    if seen is not None:
        kw["child_seen"] = seen
    return ev("home_visit", on, **kw)


def conference(on: str | date | datetime, kind: str = "initial", outcome: str = "plan") -> Event:
    return ev("cp_conference", on, conference=kind, outcome=outcome)


def strategy(on: str | date | datetime, outcome: str = "section47") -> Event:
    return ev("strategy_discussion", on, outcome=outcome)


def child(dob: str | None = "2023-06-01", *claims: tuple[str, str]) -> Child:
    """A child; each claim is (date of birth, agency code)."""
    return Child(
        person_id=CHILD_ID,
        records=(("CSC", "C-1"), ("NMUH", "H-1")),
        date_of_birth=d(dob) if dob else None,
        dob_claims=tuple(DobClaim(d(v), a, AGENCIES[a][0]) for v, a in claims),
    )


def source(
    agency: str = "HSG",
    since: str | None = "2024-01-10",
    recorded: str | None = None,
    kind: str = "address",
    reference: str = "R-77",
) -> HouseholdSource:
    name, sector = AGENCIES[agency]
    return HouseholdSource(
        agency=agency,
        agency_name=name,
        sector=sector,
        kind=kind,
        reference=reference,
        since=d(since) if since else None,
        recorded_at=at(recorded or since or "2024-01-10"),
    )


def member(
    person_id: int = 202,
    name: str = "Jason Doe",
    *,
    relationship: str = "partner_of_parent",
    since: str | None = "2024-01-10",
    until: str | None = None,
    known: bool = False,
    sources: tuple[HouseholdSource, ...] | None = None,
    events: tuple[Event, ...] = (),
    adult: bool = True,
) -> HouseholdMember:
    return HouseholdMember(
        person_id=person_id,
        name=name,
        relationship=relationship,
        adult=adult,
        since=d(since) if since else None,
        until=d(until) if until else None,
        sources=(source(since=since),) if sources is None else sources,
        known_to_social_care=known,
        events=events,
    )


def context(
    now: str | date | datetime,
    *events: Event,
    kid: Child | None = None,
    household: tuple[HouseholdMember, ...] = (),
) -> EvaluationContext:
    return EvaluationContext(child=kid or child(), now=at(now), events=events, household=household)


def findings(
    now: str | date | datetime,
    *events: Event,
    rule: str | None = None,
    kid: Child | None = None,
    household: tuple[HouseholdMember, ...] = (),
) -> list[Finding]:
    found = evaluate(context(now, *events, kid=kid, household=household))
    return [f for f in found if rule is None or f.rule_id == rule]


def one(found: list[Finding]) -> Finding:
    assert len(found) == 1, [f.reason for f in found]
    return found[0]
