"""A rule: its catalogue entry, its settings, and the check that finds its flags."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from jigsaw.risk.engine.findings import EvidenceRef, Finding, Flag, Severity
from jigsaw.risk.engine.model import INJURIES, EvaluationContext, Event, Period
from jigsaw.risk.engine.timing import start_of_uk_day

# Who acts on a flag, as the Django layer names roles.
SOCIAL_WORKER = "social_worker"
TEAM_MANAGER = "team_manager"
HEALTH_PRACTITIONER = "health_practitioner"
MASH_PRACTITIONER = "mash_practitioner"
SCHOOL_DSL = "school_dsl"

# The events the statuses (plan, section 47, assessment, care) are read from.
STATUS_TYPES = (
    "cp_conference",
    "strategy_discussion",
    "section47_outcome",
    "assessment",
    "placement",
)
# In `reads`, the events that list injuries (an A&E attendance or injury report with injuries):
# the injury rules read nothing else of either type.
INJURY_TYPES = (INJURIES,)


@dataclass(frozen=True)
class RuleSettings:
    """Every rule can be switched off by a local authority."""

    enabled: bool = True


S = TypeVar("S", bound=RuleSettings)


def _reads_nothing(settings: Any) -> tuple[str, ...]:
    return ()


@dataclass(frozen=True)
class Rule(Generic[S]):
    """A catalogue rule. Besides its check, a rule says what its findings depend on, so that a
    replay can evaluate it only when something it reads has changed:

    - `reads`: the event types it looks at (the child's own, and for a household rule the
      members'; `INJURIES` stands for events that list injuries); the child themself (date
      of birth) always counts.
    - `needs`: groups of those types: the rule finds nothing until the child (or, for a
      household rule, the household) has an event of a type from each group. Without it, one
      group: everything it reads.
    - `household`: for a rule that looks at the household, groups of event types without
      which the household cannot change its findings: until the child or someone in the
      household has an event of a type from each group, the rule finds the same whoever
      lives there.
    - `steady_until`: for a rule whose findings can change with the clock alone (deadlines,
      ages, a member's arrival), the last moment at which, with the same data, its findings
      keep their keys, severities and evidence (None: until the data changes). A rule without
      it depends on the data only.
    - `dated_wording`: its reasons say how long something has lasted or how old the child is
      now, so their wording changes as the clock moves even when nothing else does.
    """

    id: str
    title: str
    basis: str
    action: str
    owner: str
    settings: type[S]
    check: Callable[[EvaluationContext, S], Iterable[Flag]]
    reads: Callable[[S], Iterable[str]] = _reads_nothing
    needs: Callable[[S], Iterable[Iterable[str]]] | None = None
    household: Callable[[S], Iterable[Iterable[str]]] | None = None
    steady_until: Callable[[EvaluationContext, S], datetime | None] | None = None
    dated_wording: bool = False

    def evaluate(self, context: EvaluationContext, settings: S | None = None) -> list[Finding]:
        settings = self.settings() if settings is None else settings
        if not settings.enabled:
            return []
        return [self._finding(context, flag) for flag in self.check(context, settings)]

    def _finding(self, context: EvaluationContext, flag: Flag) -> Finding:
        severity_at = max(flag.raised_at, flag.severity_at or flag.raised_at)
        return Finding(
            rule_id=self.id,
            title=self.title,
            child=context.child.person_id,
            key=f"{self.id}:{context.child.person_id}:{flag.episode}",
            severity=flag.severity,
            evidence=tuple(sorted({EvidenceRef.of(e) for e in flag.evidence})),
            reason=flag.reason,
            action=self.action,
            owner=flag.owner or self.owner,
            basis=self.basis,
            raised_at=flag.raised_at,
            due_by=flag.severity.due_by(severity_at),
        )


def status_starts(statuses: Iterable[str]) -> tuple[str, ...]:
    """The event types that can start these statuses (plan, section47, assessment, care)."""
    starts = {
        "plan": "cp_conference",
        "section47": "strategy_discussion",
        "assessment": "assessment",
        "care": "placement",
    }
    return tuple(starts[s] for s in statuses if s in starts)


def earliest(*moments: datetime | None) -> datetime | None:
    """The earliest of the moments given (None when there are none)."""
    known = [m for m in moments if m is not None]
    return min(known) if known else None


def until_deadline(context: EvaluationContext, deadline: datetime) -> datetime | None:
    """A deadline rule fires once the clock is past `deadline`: steady until then, and after
    that until the data changes."""
    return deadline if context.now <= deadline else None


def until_day(context: EvaluationContext, day: date) -> datetime | None:
    """Steady until the UK day `day` begins (None once it has)."""
    start = start_of_uk_day(day)
    return start - timedelta(microseconds=1) if context.now < start else None


def first_knowable(
    events: Sequence[Event], holds: Callable[[list[Event]], bool]
) -> datetime | None:
    """The moment `holds` first became true of what was known: events are taken in the order
    they became known, and the answer is when the one that tipped it did."""
    known: list[Event] = []
    for e in sorted(events, key=lambda e: (e.knowable_at, *e.sort_key())):
        known.append(e)
        if holds(sorted(known, key=Event.sort_key)):
            return e.knowable_at
    return None


def chains(events: Sequence[Event], close: Callable[[Event, Event], bool]) -> list[list[Event]]:
    """Events (in the order they happened) grouped into episodes: each joins the episode of the
    one before it when the two are close enough."""
    out: list[list[Event]] = []
    for e in sorted(events, key=Event.sort_key):
        if out and close(out[-1][-1], e):
            out[-1].append(e)
        else:
            out.append([e])
    return out


def owner_for_case(context: EvaluationContext) -> str:
    """The allocated social worker when the child is open to children's social care; otherwise
    the front door (MASH)."""
    return SOCIAL_WORKER if context.open_to_social_care() else MASH_PRACTITIONER


def agencies_phrase(events: Iterable[Event]) -> str:
    names = sorted({e.agency_name or e.agency for e in events})
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def with_dob_note(context: EvaluationContext, reason: str) -> str:
    note = context.child.dob_note()
    return f"{reason}. {note}" if note else f"{reason}."


def severity_max(*severities: Severity) -> Severity:
    return min(severities, key=lambda s: s.rank)


def status_stretch(context: EvaluationContext, periods: Iterable[Period]) -> list[Period]:
    """The periods (of any of the given statuses) that join up, without a gap, into the stretch
    the child is in at `now`; empty when they are in none."""
    ordered = sorted(periods, key=lambda p: p.start.sort_key())
    stretch: list[Period] = []
    end: datetime | None = None
    open_ended = False
    for p in ordered:
        if stretch and (open_ended or (end is not None and p.start.occurred_at <= end)):
            stretch.append(p)
        else:
            stretch = [p]
            open_ended = False
            end = None
        if p.end is None:
            open_ended = True
        elif not open_ended:
            end = max(end, p.end.occurred_at) if end else p.end.occurred_at
    if stretch and (open_ended or (end is not None and end > context.now)):
        return stretch
    return []


def status_phrase(context: EvaluationContext, at: datetime | None = None) -> str:
    """ "on a child protection plan and under section 47", as things stand at `at`."""
    parts = []
    if context.on_plan(at):
        parts.append("on a child protection plan")
    if context.under_section47(at):
        parts.append("under section 47")
    if context.under_assessment(at):
        parts.append("under assessment")
    if context.in_care(at):
        parts.append("in care")
    if len(parts) > 1:
        return ", ".join(parts[:-1]) + " and " + parts[-1]
    return "".join(parts)
