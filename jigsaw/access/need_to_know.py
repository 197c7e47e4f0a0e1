"""Need-to-know: which people's records a member of staff may open, how much of them, and why.

Every selector that shows case content asks here first (`access_to` / `require_access` for one
person, `person_scope` for lists) and records what it showed with `audit_read`. The rules are
the roles' (roles.py) applied to allocation and triage (casework), involvement (an agency's own
records, linked by identity) and break-glass grants; docs/security.md says them in words.

A person nobody may show you looks exactly like a person who does not exist: selectors raise
`NoAccess`, and the API answers both with the same 404. The refusal is audited.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef

from jigsaw.access.audit import audit_record, audit_together
from jigsaw.access.models import AuditEntry, BreakGlass, StaffProfile, Team
from jigsaw.access.roles import RoleRules, Scope, rules_for
from jigsaw.casework.selectors import (
    allocation_of,
    persons_allocated_to,
    persons_held,
    persons_in_triage,
)
from jigsaw.core.bulk import select_in
from jigsaw.core.clock import clock
from jigsaw.identity.models import Link
from jigsaw.records.exchange import RESTRICTIONS as EXCHANGE_RESTRICTIONS
from jigsaw.records.models import EventSubject, PersonRecord

# Restricted categories an agency may mark an event with (`details.restriction`, an extension
# of exchange v1): hidden from every role whose rules do not include `sees_restricted`.
RESTRICTIONS = EXCHANGE_RESTRICTIONS

CLI_USERNAME = "command line"


class NoAccess(PermissionDenied):
    """The acting user may not see this. Shown to people as 'not found'."""


class Basis(StrEnum):
    OPERATOR = "operator"  # the command line, on the server
    ALLOCATION = "allocation"  # the child's case is theirs
    TEAM = "team"  # held by their team
    MANAGED_TEAM = "managed_team"  # held by a team they manage
    CONNECTED = "connected"  # named in an event with a child in one of the above
    SERVICE = "service"  # heads of service and directors: every child
    TRIAGE = "triage"  # named in a contact at the front door
    INVOLVEMENT = "involvement"  # their agency holds a record of the person
    INSPECTION = "inspection"  # an inspector: everything, read-only
    BREAK_GLASS = "break_glass"


class Extent(StrEnum):
    FULL = "full"  # every agency's records (less restricted categories)
    AGENCY = "agency"  # the shared summary and flags, and their own agency's records in full


@dataclass(frozen=True)
class Viewer:
    """The acting member of staff, resolved once per request."""

    user: Any | None
    role: str
    rules: RoleRules | None  # None: the operator at the command line
    team_id: int | None = None
    managed_team_ids: frozenset[int] = frozenset()
    agency_code: str = ""
    # What `resolved_once` has worked out for this viewer (dies with the viewer, which lives for
    # one request): never compared, never shown.
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_operator(self) -> bool:
        return self.rules is None

    @property
    def scope(self) -> Scope | None:
        return None if self.rules is None else self.rules.scope

    @property
    def team_ids(self) -> frozenset[int]:
        own = {self.team_id} if self.team_id is not None else set()
        return frozenset(own) | self.managed_team_ids


@dataclass(frozen=True)
class Access:
    """What one viewer may see of one person, and the basis recorded in the audit trail."""

    person_id: int
    basis: Basis
    extent: Extent = Extent.FULL
    agency_code: str = ""  # with Extent.AGENCY: the agency whose records are shown in full
    restricted: bool = False  # may see restricted categories
    may_act: bool = False  # may change the case (acknowledge a flag, record a visit…)
    reason: str = ""  # break-glass: the reason given

    def sees_event(self, *, agency: str, details: dict[str, Any] | None) -> bool:
        """Whether an event of `agency` with these details is shown under this access."""
        if (details or {}).get("restriction") in RESTRICTIONS and not self.restricted:
            return False
        return self.extent is Extent.FULL or agency == self.agency_code


def viewer_of(user: Any | None) -> Viewer:
    """The viewer behind `user` (None: the operator; a Viewer: itself, so a request resolves
    once and passes it down). Refuses anyone whose account has no role or has ended."""
    if isinstance(user, Viewer):
        return user
    if user is None:
        return Viewer(user=None, role="", rules=None)
    if not getattr(user, "is_authenticated", False):
        raise NoAccess("sign in first")
    # A request's user comes with its profile and whether it manages a team, read with it
    # this request (backends.StaffBackend); any other user object is read afresh.
    with_request = hasattr(user, "manages_teams")
    profile = (
        getattr(user, "staff_profile", None)
        if with_request
        else StaffProfile.objects.filter(user=user).first()
    )
    if profile is None:
        raise NoAccess("this account has no role")
    if not profile.usable_at(clock.now()):
        raise NoAccess("this account has ended")
    managed: frozenset[int] = frozenset()
    if user.manages_teams if with_request else True:
        managed = frozenset(Team.objects.filter(manager=user).values_list("pk", flat=True))
    return Viewer(
        user=user,
        role=profile.role,
        rules=rules_for(profile.role),
        team_id=profile.team_id,
        managed_team_ids=managed,
        agency_code=profile.agency_code,
    )


# --- once per page --------------------------------------------------------------------------

_INSTANT = "instant"


@contextmanager
def resolved_once(viewer: Viewer) -> Iterator[datetime]:
    """Within: the viewer's need-to-know is worked out once, as at one instant (the page's,
    which it yields): `access_to`, `person_scope` and `allocation_for` asked again about the same
    person at that instant (or with no time given) answer from what was found the first time.
    Forgotten on leaving, so nothing outlives the page."""
    memo = viewer.memo
    if _INSTANT in memo:  # already inside one: the outer page's instant holds
        yield memo[_INSTANT]
        return
    memo[_INSTANT] = clock.now()
    try:
        with audit_together():  # the page's reads, written in one go
            yield memo[_INSTANT]
    finally:
        memo.clear()


def _moment(viewer: Viewer, at: datetime | None) -> datetime:
    return at or viewer.memo.get(_INSTANT) or clock.now()


def _memoised(viewer: Viewer, key: tuple[Any, ...], work: Callable[[], Any]) -> Any:
    memo = viewer.memo
    if _INSTANT not in memo:
        return work()
    if key not in memo:
        memo[key] = work()
    return memo[key]


def allocation_for(viewer: Viewer, person_id: int, *, at: datetime | None = None) -> Any:
    """`allocation_of` the person at `at` (now), once per instant within `resolved_once`."""
    now = _moment(viewer, at)
    return _memoised(
        viewer, ("allocation", person_id, now), lambda: allocation_of(person_id=person_id, at=now)
    )


# --- one person ------------------------------------------------------------------------------


def _records_of(person_ids: set[int], at: datetime) -> dict[int, int]:
    """record id → person id for the records linked to these persons as known at `at`."""
    ever = Link.objects.filter(person_id__in=person_ids, known_from__lte=at).values_list(
        "record_id", flat=True
    )
    out: dict[int, int] = {}
    rows = (
        Link.objects.filter(record_id__in=ever, known_from__lte=at)
        .order_by("record_id", "id")
        .values_list("record_id", "person_id")
    )
    for record_id, person_id in rows:
        out[record_id] = person_id  # the latest link of each record wins
    return {r: p for r, p in out.items() if p in person_ids}


def _persons_of(record_ids: set[int], at: datetime) -> set[int]:
    out: dict[int, int] = {}
    rows = (
        Link.objects.filter(record_id__in=record_ids, known_from__lte=at)
        .order_by("record_id", "id")
        .values_list("record_id", "person_id")
    )
    for record_id, person_id in rows:
        out[record_id] = person_id
    return set(out.values())


def connected_persons(
    child_ids: set[int], *, at: datetime, among: Collection[int] | None = None
) -> set[int]:
    """The people named with these children in any agency's event (parents, partners, other
    household members): a worker holding the child's case needs to know about them. `among`:
    only which of these people are (read from their events, not all the children's)."""
    if not child_ids or (among is not None and not among):
        return set()
    if among is not None:
        return _connected_among(child_ids, set(among) - child_ids, at)
    child_records = set(_records_of(child_ids, at))
    # Two reads by index (the versions naming the children, then who else they name): as one
    # query with "not one of the children", PostgreSQL scans every subject row.
    versions = [
        v for (v,) in select_in(EventSubject, ["event_version"], where={}, column="record",
                                values=sorted(child_records))
    ]  # fmt: skip
    named = select_in(EventSubject, ["record"], where={}, column="event_version", values=versions)
    others = {r for (r,) in named} - child_records
    return _persons_of(others, at) - child_ids


def _connected_among(child_ids: set[int], people: set[int], at: datetime) -> set[int]:
    """Which of `people` are named in an event with one of the children, read from the
    people's own events."""
    if not people:
        return set()
    theirs = _records_of(people, at)  # record -> person
    child_records = set(_records_of(child_ids, at))
    naming = select_in(EventSubject, ["event_version", "record"], where={}, column="record",
                       values=sorted(theirs))  # fmt: skip
    whose: dict[int, set[int]] = defaultdict(set)  # event version -> people it names
    for version, record in naming:
        whose[version].add(theirs[record])
    out: set[int] = set()
    for version, record in select_in(
        EventSubject, ["event_version", "record"], where={}, column="event_version",
        values=sorted(whose),
    ):  # fmt: skip
        if record in child_records:
            out |= whose[version]
    return out


def _involved(agency_code: str, person_id: int, at: datetime) -> bool:
    if not agency_code:
        return False
    records = _records_of({person_id}, at)
    return PersonRecord.objects.filter(pk__in=records, agency__code=agency_code).exists()


def _break_glass(viewer: Viewer, person_id: int, at: datetime) -> BreakGlass | None:
    return (
        BreakGlass.objects.filter(user=viewer.user, person_id=str(person_id), expires_at__gt=at)
        .order_by("-expires_at")
        .first()
    )


def _full(pid: int, basis: Basis, rules: RoleRules, reason: str = "") -> Access:
    return Access(
        pid, basis, restricted=rules.sees_restricted, may_act=rules.may_write, reason=reason
    )


def access_to(viewer: Viewer, person_id: int | str, *, at: datetime | None = None) -> Access | None:
    """What `viewer` may see of the person, or None. `at` is the clock (allocation as then)."""
    try:
        pid = int(person_id)
    except (TypeError, ValueError):
        return None
    now = _moment(viewer, at)
    return _memoised(viewer, ("access", pid, now), lambda: _access_to(viewer, pid, now))


def _access_to(viewer: Viewer, pid: int, now: datetime) -> Access | None:
    rules = viewer.rules
    if rules is None:
        return Access(pid, Basis.OPERATOR, restricted=True, may_act=True)

    def full(basis: Basis, reason: str = "") -> Access:
        return _full(pid, basis, rules, reason)

    scope = rules.scope
    if scope is Scope.SERVICE:
        return full(Basis.SERVICE)
    if scope is Scope.ALL_READ_ONLY:
        return Access(pid, Basis.INSPECTION, restricted=rules.sees_restricted)
    if scope in (Scope.ALLOCATED, Scope.TEAMS):
        held = allocation_for(viewer, pid, at=now)
        if held is not None:
            if held.worker_id is not None and held.worker_id == viewer.user.pk:  # type: ignore[union-attr]
                return full(Basis.ALLOCATION)
            if held.team_id in viewer.managed_team_ids:
                return full(Basis.MANAGED_TEAM)
            if held.team_id == viewer.team_id:
                return full(Basis.TEAM)
        children = persons_allocated_to(team_ids=viewer.team_ids, at=now)
        if children and pid in connected_persons(children, at=now):
            return full(Basis.CONNECTED)
    elif scope is Scope.TRIAGE:
        if pid in persons_in_triage(at=now):
            return full(Basis.TRIAGE)
    elif scope is Scope.AGENCY and _involved(viewer.agency_code, pid, now):
        return Access(
            pid,
            Basis.INVOLVEMENT,
            extent=Extent.AGENCY,
            agency_code=viewer.agency_code,
            restricted=rules.sees_restricted,
        )
    if rules.may_break_glass:
        grant = _break_glass(viewer, pid, now)
        if grant is not None:
            return full(Basis.BREAK_GLASS, grant.reason)
    return None


def require_access(
    viewer: Viewer,
    person_id: int | str,
    *,
    act: bool = False,
    object_type: str = "person",
    object_id: str = "",
) -> Access:
    """`access_to`, or an audited refusal. `act`: the user means to change the case."""
    access = access_to(viewer, person_id)
    if access is None or (act and not access.may_act):
        audit_refused(
            viewer,
            object_type=object_type,
            object_id=object_id or str(person_id),
            person_ids=[str(person_id)],  # so "who tried to look at this child" finds it
            why="read-only access" if access is not None else "no need-to-know",
        )
        raise NoAccess(f"person {person_id} is not open to you")
    return access


# --- many people -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonScope:
    """The people a viewer's lists may show: everyone, or a set of person ids (with the basis
    and extent for each, so list rows can be audited and cut down as a single read would)."""

    everyone: Access | None  # the access every person gets, when the viewer sees everyone
    people: dict[int, Access]

    def __contains__(self, person_id: object) -> bool:
        return self.get(person_id) is not None

    def get(self, person_id: object) -> Access | None:
        try:
            pid = int(person_id)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return None
        if self.everyone is not None:
            return Access(
                pid,
                self.everyone.basis,
                extent=self.everyone.extent,
                restricted=self.everyone.restricted,
                may_act=self.everyone.may_act,
            )
        return self.people.get(pid)

    @property
    def ids(self) -> set[int] | None:
        """The person ids, or None for everyone."""
        return None if self.everyone is not None else set(self.people)

    def only(self, among: Collection[int]) -> PersonScope:
        """The same scope, asked only about these people."""
        if self.everyone is not None:
            return self
        return PersonScope(None, {p: a for p, a in self.people.items() if p in among})


def person_scope(
    viewer: Viewer, *, at: datetime | None = None, among: Iterable[int] | None = None
) -> PersonScope:
    """Everyone `viewer` may see now, before any break-glass grant… and with them. `among`:
    only these people are asked about (a page that names a few people need not work out
    everyone a team may open: its children's every connection)."""
    now = _moment(viewer, at)
    wanted = None if among is None else frozenset(int(p) for p in among)
    whole = viewer.memo.get(("scope", now, None))
    if wanted is not None and whole is not None:  # already worked out for everyone
        return whole.only(wanted)
    return _memoised(viewer, ("scope", now, wanted), lambda: _person_scope(viewer, now, wanted))


def _person_scope(viewer: Viewer, now: datetime, among: frozenset[int] | None) -> PersonScope:
    rules = viewer.rules
    if rules is None or rules.scope in (Scope.SERVICE, Scope.ALL_READ_ONLY):
        sample = access_to(viewer, 0, at=now)
        return PersonScope(everyone=sample, people={})
    people: dict[int, Access] = {}
    scope = rules.scope
    if scope in (Scope.ALLOCATED, Scope.TEAMS):
        assert viewer.user is not None
        mine, own_team, managed = persons_held(
            worker_id=viewer.user.pk,
            team_id=viewer.team_id,
            managed_team_ids=viewer.managed_team_ids,
            at=now,
        )
        for pid in connected_persons(mine | own_team | managed, at=now, among=among):
            people[pid] = _full(pid, Basis.CONNECTED, rules)
        for pid in own_team:
            people[pid] = _full(pid, Basis.TEAM, rules)
        for pid in managed:
            people[pid] = _full(pid, Basis.MANAGED_TEAM, rules)
        for pid in mine:
            people[pid] = _full(pid, Basis.ALLOCATION, rules)
    elif scope is Scope.TRIAGE:
        for pid in persons_in_triage(at=now):
            people[pid] = _full(pid, Basis.TRIAGE, rules)
    elif scope is Scope.AGENCY and viewer.agency_code:
        for pid in _agency_persons(viewer.agency_code, now):
            people[pid] = Access(
                pid,
                Basis.INVOLVEMENT,
                extent=Extent.AGENCY,
                agency_code=viewer.agency_code,
                restricted=rules.sees_restricted,
            )
    if rules.may_break_glass:
        grants = BreakGlass.objects.filter(user=viewer.user, expires_at__gt=now)
        for grant in grants:
            pid = int(grant.person_id)
            people.setdefault(pid, _full(pid, Basis.BREAK_GLASS, rules, grant.reason))
    scope_found = PersonScope(everyone=None, people=people)
    return scope_found if among is None else scope_found.only(among)


def _agency_persons(agency_code: str, at: datetime) -> set[int]:
    records = PersonRecord.objects.filter(agency__code=agency_code)
    later = Link.objects.filter(
        record_id=OuterRef("record_id"), known_from__lte=at, id__gt=OuterRef("id")
    )
    return set(
        Link.objects.filter(record_id__in=records.values("pk"), known_from__lte=at)
        .exclude(Exists(later))
        .values_list("person_id", flat=True)
    )


# --- the audit trail -------------------------------------------------------------------------


def _who(viewer: Viewer) -> dict[str, Any]:
    if viewer.user is None:
        return {"username": CLI_USERNAME}
    return {"user": viewer.user}


def audit_read(
    viewer: Viewer,
    *,
    object_type: str,
    object_id: str = "",
    accesses: list[Access] | tuple[Access, ...] = (),
    record_ids: list[int] | tuple[int, ...] = (),
    action: str = AuditEntry.Action.READ,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record what was shown, about whom, and on what basis (the strongest one given)."""
    bases = sorted({a.basis.value for a in accesses})
    reasons = sorted({a.reason for a in accesses if a.reason})
    extra = dict(detail or {})
    if len(bases) > 1:
        extra["bases"] = bases
    audit_record(
        action=action,
        object_type=object_type,
        object_id=object_id,
        person_ids=[str(a.person_id) for a in accesses],
        record_ids=list(record_ids),
        basis=bases[0] if len(bases) == 1 else ("mixed" if bases else ""),
        reason="; ".join(reasons),
        detail=extra,
        # A write's entry goes with the write, in its transaction; reads may wait for the page.
        hold=action == AuditEntry.Action.READ,
        **_who(viewer),
    )


def audit_refused(
    viewer: Viewer,
    *,
    object_type: str,
    object_id: str,
    person_ids: list[str] | None = None,
    why: str = "no need-to-know",
) -> None:
    audit_record(
        action=AuditEntry.Action.REFUSED,
        object_type=object_type,
        object_id=object_id,
        person_ids=person_ids or [],
        detail={"why": why},
        **_who(viewer),
    )
