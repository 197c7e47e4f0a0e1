"""The people around the child: adults nobody has checked, adults with offences, domestic abuse,
and the "toxic trio" as context."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from jigsaw.risk.engine.findings import Flag, Severity, episode_of, knowable
from jigsaw.risk.engine.model import (
    EvaluationContext,
    Event,
    HouseholdMember,
    HouseholdSource,
    Period,
)
from jigsaw.risk.engine.rules.base import (
    SCHOOL_DSL,
    SOCIAL_WORKER,
    STATUS_TYPES,
    Rule,
    RuleSettings,
    agencies_phrase,
    chains,
    earliest,
    first_knowable,
    owner_for_case,
    status_phrase,
    status_starts,
    status_stretch,
    until_day,
)
from jigsaw.risk.engine.timing import day_phrase, end_of_uk_day, within_months

SERIOUS_OFFENCES = ("violence", "sexual", "child_cruelty")


def offences(member: HouseholdMember, categories: tuple[str, ...]) -> list[Event]:
    return [
        e
        for e in member.events
        if e.type == "offence_record" and e.text("offence_category") in categories
    ]


def offences_phrase(events: list[Event]) -> str:
    parts = [
        f"{e.text('offence_category').replace('_', ' ')} ({e.agency_name}, {day_phrase(e.day)})"
        for e in events
    ]
    return "an offence record for " + ", ".join(parts)


def placed_by(sources: tuple[HouseholdSource, ...]) -> str:
    names = sorted({s.agency_name or s.agency for s in sources})
    since = [s.since for s in sources if s.since]
    text = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    return f"{text} (since {day_phrase(min(since))})" if since else text


def membership_steady(context: EvaluationContext, settings: object = None) -> datetime | None:
    """Who is in the household now changes with the clock when a member's arrival or leaving
    date is still to come."""
    today = context.today
    moments = []
    for m in context.household:
        if m.since is not None and m.since > today:
            moments.append(until_day(context, m.since))
        if m.until is not None and m.until >= today:
            moments.append(end_of_uk_day(m.until))
    return earliest(*moments)


def first_source(member: HouseholdMember) -> list[HouseholdSource]:
    if not member.sources:
        return []
    return [min(member.sources, key=lambda s: (s.recorded_at, s.agency, s.reference))]


# unknown-adult-in-household


@dataclass(frozen=True)
class UnknownAdultSettings(RuleSettings):
    statuses: tuple[str, ...] = ("plan", "section47", "assessment")
    immediate_offences: tuple[str, ...] = SERIOUS_OFFENCES


def _status_periods(context: EvaluationContext, statuses: tuple[str, ...]) -> list[Period]:
    by_status = {
        "plan": context.plan_periods,
        "section47": context.section47_periods,
        "assessment": context.assessment_periods,
        "care": context.care_periods,
    }
    return [p for status in statuses for p in by_status.get(status, ())]


def _unknown_adult(context: EvaluationContext, settings: UnknownAdultSettings) -> Iterator[Flag]:
    stretch = status_stretch(context, _status_periods(context, settings.statuses))
    if not stretch:
        return
    for member in context.current_members():
        if not member.adult or member.known_to_social_care or not member.sources:
            continue
        start = stretch[0].start
        evidence: list[Event | HouseholdSource] = [start, *member.sources]
        raised = max(start.knowable_at, first_source(member)[0].recorded_at)
        serious = offences(member, settings.immediate_offences)
        reason = (
            f"{member.label} is placed in the child's household by {placed_by(member.sources)}, "
            "but children's social care's own records do not have them in the household; "
            f"the child is {status_phrase(context)}"
        )
        severity, severity_at = Severity.HIGH, None
        if serious:
            severity = Severity.IMMEDIATE
            severity_at = min(e.knowable_at for e in serious)
            reason += f". They have {offences_phrase(serious)}"
            evidence.extend(serious)
        yield Flag(
            severity=severity,
            evidence=evidence,
            reason=reason + ".",
            episode=f"adult/{member.person_id}",
            raised_at=raised,
            severity_at=severity_at,
            owner=SOCIAL_WORKER,
        )


unknown_adult_in_household = Rule(
    id="unknown-adult-in-household",
    title="Adult in the household not known to children's social care",
    basis=(
        "Baby P serious case reviews (concealed partner, unknown lodger); national review panel "
        "The Myth of Invisible Men (2021)"
    ),
    action=("Identify the adult and complete checks; ask about the household at the next visit"),
    owner=SOCIAL_WORKER,
    settings=UnknownAdultSettings,
    check=_unknown_adult,
    reads=lambda settings: ("offence_record", *STATUS_TYPES),
    needs=lambda settings: (status_starts(settings.statuses),),
    household=lambda settings: (status_starts(settings.statuses),),
    steady_until=membership_steady,
)


# adult-risk-in-household


@dataclass(frozen=True)
class AdultRiskSettings(RuleSettings):
    offences: tuple[str, ...] = SERIOUS_OFFENCES


def _adult_risk(context: EvaluationContext, settings: AdultRiskSettings) -> Iterator[Flag]:
    for member in context.current_members():
        serious = offences(member, settings.offences)
        if not member.adult or not serious:
            continue
        sources = first_source(member)
        where = (
            f"who lives in the child's household according to {placed_by(member.sources)}"
            if member.sources
            else "who lives in the child's household"
        )
        yield Flag(
            severity=Severity.HIGH,
            evidence=[*serious, *member.sources],
            reason=f"{member.label}, {where}, has {offences_phrase(serious)}.",
            episode=f"adult/{member.person_id}",
            raised_at=knowable([*sources, min(serious, key=lambda e: e.knowable_at)]),
            owner=owner_for_case(context),
        )


adult_risk_in_household = Rule(
    id="adult-risk-in-household",
    title="Adult with a relevant offence record in the household",
    basis="Working Together 2023",
    action="Checks and a risk assessment of the adult's contact with the child",
    owner=SOCIAL_WORKER,
    settings=AdultRiskSettings,
    check=_adult_risk,
    reads=lambda settings: ("offence_record", *STATUS_TYPES),
    needs=lambda settings: (("offence_record",),),
    household=lambda settings: (("offence_record",),),
    steady_until=membership_steady,
)


def household_events(context: EvaluationContext, *types: str) -> list[Event]:
    """Events of these types about the child (in any role) or about an adult while they lived
    in the child's household, each once."""
    found: dict[tuple[str, str], Event] = {}
    for e in context.events:
        if e.type in types:
            found.setdefault(e.ref, e)
    for member in context.household:
        for e in member.events:
            if e.type in types and member.present_on(e.day):
                found.setdefault(e.ref, e)
    return sorted(found.values(), key=Event.sort_key)


