"""Reads of flags. Each takes the acting `user` (None: the operator at the command line), so
need-to-know and audit can be added in one place.

A flag's current state is derived, never stored: closed once a close is recorded, acknowledged
once someone has acknowledged it, otherwise open; its severity is its latest revision's; its
escalation the highest level recorded.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied

from jigsaw.core.clock import clock
from jigsaw.identity.models import Link
from jigsaw.records.models import PersonRecord
from jigsaw.risk.config import risk_settings
from jigsaw.risk.engine import Finding
from jigsaw.risk.loading import Snapshot
from jigsaw.risk.models import EscalationLevel, Flag, FlagAction, FlagRevision
from jigsaw.risk.services import (
    all_persons,
    escalation_level_at,
    evidence_json,
    timeline_findings,
)

STATES = ("open", "acknowledged", "closed")
SEVERITIES = ("immediate", "high", "medium")
_LEVEL_RANK = {"": 0, EscalationLevel.TEAM_MANAGER: 1, EscalationLevel.HEAD_OF_SERVICE: 2}


class FlagNotFound(LookupError):
    pass


def _check(user: Any) -> None:
    """Who may read flags. For now: a signed-in staff user, or the command line (None)."""
    if user is None:
        return
    if not (getattr(user, "is_authenticated", False) and getattr(user, "is_staff", False)):
        raise PermissionDenied("flags are open to signed-in staff only")


@dataclass
class ActionView:
    kind: str
    at: datetime
    actor: str
    text: str = ""
    close_reason: str = ""
    level: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "text": self.text,
            "close_reason": self.close_reason,
            "level": self.level,
        }


@dataclass
class FlagView:
    id: int | None
    key: str
    rule: str
    title: str
    severity: str
    person: int
    records: list[dict[str, str]]
    raised_at: datetime
    evidence: list[dict[str, str]]
    reason: str
    action: str
    owner: str
    due_by: datetime
    state: str
    escalation: str
    actions: list[ActionView] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "rule": self.rule,
            "title": self.title,
            "severity": self.severity,
            "child": {"person": self.person, "records": self.records},
            "raised_at": self.raised_at.isoformat(),
            "evidence": self.evidence,
            "reason": self.reason,
            "action": self.action,
            "owner": self.owner,
            "due_by": self.due_by.isoformat(),
            "state": self.state,
            "escalation": self.escalation or None,
            "actions": [a.as_dict() for a in self.actions],
        }


def _state(actions: list[ActionView]) -> str:
    kinds = {a.kind for a in actions}
    if FlagAction.Kind.CLOSED in kinds:
        return "closed"
    if FlagAction.Kind.ACKNOWLEDGED in kinds:
        return "acknowledged"
    return "open"


def _escalation(actions: list[ActionView]) -> str:
    levels = [a.level for a in actions if a.kind == FlagAction.Kind.ESCALATED]
    return max(levels, key=lambda level: _LEVEL_RANK[level], default="")


def _records(person_ids: set[int], as_of: datetime) -> dict[int, list[dict[str, str]]]:
    """Each person's records as known on `as_of`: {agency, local_id}."""
    latest: dict[int, int] = {}
    ever = Link.objects.filter(person_id__in=person_ids, known_from__lte=as_of).values("record_id")
    for record, person in (
        Link.objects.filter(record_id__in=ever, known_from__lte=as_of)
        .order_by("record_id", "id")
        .values_list("record_id", "person_id")
    ):
        latest[record] = person
    refs = {
        pk: (code, local)
        for pk, code, local in PersonRecord.objects.filter(pk__in=list(latest)).values_list(
            "pk", "agency__code", "local_id"
        )
    }
    out: dict[int, list[dict[str, str]]] = defaultdict(list)
    for record, person in sorted(latest.items(), key=lambda kv: refs.get(kv[0], ("", ""))):
        if person in person_ids and record in refs:
            code, local = refs[record]
            out[person].append({"agency": code, "local_id": local})
    return out


def _actions(flag_ids: list[int], as_of: datetime | None = None) -> dict[int, list[ActionView]]:
    rows = FlagAction.objects.filter(flag_id__in=flag_ids).order_by("at", "id")
    if as_of is not None:
        rows = rows.filter(at__lte=as_of)
    out: dict[int, list[ActionView]] = defaultdict(list)
    for a in rows:
        out[a.flag_id].append(
            ActionView(a.kind, a.at, a.actor_name, a.text, a.close_reason, a.level)
        )
    return out


