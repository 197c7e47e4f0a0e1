"""Injuries: to babies who cannot move about, at telling sites, unexplained, or repeated.

Injury events are `injury_observed` and `ae_attendance` events that list injuries. Reports of
one injury often come from more than one agency (A&E, then the social worker, then the school),
so the injury rules treat the injury events about a child on one UK calendar day as one
occasion: one flag, with every report as evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from jigsaw.records.body_regions import site_region
from jigsaw.risk.engine.findings import Flag, Severity, episode_of, knowable
from jigsaw.risk.engine.model import EvaluationContext, Event
from jigsaw.risk.engine.rules.base import (
    HEALTH_PRACTITIONER,
    INJURY_TYPES,
    MASH_PRACTITIONER,
    SCHOOL_DSL,
    SOCIAL_WORKER,
    STATUS_TYPES,
    TEAM_MANAGER,
    Rule,
    RuleSettings,
    agencies_phrase,
    chains,
    first_knowable,
    with_dob_note,
)
from jigsaw.risk.engine.timing import day_phrase

_KIND_NAMES = {"head_injury": "head injury", "oral_injury": "oral injury"}
_OWNER_BY_SECTOR = {
    "health": HEALTH_PRACTITIONER,
    "education": SCHOOL_DSL,
    "social_care": SOCIAL_WORKER,
}


def occasions(context: EvaluationContext) -> list[list[Event]]:
    """The child's injury events grouped by the UK day they happened, in order."""
    by_day: dict[date, list[Event]] = {}
    for e in context.injury_events:
        by_day.setdefault(e.day, []).append(e)
    return [by_day[d] for d in sorted(by_day)]


def _kind(injury: Mapping[str, Any]) -> str:
    kind = injury.get("kind")
    return kind if isinstance(kind, str) else "other"


def _site(injury: Mapping[str, Any]) -> str:
    site = injury.get("site")
    return site.strip() if isinstance(site, str) else ""


def describe(injuries: list[Mapping[str, Any]]) -> str:
    """ "Bruise to the face and head injury", as written in the record."""
    parts = []
    for injury in injuries:
        kind = _KIND_NAMES.get(_kind(injury), _kind(injury).replace("_", " "))
        site = _site(injury)
        parts.append(f"{kind} to the {site}" if site else kind)
    unique = list(dict.fromkeys(parts))
    text = " and ".join([", ".join(unique[:-1]), unique[-1]] if len(unique) > 2 else unique)
    return text[:1].upper() + text[1:]


def matching(occasion: list[Event], keep: Any) -> tuple[list[Event], list[Mapping[str, Any]]]:
    """The events of an occasion with an injury `keep` accepts, and those injuries."""
    events, injuries = [], []
    for e in occasion:
        found = [i for i in e.injuries if keep(i)]
        if found:
            events.append(e)
            injuries.extend(found)
    return events, injuries


def recorded_by(events: list[Event]) -> str:
    return f"recorded by {agencies_phrase(events)} on {day_phrase(events[0].day)}"


def owner_of(events: list[Event]) -> str:
    return _OWNER_BY_SECTOR.get(events[0].sector, MASH_PRACTITIONER)


def non_mobile(
    context: EvaluationContext, occasion: list[Event], presumed_under_months: int
) -> tuple[bool | None, str]:
    """Whether the child was not independently mobile, and why we think so.

    A record saying not mobile wins; a record saying mobile is believed; with neither, a child
    under the presumed age is treated as not mobile; with no age either, we do not know.
    """
    said = {e.flag("child_independently_mobile") for e in occasion} - {None}
    if False in said:
        return True, "the child is recorded as not independently mobile"
    if True in said:
        return False, ""
    months = context.child.months_old(occasion[0].day)
    if months is None:
        return None, ""
    if months < presumed_under_months:
        return True, "a child this age is not independently mobile"
    return False, ""


# injury-non-mobile


@dataclass(frozen=True)
class InjuryNonMobileSettings(RuleSettings):
    injury_kinds: tuple[str, ...] = (
        "bruise",
        "petechiae",
        "laceration",
        "burn",
        "scald",
        "bite",
        "fracture",
        "head_injury",
        "oral_injury",
    )
    presumed_non_mobile_under_months: int = 6


