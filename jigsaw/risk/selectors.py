"""Reads of flags, with need-to-know and the audit trail.

Each read takes the acting `user`: a member of staff, an agency system's token (`ApiToken`
holding `read_flags`), or None for the operator at the command line. A flag is shown to whoever
may open its child's record (jigsaw.access.need_to_know): workers and managers holding the case,
MASH staff for children in triage, agency staff and agency systems for children their agency
holds records of (the shared summary and flags), heads of service, directors and inspectors for
every child. Analysts and system administrators get no flags at all. A flag nobody may show you
looks exactly like one that does not exist, and every read is audited once.

A flag's current state is derived, never stored: closed once a close is recorded, acknowledged
once someone has acknowledged it, otherwise open; its severity is its latest revision's; its
escalation the highest level recorded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from jigsaw.access.audit import audit_record
from jigsaw.access.models import ApiToken, AuditEntry
from jigsaw.access.need_to_know import (
    RESTRICTIONS,
    Access,
    NoAccess,
    PersonScope,
    Viewer,
    access_to,
    audit_read,
    audit_refused,
    person_scope,
    require_access,
    viewer_of,
)
from jigsaw.access.roles import RoleRules, Scope
from jigsaw.core.bulk import chunks
from jigsaw.core.clock import clock
from jigsaw.identity.models import Link
from jigsaw.records.models import EventVersion, PersonRecord
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

# Roles that see no flags: analysts work on pseudonymised data, administrators on none.
_NO_FLAGS = (Scope.NONE, Scope.PSEUDONYMISED)
# An agency's system reads as the agency's practitioners do: children it holds records of.
TOKEN_ROLE = "agency_system"
_TOKEN_RULES = RoleRules(Scope.AGENCY)


class FlagNotFound(LookupError):
    """No such flag, or one whose child the reader may not see: the two look the same."""


class FlagsRefused(PermissionDenied):
    """The reader may not see flags at all (their role, or a token without `read_flags`)."""


class FlagReadOnly(PermissionDenied):
    """The reader may see the flag but not change it (inspectors, directors, agency staff)."""


@dataclass(frozen=True)
class Reader:
    """Who is reading: a viewer (staff or the operator), or an agency system's token, which has
    no account of its own and is named in the audit trail by its prefix."""

    viewer: Viewer
    token: ApiToken | None = None

    def audited(
        self,
        *,
        object_type: str,
        object_id: str = "",
        accesses: Iterable[Access] = (),
        action: str = AuditEntry.Action.READ,
        detail: dict[str, Any] | None = None,
    ) -> None:
        shown = list(accesses)
        if self.token is None:
            audit_read(
                self.viewer,
                object_type=object_type,
                object_id=object_id,
                accesses=shown,
                action=action,
                detail=detail,
            )
            return
        audit_record(
            action=action,
            username=f"token:{self.token.prefix}",
            role=TOKEN_ROLE,
            object_type=object_type,
            object_id=object_id,
            person_ids=[str(a.person_id) for a in shown],
            basis="token",
            detail={"agency": self.token.agency_code, **(detail or {})},
        )

    def refused(self, *, object_type: str, object_id: str, person_ids: list[str], why: str) -> None:
        if self.token is None:
            audit_refused(
                self.viewer,
                object_type=object_type,
                object_id=object_id,
                person_ids=person_ids,
                why=why,
            )
            return
        audit_record(
            action=AuditEntry.Action.REFUSED,
            username=f"token:{self.token.prefix}",
            role=TOKEN_ROLE,
            object_type=object_type,
            object_id=object_id,
            person_ids=person_ids,
            basis="token",
            detail={"agency": self.token.agency_code, "why": why},
        )


def reader_of(user: Any) -> Reader:
    """The reader behind `user`, or FlagsRefused (audited when the account is known)."""
    if isinstance(user, Reader):
        return user
    if isinstance(user, ApiToken):
        reader = Reader(
            Viewer(user=None, role=TOKEN_ROLE, rules=_TOKEN_RULES, agency_code=user.agency_code),
            token=user,
        )
        if ApiToken.Scope.READ_FLAGS not in user.scopes:
            reader.refused(
                object_type="flags", object_id="", person_ids=[], why="token without read_flags"
            )
            raise FlagsRefused("this token may not read flags")
        return reader
    try:
        viewer = viewer_of(user)
    except NoAccess as exc:
        raise FlagsRefused(str(exc)) from None
    if viewer.scope in _NO_FLAGS:
        audit_refused(viewer, object_type="flags", object_id="", why="role sees no flags")
        raise FlagsRefused("flags are not open to your role")
    return Reader(viewer)


def _not_found(flag_id: object) -> FlagNotFound:
    return FlagNotFound(f"there is no flag {flag_id}")


def _flag_for(reader: Reader, flag_id: int | str, *, act: bool) -> tuple[Flag, Access]:
    """The flag and what the reader may see of its child; refusals are audited."""
    try:
        flag = Flag.objects.get(pk=int(flag_id))
    except (Flag.DoesNotExist, ValueError, TypeError):
        raise _not_found(flag_id) from None
    where = {"object_type": "flag", "object_id": str(flag.pk)}
    if reader.token is None:
        try:
            return flag, require_access(reader.viewer, flag.person_id, act=act, **where)
        except NoAccess:
            # require_access refuses both; only someone who may see the flag is told why.
            if act and access_to(reader.viewer, flag.person_id) is not None:
                raise FlagReadOnly("your access to this child's case is read-only") from None
            raise _not_found(flag_id) from None
    access = access_to(reader.viewer, flag.person_id)
    if access is None or (act and not access.may_act):
        reader.refused(
            person_ids=[str(flag.person_id)] if access else [],
            why="read-only access" if access else "no need-to-know",
            **where,
        )
        if access is None:
            raise _not_found(flag_id)
        raise FlagReadOnly("your access to this child's case is read-only")
    return flag, access


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
    evidence: list[dict[str, Any]]
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
    # A chunk at a time: `jigsaw flags` lists a whole authority's children.
    latest: dict[int, int] = {}
    for part in chunks(sorted(person_ids)):
        ever = Link.objects.filter(person_id__in=part, known_from__lte=as_of).values("record_id")
        for record, person in (
            Link.objects.filter(record_id__in=ever, known_from__lte=as_of)
            .order_by("record_id", "id")
            .values_list("record_id", "person_id")
        ):
            latest[record] = person
    refs = {
        pk: (code, local)
        for part in chunks(list(latest))
        for pk, code, local in PersonRecord.objects.filter(pk__in=part).values_list(
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
    out: dict[int, list[ActionView]] = defaultdict(list)
    for part in chunks(flag_ids):  # each flag's actions all come with its chunk, in order
        rows = FlagAction.objects.filter(flag_id__in=part).order_by("at", "id")
        if as_of is not None:
            rows = rows.filter(at__lte=as_of)
        for a in rows:
            out[a.flag_id].append(
                ActionView(a.kind, a.at, a.actor_name, a.text, a.close_reason, a.level)
            )
    return out


def _views(flags: list[Flag]) -> list[FlagView]:
    ids = [f.pk for f in flags]
    latest: dict[int, FlagRevision] = {}
    for part in chunks(ids):
        for r in FlagRevision.objects.filter(flag_id__in=part).order_by("flag_id", "number"):
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


def _restricted_events(views: list[FlagView]) -> set[tuple[str, str]]:
    """(agency, event id) of the evidence whose latest version is in a restricted category."""
    wanted = {(e["agency"], e["event_id"]) for v in views for e in v.evidence}
    if not wanted:
        return set()
    latest: dict[tuple[str, str], Any] = {}
    # Both parts of the (agency, event id) key, so the lookup uses its index.
    rows = (
        EventVersion.objects.filter(
            event__agency__code__in={agency for agency, _ in wanted},
            event__event_id__in={event_id for _, event_id in wanted},
        )
        .order_by("event_id", "version")
        .values_list("event__agency__code", "event__event_id", "details")
    )
    for agency, event_id, details in rows:
        latest[(agency, event_id)] = details
    return {
        key
        for key, details in latest.items()
        if key in wanted
        and isinstance(details, dict)
        and details.get("restriction") in RESTRICTIONS
    }


def _shown(views: list[FlagView], scope: Callable[[int], Access | None]) -> list[FlagView]:
    """The views as the reader may see them: evidence of a restricted category keeps its place
    (agency, event id, date), so the flag still makes sense, but not its type, unless the
    reader's access includes restricted categories."""
    hiding = [v for v in views if not _sees_restricted(scope(v.person))]
    restricted = _restricted_events(hiding)
    if not restricted:
        return views
    out = []
    for v in views:
        if _sees_restricted(scope(v.person)):
            out.append(v)
            continue
        evidence = [
            {**e, "type": "", "restricted": True}
            if (e["agency"], e["event_id"]) in restricted
            else e
            for e in v.evidence
        ]
        out.append(replace(v, evidence=evidence))
    return out


