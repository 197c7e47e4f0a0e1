"""What a rule says: a finding, with its evidence, reason, action, owner and deadline."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from jigsaw.risk.engine.model import Event, HouseholdSource, PersonId
from jigsaw.risk.engine.timing import deadline_after_working_days, start_of_uk_day


class Severity(StrEnum):
    IMMEDIATE = "immediate"
    HIGH = "high"
    MEDIUM = "medium"

    @property
    def rank(self) -> int:
        """0 is the most urgent."""
        return _RANK[self]

    @property
    def working_days(self) -> int:
        """Act today, within 1 working day, or within 5."""
        return _WORKING_DAYS[self]

    def due_by(self, since: datetime) -> datetime:
        return deadline_after_working_days(since, self.working_days)


_RANK = {Severity.IMMEDIATE: 0, Severity.HIGH: 1, Severity.MEDIUM: 2}
_WORKING_DAYS = {Severity.IMMEDIATE: 0, Severity.HIGH: 1, Severity.MEDIUM: 5}


@dataclass(frozen=True, order=True)
class EvidenceRef:
    """One piece of evidence: an agency's event (or, for a household member, the agency record
    that places them at the child's address, with `type` "address")."""

    occurred_at: datetime
    agency: str
    event_id: str
    type: str

    @classmethod
    def of(cls, item: Event | HouseholdSource) -> EvidenceRef:
        if isinstance(item, Event):
            return cls(item.occurred_at, item.agency, item.event_id, item.type)
        occurred = start_of_uk_day(item.since) if item.since else item.recorded_at
        return cls(occurred, item.agency, item.reference, item.kind)


@dataclass(frozen=True)
class Flag:
    """What a rule's check returns; the rule adds its id, action, owner and deadline."""

    severity: Severity
    evidence: Sequence[Event | HouseholdSource]
    reason: str
    episode: str  # identifies the episode within the rule and child (see `Finding.key`)
    raised_at: datetime  # when the condition first became true and knowable
    severity_at: datetime | None = None  # when the current severity did, if later
    owner: str | None = None  # overrides the rule's owner


@dataclass(frozen=True)
class Finding:
    rule_id: str
    title: str
    child: PersonId
    key: str  # "the same flag": rule, child and episode; stable as evidence is added
    severity: Severity
    evidence: tuple[EvidenceRef, ...]  # in the order things happened
    reason: str
    action: str
    owner: str
    basis: str
    raised_at: datetime
    due_by: datetime  # from the severity and the moment it first applied, never from the clock

    def as_dict(self) -> dict[str, object]:
        return {
            "rule_id": self.rule_id,
            "title": self.title,
            "child": self.child,
            "key": self.key,
            "severity": str(self.severity),
            "evidence": [
                {
                    "agency": e.agency,
                    "event_id": e.event_id,
                    "type": e.type,
                    "occurred_at": e.occurred_at.isoformat(),
                }
                for e in self.evidence
            ],
            "reason": self.reason,
            "action": self.action,
            "owner": self.owner,
            "basis": self.basis,
            "raised_at": self.raised_at.isoformat(),
            "due_by": self.due_by.isoformat(),
        }


def episode_of(items: Iterable[Event | HouseholdSource]) -> str:
    """An episode named by the piece of evidence that became known first, so evidence that
    arrives later (even about something that happened earlier) joins it without renaming it."""

    def known(item: Event | HouseholdSource) -> tuple[datetime, str, str]:
        if isinstance(item, Event):
            return (item.knowable_at, item.agency, item.event_id)
        return (item.recorded_at, item.agency, item.reference)

    first = min(items, key=known)
    if isinstance(first, Event):
        return f"{first.agency}/{first.event_id}"
    return f"{first.agency}/{first.kind}/{first.reference}"


def knowable(items: Iterable[Event | HouseholdSource]) -> datetime:
    """When all of these were known (the latest of them)."""
    return max(i.knowable_at if isinstance(i, Event) else i.recorded_at for i in items)