def _injury_non_mobile(
    context: EvaluationContext, settings: InjuryNonMobileSettings
) -> Iterator[Flag]:
    def relevant(injury: Mapping[str, Any]) -> bool:
        return _kind(injury) in settings.injury_kinds

    def holds(known: list[Event]) -> bool:
        return bool(matching(known, relevant)[0]) and bool(
            non_mobile(context, known, settings.presumed_non_mobile_under_months)[0]
        )

    for occasion in occasions(context):
        if not holds(occasion):
            continue
        events, injuries = matching(occasion, relevant)
        _, why = non_mobile(context, occasion, settings.presumed_non_mobile_under_months)
        age = context.child.age_phrase(occasion[0].day)
        reason = f"{describe(injuries)} of {age} {recorded_by(events)}; {why}"
        yield Flag(
            severity=Severity.IMMEDIATE,
            evidence=events,
            reason=with_dob_note(context, reason),
            episode=episode_of(events),
            raised_at=first_knowable(occasion, holds) or knowable(occasion),
            owner=owner_of(events),
        )


def _first(events: list[Event]) -> datetime:
    return min(e.knowable_at for e in events)


injury_non_mobile = Rule(
    id="injury-non-mobile",
    title="Injury to a child who is not independently mobile",
    basis=(
        "NICE CG89 1.1.2, 1.1.5, 1.1.6 (and NICE's 2025 definition of \"independently "
        'mobile"); national review panel 2022; local bruising-in-non-mobile-infants protocols'
    ),
    action=(
        "Same-day examination by a paediatrician with the right expertise (including medical "
        "causes) and a same-day multi-agency discussion"
    ),
    owner=HEALTH_PRACTITIONER,
    settings=InjuryNonMobileSettings,
    reads=lambda settings: INJURY_TYPES,
    check=_injury_non_mobile,
)


# bruise-high-risk-site


@dataclass(frozen=True)
class BruiseHighRiskSiteSettings(RuleSettings):
    under_years: int = 4
    bruise_kinds: tuple[str, ...] = ("bruise", "petechiae")
    # TEN-4-FACESp: torso (chest, abdomen, back, buttocks, genitals), ear, neck, frenulum,
    # angle of jaw, cheek, eyelid, subconjunctival.
    high_risk_regions: tuple[str, ...] = (
        "torso",
        "chest",
        "back",
        "abdomen",
        "rib",
        "buttocks",
        "genitals",
        "ear",
        "neck",
        "frenulum",
        "jaw",
        "cheek",
        "eye",
    )
    patterns: tuple[str, ...] = ("hand", "ligature", "implement", "bite")
    presumed_non_mobile_under_months: int = 6


def _bruise_high_risk_site(
    context: EvaluationContext, settings: BruiseHighRiskSiteSettings
) -> Iterator[Flag]:
    for occasion in occasions(context):
        months = context.child.months_old(occasion[0].day)
        if months is None or months >= settings.under_years * 12:
            continue

        def telling(injury: Mapping[str, Any]) -> bool:
            return _kind(injury) in settings.bruise_kinds and (
                site_region(_site(injury)) in settings.high_risk_regions
                or injury.get("pattern") in settings.patterns
            )

        events, injuries = matching(occasion, telling)
        if not events:
            continue
        patterned = [i["pattern"] for i in injuries if i.get("pattern") in settings.patterns]
        why = (
            f"a {patterned[0]}-patterned bruise"
            if patterned
            else "bruising at this site in a child under "
            f"{settings.under_years} is a recognised warning sign"
        )
        is_non_mobile, mobile_why = non_mobile(
            context, occasion, settings.presumed_non_mobile_under_months
        )
        severity = Severity.IMMEDIATE if is_non_mobile else Severity.HIGH
        reason = f"{describe(injuries)} of {context.child.age_phrase(occasion[0].day)} "
        reason += f"{recorded_by(events)}; {why}"
        if is_non_mobile:
            reason += f", and {mobile_why}"
        severity_at = None
        if is_non_mobile:
            severity_at = first_knowable(
                occasion,
                lambda known: (
                    bool(matching(known, telling)[0])
                    and bool(
                        non_mobile(context, known, settings.presumed_non_mobile_under_months)[0]
                    )
                ),
            )
        yield Flag(
            severity=severity,
            evidence=events,
            reason=with_dob_note(context, reason),
            episode=episode_of(events),
            raised_at=_first(events),
            severity_at=severity_at,
            owner=owner_of(events),
        )