def _sees_restricted(access: Access | None) -> bool:
    return access is not None and access.restricted


def _audit_shown(
    reader: Reader, views: list[FlagView], scope: PersonScope, detail: dict[str, Any]
) -> None:
    accesses = {v.person: scope.get(v.person) for v in views}
    reader.audited(
        object_type="flags",
        accesses=[a for a in accesses.values() if a is not None],
        detail={"flags": len(views), **{k: v for k, v in detail.items() if v is not None}},
    )


def flags_list(
    *,
    user: Any,
    state: str | None = None,
    severity: str | None = None,
    rule: str | None = None,
    person: int | None = None,
) -> list[FlagView]:
    """The flags the reader may see now, most urgent first."""
    reader = reader_of(user)
    scope = person_scope(reader.viewer, among=None if person is None else [person])
    flags = Flag.objects.all()
    if scope.ids is not None:
        flags = flags.filter(person_id__in=scope.ids)
    if rule:
        flags = flags.filter(rule_id=rule)
    if person is not None:
        flags = flags.filter(person_id=person)
    views = _filtered(_sorted(_views(list(flags))), state, severity, None)
    filters = {"state": state, "severity": severity, "rule": rule, "person": person}
    _audit_shown(reader, views, scope, filters)
    return _shown(views, scope.get)