def domestic_abuse_incidents(context: EvaluationContext) -> list[Event]:
    return [
        e
        for e in household_events(context, "police_incident")
        if e.text("incident_type") == "domestic_abuse"
    ]


# domestic-abuse-child-present


@dataclass(frozen=True)
class DomesticAbuseSettings(RuleSettings):
    high_from: int = 2
    window_months: int = 6


def _domestic_abuse(context: EvaluationContext, settings: DomesticAbuseSettings) -> Iterator[Flag]:
    def close(a: Event, b: Event) -> bool:
        return within_months(a.day, b.day, settings.window_months)

    def most_in_window(known: list[Event]) -> int:
        return max(
            (
                sum(1 for e in known if within_months(e.day, d.day, settings.window_months))
                for d in known
            ),
            default=0,
        )

    for chain in chains(domestic_abuse_incidents(context), close):
        count = most_in_window(chain)
        high = count >= settings.high_from
        last = chain[-1]
        if len(chain) == 1:
            reason = (
                f"Police domestic abuse incident recorded by {last.agency_name} on "
                f"{day_phrase(last.day)} in the household of "
                f"{context.child.age_phrase(last.day)}"
            )
        else:
            dates = ", ".join(day_phrase(e.day) for e in chain)
            reason = (
                f"{len(chain)} police domestic abuse incidents in the household of "
                f"{context.child.age_phrase(last.day)}, recorded by {agencies_phrase(chain)} "
                f"({dates})"
            )
        if high:
            reason += f"; {count} within {settings.window_months} months"
        if any(e.flag("children_present") for e in chain):
            reason += "; children were present"
        yield Flag(
            severity=Severity.HIGH if high else Severity.MEDIUM,
            evidence=chain,
            reason=reason + ".",
            episode=episode_of(chain),
            raised_at=min(e.knowable_at for e in chain),
            severity_at=(
                first_knowable(chain, lambda k: most_in_window(k) >= settings.high_from)
                if high
                else None
            ),
            owner=SCHOOL_DSL,
        )