bruise_high_risk_site = Rule(
    id="bruise-high-risk-site",
    title="Bruise at a high-risk site or patterned bruise",
    basis="NICE CG89 1.1.1; TEN-4-FACESp bruising rule (Pierce 2021)",
    action="Paediatric review including a bleeding-disorder screen",
    owner=HEALTH_PRACTITIONER,
    settings=BruiseHighRiskSiteSettings,
    reads=lambda settings: INJURY_TYPES,
    check=_bruise_high_risk_site,
)


# fracture-young-child


@dataclass(frozen=True)
class FractureYoungChildSettings(RuleSettings):
    under_months: int = 18
    rib_fracture_under_months: int = 24
    presumed_non_mobile_under_months: int = 6


def _fracture_young_child(
    context: EvaluationContext, settings: FractureYoungChildSettings
) -> Iterator[Flag]:
    for occasion in occasions(context):
        events, fractures = matching(occasion, lambda i: _kind(i) == "fracture")
        if not events:
            continue
        day = occasion[0].day
        months = context.child.months_old(day)
        is_non_mobile, mobile_why = non_mobile(
            context, occasion, settings.presumed_non_mobile_under_months
        )
        ribs = any(site_region(_site(i)) == "rib" for i in fractures)
        if months is not None and months < settings.under_months:
            why = f"a fracture in a child under {settings.under_months} months"
        elif is_non_mobile:
            why = mobile_why
        elif ribs and months is not None and months < settings.rib_fracture_under_months:
            why = f"a rib fracture in a child under {settings.rib_fracture_under_months // 12}"
        else:
            continue
        reason = f"{describe(fractures)} of {context.child.age_phrase(day)} "
        reason += f"{recorded_by(events)}; {why}"
        yield Flag(
            severity=Severity.IMMEDIATE,
            evidence=events,
            reason=with_dob_note(context, reason),
            episode=episode_of(events),
            raised_at=_first(events),
            owner=owner_of(events),
        )


fracture_young_child = Rule(
    id="fracture-young-child",
    title="Fracture in a young or non-mobile child",
    basis="NICE CG89 (fractures)",
    action="Paediatric assessment and skeletal survey per local protocol; strategy discussion",
    owner=HEALTH_PRACTITIONER,
    settings=FractureYoungChildSettings,
    reads=lambda settings: INJURY_TYPES,
    check=_fracture_young_child,
)


# injury-unexplained

_WORDS = re.compile(r"[^\w]+")


def _normalised(text: str) -> str:
    return " ".join(_WORDS.split(text.casefold())).strip()


@dataclass(frozen=True)
class InjuryUnexplainedSettings(RuleSettings):
    delay_hours: int = 24
    immediate_under_months: int = 24


def _grounds(events: list[Event], settings: InjuryUnexplainedSettings) -> list[str]:
    grounds = []
    explained = [e for e in events if e.text("explanation")]
    if not explained:
        grounds.append("no explanation recorded")
    inconsistent = [e for e in events if e.flag("explanation_consistent") is False]
    if inconsistent:
        grounds.append(f"explanation recorded as inconsistent by {agencies_phrase(inconsistent)}")
    accounts: dict[str, Event] = {}
    for e in explained:
        accounts.setdefault(_normalised(e.text("explanation")), e)
    if len(accounts) > 1:
        told = []
        for e in accounts.values():
            who = e.text("explanation_by")
            source = f"{who}, {e.agency_name}" if who else e.agency_name
            told.append(f"\u201c{e.text('explanation')}\u201d ({source})")
        grounds.append("explanations differ: " + " and ".join(told))
    delays = []
    for e in events:
        value = e.details.get("delay_hours")
        if isinstance(value, int | float) and not isinstance(value, bool):
            delays.append(value)
    if delays and max(delays) > settings.delay_hours:
        grounds.append(f"presented {max(delays):g} hours after the injury")
    return grounds


def _injury_unexplained(
    context: EvaluationContext, settings: InjuryUnexplainedSettings
) -> Iterator[Flag]:
    for occasion in occasions(context):
        grounds = _grounds(occasion, settings)
        if not grounds:
            continue
        day = occasion[0].day
        months = context.child.months_old(day)
        young = months is not None and months < settings.immediate_under_months
        _, injuries = matching(occasion, lambda i: True)
        reason = f"{describe(injuries)} of {context.child.age_phrase(day)} {recorded_by(occasion)}"
        reason += ": " + "; ".join(grounds)
        raised = first_knowable(occasion, lambda known: bool(_grounds(known, settings)))
        yield Flag(
            severity=Severity.IMMEDIATE if young else Severity.HIGH,
            evidence=occasion,
            reason=with_dob_note(context, reason),
            episode=episode_of(occasion),
            raised_at=raised or knowable(occasion),
            owner=owner_of(occasion),
        )