def _views(flags: list[Flag]) -> list[FlagView]:
    ids = [f.pk for f in flags]
    latest: dict[int, FlagRevision] = {}
    for r in FlagRevision.objects.filter(flag_id__in=ids).order_by("flag_id", "number"):
        latest[r.flag_id] = r
    actions = _actions(ids)
    records = _records({f.person_id for f in flags}, clock.now())
    out = []
    for f in flags:
        r = latest[f.pk]
        acts = actions.get(f.pk, [])
        out.append(
            FlagView(
                id=f.pk,
                key=f.key,
                rule=f.rule_id,
                title=f.title,
                severity=r.severity,
                person=f.person_id,
                records=records.get(f.person_id, []),
                raised_at=f.raised_at,
                evidence=r.evidence,
                reason=r.reason,
                action=r.action,
                owner=r.owner,
                due_by=r.due_by,
                state=_state(acts),
                escalation=_escalation(acts),
                actions=acts,
            )
        )
    return out


def _sorted(views: list[FlagView]) -> list[FlagView]:
    return sorted(views, key=lambda v: (SEVERITIES.index(v.severity), v.due_by, v.raised_at, v.key))


def _filtered(
    views: list[FlagView], state: str | None, severity: str | None, rule: str | None
) -> list[FlagView]:
    return [
        v
        for v in views
        if (state is None or v.state == state)
        and (severity is None or v.severity == severity)
        and (rule is None or v.rule == rule)
    ]


def flags_list(
    *,
    user: Any,
    state: str | None = None,
    severity: str | None = None,
    rule: str | None = None,
    person: int | None = None,
) -> list[FlagView]:
    """The flags now, most urgent first."""
    _check(user)
    flags = Flag.objects.all()
    if rule:
        flags = flags.filter(rule_id=rule)
    if person is not None:
        flags = flags.filter(person_id=person)
    return _filtered(_sorted(_views(list(flags))), state, severity, None)


def flag_get(*, flag_id: int | str, user: Any) -> Flag:
    _check(user)
    try:
        return Flag.objects.get(pk=int(flag_id))
    except (Flag.DoesNotExist, ValueError, TypeError):
        raise FlagNotFound(f"there is no flag {flag_id}") from None


def flag_detail(*, flag_id: int | str, user: Any) -> FlagView:
    return _views([flag_get(flag_id=flag_id, user=user)])[0]


def flags_as_of(
    *,
    user: Any,
    as_of: datetime,
    person: int | None = None,
    state: str | None = None,
    severity: str | None = None,
    rule: str | None = None,
) -> list[FlagView]:
    """The flags as live running would have shown them at `as_of`: the history recorded by
    then replayed (nothing recorded later is seen), with what people had recorded by then. An
    unacknowledged flag shows the escalation live running would have reached."""
    _check(user)
    cfg = risk_settings()
    persons = [person] if person is not None else sorted(all_persons(until=as_of))
    snapshot = Snapshot(persons, as_of)
    found: dict[str, tuple[int, datetime, Finding]] = {}  # key -> person, first seen, latest
    for p in persons:
        for before, findings in timeline_findings(snapshot, p, cfg):
            for f in findings:
                seen = found[f.key][1] if f.key in found else max(before, f.raised_at)
                found[f.key] = (p, seen, f)
    stored = dict(Flag.objects.filter(key__in=list(found)).values_list("key", "pk"))
    actions = _actions(list(stored.values()), as_of)
    records = _records({p for p, _, _ in found.values()}, as_of)
    views = []
    for key, (p, _seen, f) in found.items():
        acts = actions.get(stored.get(key, -1), [])
        now_state = _state(acts)
        escalation = _escalation(acts)
        if now_state == "open" and not escalation:
            escalation = escalation_level_at(f.due_by, as_of, cfg)
        views.append(
            FlagView(
                id=stored.get(key),
                key=key,
                rule=f.rule_id,
                title=f.title,
                severity=str(f.severity),
                person=p,
                records=records.get(p, []),
                raised_at=f.raised_at,
                evidence=evidence_json(f),
                reason=f.reason,
                action=f.action,
                owner=f.owner,
                due_by=f.due_by,
                state=now_state,
                escalation=escalation,
                actions=acts,
            )
        )
    return _filtered(_sorted(views), state, severity, rule)