domestic_abuse_child_present = Rule(
    id="domestic-abuse-child-present",
    title="Domestic abuse incident in the child's household",
    basis="Operation Encompass (statutory since 2024); Domestic Abuse Act 2021",
    action="Notify the child's school before the next school day; consider referral",
    owner=SCHOOL_DSL,
    settings=DomesticAbuseSettings,
    check=_domestic_abuse,
    reads=lambda settings: ("police_incident",),
    household=lambda settings: (("police_incident",),),
)


# toxic-trio

_TRIO = {
    "domestic_abuse": "a police domestic abuse incident",
    "adult_mental_health_contact": "an adult mental health contact",
    "substance_misuse_contact": "a substance misuse contact",
}


@dataclass(frozen=True)
class ToxicTrioSettings(RuleSettings):
    window_months: int = 12


TRIO_TYPES = ("police_incident", "adult_mental_health_contact", "substance_misuse_contact")


def _strand(e: Event) -> str:
    return "domestic_abuse" if e.type == "police_incident" else e.type


def _toxic_trio(context: EvaluationContext, settings: ToxicTrioSettings) -> Iterator[Flag]:
    strands = domestic_abuse_incidents(context) + [
        e
        for e in household_events(
            context, "adult_mental_health_contact", "substance_misuse_contact"
        )
        if not e.about_child
    ]

    def window_with_all(known: list[Event]) -> list[Event]:
        """The most recent window's events, when it holds all three strands."""
        if not {_strand(e) for e in known} >= set(_TRIO):
            return []  # no window can hold a strand that is missing altogether
        for end in sorted(known, key=Event.sort_key, reverse=True):
            inside = [
                e
                for e in known
                if within_months(e.day, end.day, settings.window_months) and e.day <= end.day
            ]
            if {_strand(e) for e in inside} >= set(_TRIO):
                return inside
        return []

    def close(a: Event, b: Event) -> bool:
        return within_months(a.day, b.day, settings.window_months)

    for chain in chains(strands, close):
        inside = window_with_all(chain)
        if not inside:
            continue
        first_of_each = [
            min((e for e in inside if _strand(e) == s), key=Event.sort_key) for s in _TRIO
        ]
        parts = [
            f"{_TRIO[_strand(e)]} ({e.agency_name}, {day_phrase(e.day)})" for e in first_of_each
        ]
        reason = (
            f"In the child's household within {settings.window_months} months: "
            f"{parts[0]}, {parts[1]} and {parts[2]}. Shown as context for assessment: the "
            "evidence for these in combination is weak, and this never raises another flag"
        )
        yield Flag(
            severity=Severity.MEDIUM,
            evidence=chain,
            reason=reason + ".",
            episode=episode_of(chain),
            raised_at=first_knowable(chain, lambda k: bool(window_with_all(k))) or knowable(chain),
        )


toxic_trio = Rule(
    id="toxic-trio",
    title="Domestic abuse, adult mental health and substance misuse in the household",
    basis="Brandon et al. biennial reviews; Skinner et al. 2021 (weak evidence in combination)",
    action="Shown to the allocated worker as context for assessment",
    owner=SOCIAL_WORKER,
    settings=ToxicTrioSettings,
    check=_toxic_trio,
    reads=lambda settings: TRIO_TYPES,
    needs=lambda settings: tuple((t,) for t in TRIO_TYPES),  # all three
    household=lambda settings: tuple((t,) for t in TRIO_TYPES),
)

RULES = (
    unknown_adult_in_household,
    adult_risk_in_household,
    domestic_abuse_child_present,
    toxic_trio,
)