injury_unexplained = Rule(
    id="injury-unexplained",
    title="Injury unexplained, explained inconsistently, or presented late",
    basis='NICE CG89 ("unsuitable explanation"; delayed presentation)',
    action="Discuss with children's social care the same working day",
    owner=HEALTH_PRACTITIONER,
    settings=InjuryUnexplainedSettings,
    reads=lambda settings: INJURY_TYPES,
    check=_injury_unexplained,
)


# repeated-injury


@dataclass(frozen=True)
class RepeatedInjurySettings(RuleSettings):
    window_weeks: int = 12
    min_injuries: int = 2
    under_years: int = 5
    immediate_from: int = 3


def _repeated_injury(
    context: EvaluationContext, settings: RepeatedInjurySettings
) -> Iterator[Flag]:
    window = timedelta(weeks=settings.window_weeks)
    zero = timedelta(0)

    def close(a: Event, b: Event) -> bool:
        return b.day - a.day <= window

    def busiest(known: list[Event]) -> int:
        """Most injury occasions (days) within any one window."""
        known_days = sorted({e.day for e in known})
        return max(
            (sum(1 for d in known_days if zero <= d - start <= window) for start in known_days),
            default=0,
        )

    def young(d: date) -> bool:
        months = context.child.months_old(d)
        return months is not None and months < settings.under_years * 12

    def protected(e: Event) -> Event | None:
        """The event that started the plan or section 47 the child was under at an injury."""
        period = context.plan_at(e.occurred_at) or context.section47_at(e.occurred_at)
        return period.start if period else None

    def holds(known: list[Event]) -> bool:
        if any(protected(e) for e in known):
            return True
        known_days = sorted({e.day for e in known})
        return any(
            young(later)
            and sum(1 for d in known_days if later - window <= d <= later) >= settings.min_injuries
            for later in known_days
        )

    for chain in chains(list(context.injury_events), close):
        if not holds(chain):
            continue
        raised = first_knowable(chain, holds)
        count = busiest(chain)
        severity = Severity.IMMEDIATE if count >= settings.immediate_from else Severity.HIGH
        severity_at = (
            first_knowable(chain, lambda k: busiest(k) >= settings.immediate_from)
            if severity is Severity.IMMEDIATE
            else None
        )
        starts = sorted({s for e in chain if (s := protected(e))}, key=Event.sort_key)
        chain_days = sorted({e.day for e in chain})
        last = chain_days[-1]
        if len(chain_days) > 1:
            reason = (
                f"{len(chain_days)} injuries to {context.child.age_phrase(last)} recorded "
                f"between {day_phrase(chain_days[0])} and {day_phrase(last)} by "
                f"{agencies_phrase(chain)}"
            )
        else:
            reason = (
                f"Injury to {context.child.age_phrase(last)} recorded by "
                f"{agencies_phrase(chain)} on {day_phrase(last)}"
            )
        if count >= settings.immediate_from:
            reason += f"; {count} within {settings.window_weeks} weeks"
        if starts:
            reason += "; the child was on a child protection plan or under section 47 at the time"
        reason = reason[:1].upper() + reason[1:]
        yield Flag(
            severity=severity,
            evidence=[*chain, *starts],
            reason=with_dob_note(context, reason),
            episode=episode_of(chain),
            raised_at=raised or knowable(chain),
            severity_at=severity_at,
        )


repeated_injury = Rule(
    id="repeated-injury",
    title="Repeated injuries",
    basis=(
        'NICE CG89; Baby P second serious case review ("injuries expected as a matter of course")'
    ),
    action="Manager review of the chronology; strategy discussion if not already held",
    owner=TEAM_MANAGER,
    settings=RepeatedInjurySettings,
    reads=lambda settings: (*INJURY_TYPES, *STATUS_TYPES),
    needs=lambda settings: (INJURY_TYPES,),
    check=_repeated_injury,
)

RULES = (
    injury_non_mobile,
    bruise_high_risk_site,
    fracture_young_child,
    injury_unexplained,
    repeated_injury,
)
