"""Reads and writes behind the flags inbox and a flag's page, on top of the risk app's selectors
(which apply need-to-know and write the audit entries).

- `flags_inbox`: the flags a member of staff may see, grouped the way a worker works through
  them (due today, overdue, open, acknowledged), with what has been escalated to a manager.
- `flag_page`: one flag with its child's name, whether the reader may act on it, and its version
  (the id of its latest action) for the forms, so that a change made by someone else since the
  page was shown is caught (`flag_change_unless_stale`) instead of being acted on blindly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Max

from jigsaw.access.need_to_know import (
    Access,
    Extent,
    Viewer,
    access_to,
    person_scope,
    viewer_of,
)
from jigsaw.access.roles import Scope
from jigsaw.casework.selectors import persons_allocated_to
from jigsaw.core.clock import clock
from jigsaw.core.dates import uk_date
from jigsaw.identity.models import Link
from jigsaw.records.models import AgencyVersion, PersonRecord, PersonVersion
from jigsaw.risk.models import EscalationLevel, Flag, FlagAction
from jigsaw.risk.selectors import (
    SEVERITIES,
    STATES,
    ActionView,
    FlagView,
    flag_change,
    flag_detail,
    flags_list,
)

# The groups of the inbox, in the order they are shown.
DUE_TODAY, OVERDUE, OPEN, ACKNOWLEDGED, CLOSED = (
    "due_today",
    "overdue",
    "open",
    "acknowledged",
    "closed",
)
GROUPS = (DUE_TODAY, OVERDUE, OPEN, ACKNOWLEDGED, CLOSED)
# The state filter: by default everything still to deal with; "all" includes closed flags.
ALL_STATES = "all"
# What someone did to a flag that another person must know of before acting on it. Escalations
# are Jigsaw's, on the clock, and never conflict with what a person is about to do.
PEOPLES_ACTIONS = (
    FlagAction.Kind.ACKNOWLEDGED,
    FlagAction.Kind.ACTION_RECORDED,
    FlagAction.Kind.CLOSED,
)


# --- names -----------------------------------------------------------------------------------


def child_names(
    *, person_ids: Iterable[int], access: Callable[[int], Access | None]
) -> dict[int, str]:
    """Each person's name from the records linked to them now (the most recently recorded
    version that gives one). A reader whose access is their own agency's records sees the name
    their agency holds. Only for people whose read is already audited by the caller."""
    wanted = set(person_ids)
    if not wanted:
        return {}
    now = clock.now()
    ever = Link.objects.filter(person_id__in=wanted, known_from__lte=now).values("record_id")
    owner: dict[int, int] = {}
    for record_id, person_id in (
        Link.objects.filter(record_id__in=ever, known_from__lte=now)
        .order_by("record_id", "id")
        .values_list("record_id", "person_id")
    ):
        owner[record_id] = person_id  # the latest link of each record wins
    records = {r: p for r, p in owner.items() if p in wanted}
    agencies = dict(PersonRecord.objects.filter(pk__in=records).values_list("pk", "agency__code"))
    best: dict[int, tuple[datetime, int, str]] = {}
    for record_id, given, family, recorded_at, version in PersonVersion.objects.filter(
        record_id__in=records, recorded_at__lte=now
    ).values_list("record_id", "given_name", "family_name", "recorded_at", "version"):
        person = records[record_id]
        seen = access(person)
        if seen is None:
            continue
        if seen.extent is Extent.AGENCY and agencies.get(record_id) != seen.agency_code:
            continue
        name = " ".join(n for n in (given, family) if n)
        if not name:
            continue
        key = (recorded_at, version, name)
        if person not in best or key[:2] > best[person][:2]:
            best[person] = key
    return {p: best[p][2] if p in best else f"Person {p}" for p in wanted}


def agency_names(*, codes: Iterable[str]) -> dict[str, str]:
    """Agency code → its current name (agencies are not case content)."""
    out: dict[str, str] = {}
    for code, name in (
        AgencyVersion.objects.filter(agency__code__in=set(codes))
        .order_by("agency_id", "version")
        .values_list("agency__code", "name")
    ):
        out[code] = name
    return out


# --- the inbox -------------------------------------------------------------------------------


@dataclass
class Inbox:
    groups: dict[str, list[FlagView]]
    escalated: list[FlagView] = field(default_factory=list)
    escalated_level: str = ""  # the level escalations to this reader are at ("": none kept)
    names: dict[int, str] = field(default_factory=dict)
    agencies: dict[str, str] = field(default_factory=dict)
    total: int = 0


def group_of(view: FlagView, now: datetime) -> str:
    """Which group of the inbox a flag belongs in at `now`."""
    if view.state == "closed":
        return CLOSED
    if view.state == "acknowledged":
        return ACKNOWLEDGED
    if view.due_by < now:
        return OVERDUE
    if uk_date(view.due_by) == uk_date(now):
        return DUE_TODAY
    return OPEN


def _escalated_to(viewer: Viewer) -> tuple[str, set[int] | None]:
    """The escalation level this reader answers for, and the children it covers (None: all):
    team managers for their teams' children, heads of service for every child."""
    if viewer.scope is Scope.TEAMS:
        teams = persons_allocated_to(team_ids=viewer.managed_team_ids, at=clock.now())
        return EscalationLevel.TEAM_MANAGER, teams
    if viewer.scope is Scope.SERVICE and viewer.rules is not None and viewer.rules.may_write:
        return EscalationLevel.HEAD_OF_SERVICE, None
    return "", set()


