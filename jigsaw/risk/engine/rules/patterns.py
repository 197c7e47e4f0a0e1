"""Patterns across agencies and over time: concerns from several agencies, the same worry
closed again and again, and appointments the child was not brought to."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from jigsaw.risk.engine.findings import Flag, Severity, episode_of, knowable
from jigsaw.risk.engine.model import EvaluationContext, Event
from jigsaw.risk.engine.rules.base import (
    HEALTH_PRACTITIONER,
    INJURY_TYPES,
    MASH_PRACTITIONER,
    STATUS_TYPES,
    TEAM_MANAGER,
    Rule,
    RuleSettings,
    chains,
    first_knowable,
    owner_for_case,
    with_dob_note,
)
from jigsaw.risk.engine.rules.household import household_events
from jigsaw.risk.engine.timing import day_phrase, within_months

_TYPE_NAMES = {
    "concern_raised": "concern",
    "injury_observed": "injury",
    "ae_attendance": "A&E attendance with injury",
    "police_incident": "police incident",
    "appointment_missed": "missed appointment",
}


def _listed(events: list[Event]) -> str:
    return "; ".join(
        f"{e.agency_name} ({_TYPE_NAMES.get(e.type, e.type)}, {day_phrase(e.day)})" for e in events
    )


def most_in_window(known: list[Event], inside: Callable[[Event, Event], bool]) -> list[Event]:
    """The largest set of events that fall in one window ending at one of them."""
    best: list[Event] = []
    for end in known:
        window = [e for e in known if inside(e, end)]
        if len(window) > len(best):
            best = window
    return best


# multi-agency-concerns


@dataclass(frozen=True)
class MultiAgencySettings(RuleSettings):
    agencies: int = 3
    window_days: int = 90


def _multi_agency(context: EvaluationContext, settings: MultiAgencySettings) -> Iterator[Flag]:
    window = timedelta(days=settings.window_days)
    found = {e.ref: e for e in household_events(context, "police_incident")}
    for e in context.of_type("concern_raised"):
        found.setdefault(e.ref, e)
    for e in context.injury_events:
        found.setdefault(e.ref, e)
    events = sorted(found.values(), key=Event.sort_key)

    def widest(known: list[Event]) -> list[Event]:
        """The events of the window with the most agencies."""
        best: list[Event] = []
        for end in known:
            inside = [e for e in known if timedelta(0) <= end.day - e.day <= window]
            if len({e.agency for e in inside}) > len({e.agency for e in best}):
                best = inside
        return best

    def holds(known: list[Event]) -> bool:
        if len({e.agency for e in known}) < settings.agencies:
            return False  # no window can hold more agencies than there are
        return len({e.agency for e in widest(known)}) >= settings.agencies

    for chain in chains(events, lambda a, b: b.day - a.day <= window):
        if not holds(chain):
            continue
        inside = widest(chain)
        agencies = len({e.agency for e in inside})
        reason = (
            f"Concerns, injuries or police incidents about the child or household from "
            f"{agencies} agencies within {settings.window_days} days: {_listed(inside)}"
        )
        yield Flag(
            severity=Severity.HIGH,
            evidence=chain,
            reason=reason + ".",
            episode=episode_of(chain),
            raised_at=first_knowable(chain, holds) or knowable(chain),
            owner=owner_for_case(context),
        )


multi_agency_concerns = Rule(
    id="multi-agency-concerns",
    title="Concerns from several agencies",
    basis="Serious case reviews: agencies working in isolation",
    action="Multi-agency discussion with the merged chronology",
    owner=MASH_PRACTITIONER,
    settings=MultiAgencySettings,
    check=_multi_agency,
    reads=lambda settings: ("police_incident", "concern_raised", *INJURY_TYPES, *STATUS_TYPES),
    needs=lambda settings: (("police_incident", "concern_raised", *INJURY_TYPES),),
    household=lambda settings: (("police_incident",),),  # members' police incidents
)


# repeat-contacts


def _decision(e: Event) -> str:
    return e.text("decision").replace("_", " ")


@dataclass(frozen=True)
class RepeatContactsSettings(RuleSettings):
    contacts: int = 3
    window_months: int = 12
    closing_decisions: tuple[str, ...] = ("no_further_action", "early_help")


def _repeat_contacts(
    context: EvaluationContext, settings: RepeatContactsSettings
) -> Iterator[Flag]:
    def closed(known: list[Event]) -> list[tuple[Event, Event]]:
        """Each concern with the decision that ended it with no further action or early help."""
        decisions = [e for e in known if e.type == "referral_decision"]
        out = []
        for concern in (e for e in known if e.type == "concern_raised"):
            decision = next((d for d in decisions if d.occurred_at >= concern.occurred_at), None)
            if decision is not None and decision.text("decision") in settings.closing_decisions:
                out.append((concern, decision))
        return out

    def inside(a: Event, b: Event) -> bool:
        return within_months(a.day, b.day, settings.window_months)

    def holds(known: list[Event]) -> bool:
        concerns = [c for c, _ in closed(known)]
        return len(most_in_window(concerns, inside)) >= settings.contacts

    everything = context.of_type("concern_raised", "referral_decision")
    pairs = closed(everything)
    ended = {c.ref: d for c, d in pairs}
    for chain in chains([c for c, _ in pairs], inside):
        if len(most_in_window(chain, inside)) < settings.contacts:
            continue
        decisions = sorted({ended[c.ref] for c in chain}, key=Event.sort_key)
        evidence = chain + decisions
        listed = "; ".join(
            f"{c.agency_name} {day_phrase(c.day)} ({_decision(ended[c.ref])})" for c in chain
        )
        reason = (
            f"{len(chain)} concerns or referrals within {settings.window_months} months, each "
            f"ended with no further action or early help: {listed}"
        )
        yield Flag(
            severity=Severity.MEDIUM,
            evidence=evidence,
            reason=reason + ".",
            episode=episode_of(chain),
            raised_at=first_knowable(evidence, holds) or knowable(evidence),
        )


repeat_contacts = Rule(
    id="repeat-contacts",
    title="Repeated concerns closed without help",
    basis="Start-again syndrome; MASH practice",
    action="Manager review with the chronology",
    owner=TEAM_MANAGER,
    settings=RepeatContactsSettings,
    check=_repeat_contacts,
    reads=lambda settings: ("concern_raised", "referral_decision"),
    needs=lambda settings: (("concern_raised",), ("referral_decision",)),
)


# was-not-brought


@dataclass(frozen=True)
class WasNotBroughtSettings(RuleSettings):
    missed: int = 2
    missed_on_plan: int = 1
    window_months: int = 6


def _was_not_brought(context: EvaluationContext, settings: WasNotBroughtSettings) -> Iterator[Flag]:
    def inside(a: Event, b: Event) -> bool:
        return within_months(a.day, b.day, settings.window_months)

    def on_plan(known: list[Event]) -> list[Event]:
        return [e for e in known if context.on_plan(e.occurred_at)]

    def holds(known: list[Event]) -> bool:
        return (
            len(most_in_window(known, inside)) >= settings.missed
            or len(most_in_window(on_plan(known), inside)) >= settings.missed_on_plan
        )

    for chain in chains(context.of_type("appointment_missed"), inside):
        if not holds(chain):
            continue
        planned = on_plan(chain)
        high = len(most_in_window(planned, inside)) >= settings.missed_on_plan
        last = chain[-1]
        services = ", ".join(
            f"{e.text('service').replace('_', ' ') or 'appointment'} ({e.agency_name}, "
            f"{day_phrase(e.day)})"
            for e in chain
        )
        count = (
            "1 missed health appointment"
            if len(chain) == 1
            else (f"{len(chain)} missed health appointments")
        )
        reason = (
            f"{count} for {context.child.age_phrase(last.day)}: {services}; the child was not "
            "brought"
        )
        if high:
            reason += "; the child was on a child protection plan"
        plan_starts = sorted(
            {p.start for e in planned if (p := context.plan_at(e.occurred_at))},
            key=Event.sort_key,
        )
        yield Flag(
            severity=Severity.HIGH if high else Severity.MEDIUM,
            evidence=[*chain, *plan_starts],
            reason=with_dob_note(context, reason[:1].upper() + reason[1:]),
            episode=episode_of(chain),
            raised_at=first_knowable(chain, holds) or knowable(chain),
            severity_at=(
                first_knowable(
                    chain,
                    lambda k: len(most_in_window(on_plan(k), inside)) >= settings.missed_on_plan,
                )
                if high
                else None
            ),
        )


was_not_brought = Rule(
    id="was-not-brought",
    title="Child not brought to health appointments",
    basis='NICE CG89; RCGP "was not brought" guidance',
    action="Health professional follows up; social worker told",
    owner=HEALTH_PRACTITIONER,
    settings=WasNotBroughtSettings,
    check=_was_not_brought,
    reads=lambda settings: ("appointment_missed", "cp_conference"),
    needs=lambda settings: (("appointment_missed",),),
)

RULES = (multi_agency_concerns, repeat_contacts, was_not_brought)