def flag_get(*, flag_id: int | str, user: Any, act: bool = False) -> Flag:
    """The flag, if the reader may see its child (and, with `act`, change the case). Not a read
    of its content, so not audited as one; refusals are."""
    return _flag_for(reader_of(user), flag_id, act=act)[0]


def flag_detail(*, flag_id: int | str, user: Any) -> FlagView:
    reader = reader_of(user)
    flag, access = _flag_for(reader, flag_id, act=False)
    reader.audited(object_type="flag", object_id=str(flag.pk), accesses=[access])
    return _shown(_views([flag]), lambda _person: access)[0]


def flag_change(*, flag_id: int | str, user: Any, change: Callable[[Flag], FlagAction]) -> FlagView:
    """Make a change to a flag (`change` calls the service: acknowledge, action, close) for
    someone who may change the child's case, and audit it; returns the flag as it now stands.
    The change and its audit entry are one transaction; a refusal writes nothing but its own
    audit entry."""
    reader = reader_of(user)
    flag, access = _flag_for(reader, flag_id, act=True)
    with transaction.atomic():
        done = change(flag)
        detail = {"kind": done.kind, "close_reason": done.close_reason or None}
        reader.audited(
            action=AuditEntry.Action.WRITE,
            object_type="flag",
            object_id=str(flag.pk),
            accesses=[access],
            detail={k: v for k, v in detail.items() if v},
        )
    return _shown(_views([flag]), lambda _person: access)[0]


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
    unacknowledged flag shows the escalation live running would have reached. Only children
    the reader may see now."""
    reader = reader_of(user)
    scope = person_scope(reader.viewer)
    cfg = risk_settings()
    persons = [person] if person is not None else sorted(all_persons(until=as_of))
    visible = scope.ids
    if visible is not None:
        persons = [p for p in persons if p in visible]
    snapshot = Snapshot(persons, as_of)
    found: dict[str, tuple[int, datetime, Finding]] = {}  # key -> person, first seen, latest
    for p in persons:
        for before, findings in timeline_findings(snapshot, p, cfg):
            for f in findings:
                seen = found[f.key][1] if f.key in found else max(before, f.raised_at)
                found[f.key] = (p, seen, f)
    stored = {
        key: pk
        for part in chunks(list(found))
        for key, pk in Flag.objects.filter(key__in=part).values_list("key", "pk")
    }
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
    shown = _filtered(_sorted(views), state, severity, rule)
    filters = {
        "as_of": as_of.isoformat(),
        "state": state,
        "severity": severity,
        "rule": rule,
        "person": person,
    }
    _audit_shown(reader, shown, scope, filters)
    return _shown(shown, scope.get)