_LEVELS = {"": 0, EscalationLevel.TEAM_MANAGER: 1, EscalationLevel.HEAD_OF_SERVICE: 2}


def flags_inbox(*, user: object, state: str | None = None, severity: str | None = None) -> Inbox:
    """The flags `user` may see, grouped, most urgent first in each group. Closed flags only
    with `state` "closed" or "all". Flags escalated to the reader (a team manager: at least to
    team manager, for a child of a team they manage; a head of service: to head of service) and
    still unacknowledged are kept apart, at the top. One audited read (flags_list)."""
    state = state if state in (*STATES, ALL_STATES) else None
    severity = severity if severity in SEVERITIES else None
    views = flags_list(
        user=user, state=None if state in (None, ALL_STATES) else state, severity=severity
    )
    if state is None:
        views = [v for v in views if v.state != "closed"]
    now = clock.now()
    viewer = viewer_of(user)
    level, children = _escalated_to(viewer)
    escalated: list[FlagView] = []
    groups: dict[str, list[FlagView]] = {g: [] for g in GROUPS}
    for v in views:
        if (
            level
            and v.state == "open"
            and _LEVELS[v.escalation] >= _LEVELS[level]
            and (children is None or v.person in children)
        ):
            escalated.append(v)
        else:
            groups[group_of(v, now)].append(v)
    scope = person_scope(viewer)
    persons = {v.person for v in views}
    return Inbox(
        groups=groups,
        escalated=escalated,
        escalated_level=level,
        names=child_names(person_ids=persons, access=scope.get),
        agencies=agency_names(codes={e["agency"] for v in views for e in v.evidence}),
        total=len(views),
    )


def escalated_on(view: FlagView) -> datetime | None:
    """When the flag reached its current escalation level."""
    times = [a.at for a in view.actions if a.kind == "escalated" and a.level == view.escalation]
    return times[-1] if times else None


# --- one flag --------------------------------------------------------------------------------


@dataclass
class FlagPage:
    view: FlagView
    child: str
    may_act: bool
    version: int  # the id of the flag's latest action (0: none yet)
    agencies: dict[str, str]


def flag_version(flag_id: int) -> int:
    """A marker that changes whenever anything is done to the flag: its latest action's id."""
    latest = FlagAction.objects.filter(flag_id=flag_id).aggregate(last=Max("id"))["last"]
    return int(latest or 0)


def flag_page(*, flag_id: int | str, user: object) -> FlagPage:
    """The flag as `user` may see it (audited by flag_detail), with what the page needs."""
    view = flag_detail(flag_id=flag_id, user=user)
    assert view.id is not None
    viewer = viewer_of(user)
    access = access_to(viewer, view.person)
    names = child_names(person_ids=[view.person], access=lambda _p: access)
    return FlagPage(
        view=view,
        child=names[view.person],
        may_act=access is not None and access.may_act,
        version=flag_version(view.id),
        agencies=agency_names(codes={e["agency"] for e in view.evidence}),
    )


class FlagStale(Exception):
    """The flag has been acted on since the page was shown: what was done, oldest first."""

    def __init__(self, changes: list[ActionView]) -> None:
        super().__init__("the flag has changed since the page was shown")
        self.changes = changes


def flag_change_unless_stale(
    *, flag_id: int | str, user: object, version: int, change: Callable[[Flag], FlagAction]
) -> FlagView:
    """`flag_change`, unless someone acknowledged, recorded an action on or closed the flag
    after `version` (FlagStale, nothing written). Checked with the flag locked, so two people
    acting at once cannot both act on what they saw."""

    def guarded(flag: Flag) -> FlagAction:
        Flag.objects.select_for_update().filter(pk=flag.pk).first()
        since = [
            ActionView(a.kind, a.at, a.actor_name, a.text, a.close_reason, a.level)
            for a in FlagAction.objects.filter(
                flag=flag, id__gt=version, kind__in=PEOPLES_ACTIONS
            ).order_by("at", "id")
        ]
        if since:
            raise FlagStale(since)
        return change(flag)

    return flag_change(flag_id=flag_id, user=user, change=guarded)
