"""A rule: its catalogue entry, its settings, and the check that finds its flags."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from jigsaw.risk.engine.findings import EvidenceRef, Finding, Flag, Severity
from jigsaw.risk.engine.model import EvaluationContext, Event, Period

# Who acts on a flag, as the Django layer names roles.
SOCIAL_WORKER = "social_worker"
TEAM_MANAGER = "team_manager"
HEALTH_PRACTITIONER = "health_practitioner"
MASH_PRACTITIONER = "mash_practitioner"
SCHOOL_DSL = "school_dsl"


@dataclass(frozen=True)
class RuleSettings:
    """Every rule can be switched off by a local authority."""

    enabled: bool = True


S = TypeVar("S", bound=RuleSettings)


@dataclass(frozen=True)
class Rule(Generic[S]):
    id: str
    title: str
    basis: str
    action: str
    owner: str
    settings: type[S]
    check: Callable[[EvaluationContext, S], Iterable[Flag]]

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
