"""Reads for the home page and the team view: whose children, which of them need someone today,
and why.

Each page's selector takes the acting user, keeps to need-to-know (a worker's caseload is the
children allocated to her; a manager's team view the teams she manages; service-wide roles see
every team) and writes one audit entry naming the children whose rows it shows (object type
`caseload` or `team`). Flags come from `risk.selectors.flags_list`, which writes its own entry
for the flags it read: those children are not audited again for their flags.

What a row says about a child comes from the child's chronology as known now, read for the
whole list in a few queries and handed to the risk engine's own model of a child
(`EvaluationContext`), so "on a plan", "seen" and "seen alone" mean here exactly what they mean
to the rules. Timescales come from the risk settings: the `child-not-seen` rule's working days
and visiting sectors, the `not-seen-alone` rule's visits, weeks and age.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied

from jigsaw.access.models import StaffProfile, Team
from jigsaw.access.need_to_know import (
    Access,
    Extent,
    PersonScope,
    Viewer,
    audit_read,
    audit_refused,
    person_scope,
    viewer_of,
)
from jigsaw.access.roles import Role, Scope
from jigsaw.access.selectors import break_glass_for_review, unread_notification_count
from jigsaw.casework.models import ContactDecision, ContactRating
from jigsaw.casework.selectors import (
    contacts_in_triage,
    current_allocations,
    merged_into,
    persons_allocated_to,
)
from jigsaw.core.clock import clock
from jigsaw.core.dates import UK, uk_date
from jigsaw.core.workdays import end_of_uk_day, working_days_between
from jigsaw.identity.models import Link
from jigsaw.identity.selectors import RecordView, ReviewView, review_queue, review_queue_size
from jigsaw.identity.views import likelihood, percent
from jigsaw.records.models import AgencyVersion, EventSubject, EventVersion, PersonVersion
from jigsaw.risk.config import risk_settings
from jigsaw.risk.engine import Child, EvaluationContext, Event
from jigsaw.risk.engine.rules import rule_by_id
from jigsaw.risk.engine.timing import months_old, years_old
from jigsaw.risk.selectors import SEVERITIES, FlagView, flags_list

# The events a row is read from: visits, and social care's statutory steps.
STATUS_TYPES = (
    "home_visit",
    "cp_conference",
    "strategy_discussion",
    "section47_outcome",
    "assessment",
    "referral_decision",
)
CASE_HOLDERS = frozenset({Role.SOCIAL_WORKER, Role.TEAM_MANAGER})
SERVICE_ROLES = frozenset({Role.HEAD_OF_SERVICE, Role.DIRECTOR, Role.INSPECTOR})
TEAM_VIEWERS = frozenset({Role.TEAM_MANAGER, Role.HEAD_OF_SERVICE})
REVIEW_HEAD = 5  # pairs of the link review queue the team view lists
AGENCY_ROLES = frozenset({Role.AGENCY_PRACTITIONER, Role.AGENCY_SAFEGUARDING_LEAD})
REFERRAL_DECISIONS = dict(ContactDecision.Decision.choices)


class TeamNotFound(LookupError):
    """No such team, or one the user may not look at: the two look the same."""


# --- how things read -------------------------------------------------------------------------


def day_text(value: date | None) -> str:
    """27 Dec 2007"""
    return f"{value.day} {value:%b %Y}" if value is not None else ""


def when_text(value: datetime) -> str:
    """27 Dec 2007 at 14:30 (UK time); the end of a day reads as the day alone."""
    local = value.astimezone(UK)
    if (local.hour, local.minute) == (23, 59):
        return day_text(local.date())
    return f"{day_text(local.date())} at {local:%H:%M}"


def age_text(born: date | None, today: date) -> str:
    """ "4 weeks", "22 months", "5 years"; "" when the date of birth is not known."""
    if born is None or today < born:
        return ""
    days = (today - born).days
    months = months_old(born, today) or 0
    if days < 13 * 7:
        weeks = days // 7
        return f"{weeks} week{'' if weeks == 1 else 's'}"
    if months < 24:
        return f"{months} month{'' if months == 1 else 's'}"
    years = years_old(born, today) or 0
    return f"{years} years"


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def staff_name(user: Any) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


# --- flags as these pages show them ----------------------------------------------------------


@dataclass(frozen=True)
class FlagLine:
    """A flag that is not closed, with the words the page needs."""

    id: int
    person_id: int
    child: str
    title: str
    reason: str
    severity: str
    state: str  # open or acknowledged
    escalation: str  # "", team_manager or head_of_service
    due_by: datetime
    overdue: bool
    due_today: bool

    @property
    def rank(self) -> int:
        return SEVERITIES.index(self.severity)

    @property
    def urgent(self) -> bool:
        """Needs someone now: immediate, or past its due date."""
        return self.severity == "immediate" or self.overdue

    @property
    def due_text(self) -> str:
        return when_text(self.due_by)

    @property
    def escalation_text(self) -> str:
        return {"team_manager": "Team manager", "head_of_service": "Head of service"}.get(
            self.escalation, ""
        )

    @property
    def why(self) -> str:
        """Why this flag puts its child at the top of a list."""
        if self.overdue:
            return f"Flag overdue, was due {self.due_text}: {self.title}"
        if self.severity == "immediate":
            return f"Immediate flag, due {self.due_text}: {self.title}"
        return f"Flag due today: {self.title}"


def _open_flags(
    views: Iterable[FlagView], names: dict[int, str], *, now: datetime
) -> list[FlagLine]:
    """The flags not closed, most urgent first (as flags_list orders them)."""
    end_of_today = end_of_uk_day(uk_date(now))
    return [
        FlagLine(
            id=v.id or 0,
            person_id=v.person,
            child=names.get(v.person, f"Person {v.person}"),
            title=v.title,
            reason=v.reason,
            severity=v.severity,
            state=v.state,
            escalation=v.escalation,
            due_by=v.due_by,
            overdue=v.due_by < now,
            due_today=now <= v.due_by <= end_of_today,
        )
        for v in views
        if v.state != "closed" and v.id is not None
    ]


# --- what is known about a list of children --------------------------------------------------


def _records_by_person(person_ids: set[int], at: datetime) -> dict[int, list[int]]:
    """Each person's records as known at `at` (a record's latest link wins)."""
    if not person_ids:
        return {}
    ever = Link.objects.filter(person_id__in=person_ids, known_from__lte=at).values("record_id")
    latest: dict[int, int] = {}
    for record_id, person_id in (
        Link.objects.filter(record_id__in=ever, known_from__lte=at)
        .order_by("record_id", "id")
        .values_list("record_id", "person_id")
    ):
        latest[record_id] = person_id
    out: dict[int, list[int]] = defaultdict(list)
    for record_id, person_id in sorted(latest.items()):
        if person_id in person_ids:
            out[person_id].append(record_id)
    return out


@dataclass(frozen=True)
class Particulars:
    name: str
    family_name: str
    date_of_birth: date | None


def _particulars(
    records: dict[int, list[int]], at: datetime, *, agency: Callable[[int], str]
) -> dict[int, Particulars]:
    """Name and date of birth as most of the person's records give them (a tie goes to the
    record known first); `agency(person)` keeps to one agency's records when it names one."""
    wanted = [r for rs in records.values() for r in rs]
    latest: dict[int, tuple[str, str, str, date | None]] = {}
    for record_id, code, given, family, dob in (
        PersonVersion.objects.filter(record_id__in=wanted, recorded_at__lte=at)
        .order_by("record_id", "recorded_at", "version")
        .values_list("record_id", "record__agency__code", "given_name", "family_name",
                     "date_of_birth")
    ):  # fmt: skip
        latest[record_id] = (code, given, family, dob)
    out: dict[int, Particulars] = {}
    for person, record_ids in records.items():
        only = agency(person)
        versions = [latest[r] for r in record_ids if r in latest]
        versions = [v for v in versions if not only or v[0] == only]
        names = Counter((g, f) for _c, g, f, _d in versions if g or f)
        dobs = Counter(d for *_n, d in versions if d is not None)
        first: dict[Any, int] = {}
        for i, (_c, g, f, d) in enumerate(versions):
            first.setdefault((g, f), i)
            first.setdefault(d, i)
        given, family = max(names, key=lambda n: (names[n], -first[n])) if names else ("", "")
        dob = max(dobs, key=lambda d: (dobs[d], -first[d])) if dobs else None
        name = " ".join(n for n in (given, family) if n) or f"Person {person}"
        out[person] = Particulars(name, family or given, dob)
    return out


def _agencies(at: datetime) -> dict[str, tuple[str, str]]:
    """agency code → (name, sector) as known at `at`."""
    out: dict[str, tuple[str, str]] = {}
    for code, name, sector in (
        AgencyVersion.objects.filter(recorded_at__lte=at)
        .order_by("agency_id", "recorded_at", "version")
        .values_list("agency__code", "name", "sector")
    ):
        out[code] = (name, sector)
    return out


def _events(
    records: dict[int, list[int]], at: datetime, *, access: Callable[[int], Access | None]
) -> dict[int, list[Event]]:
    """Each person's visits and statutory steps as known at `at` (the latest version of each
    event that still names them), less what their access does not show."""
    person_of = {r: p for p, rs in records.items() for r in rs}
    if not person_of:
        return {}
    event_ids = set(
        EventSubject.objects.filter(
            record_id__in=list(person_of), event_version__type__in=STATUS_TYPES
        ).values_list("event_version__event_id", flat=True)
    )
    latest: dict[int, tuple[Any, ...]] = {}
    for row in (
        EventVersion.objects.filter(event_id__in=event_ids, recorded_at__lte=at)
        .order_by("event_id", "recorded_at", "version")
        .values_list("id", "event_id", "event__agency__code", "event__event_id", "type",
                     "occurred_at", "recorded_at", "details")
    ):  # fmt: skip
        latest[row[1]] = row
    roles: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for version_id, record_id, role in EventSubject.objects.filter(
        event_version_id__in=[row[0] for row in latest.values()], record_id__in=list(person_of)
    ).values_list("event_version_id", "record_id", "role"):
        roles[version_id][person_of[record_id]].append(role)
    agencies = _agencies(at)
    out: dict[int, list[Event]] = defaultdict(list)
    for version_id, _event, code, event_id, kind, occurred, recorded, details in latest.values():
        if kind not in STATUS_TYPES:
            continue  # corrected into something else since
        for person, person_roles in roles.get(version_id, {}).items():
            seen_by = access(person)
            details = details if isinstance(details, dict) else {}
            if seen_by is None or not seen_by.sees_event(agency=code, details=details):
                continue
            name, sector = agencies.get(code, (code, ""))
            role = "child" if "child" in person_roles else sorted(person_roles)[0]
            out[person].append(
                Event(agency=code, agency_name=name, sector=sector, event_id=event_id,
                      type=kind, occurred_at=occurred, recorded_at=recorded, details=details,
                      role=role)
            )  # fmt: skip
    return out


# --- one child's row -------------------------------------------------------------------------


@dataclass(frozen=True)
class Timescales:
    """The visiting standards, from the local authority's risk settings."""

    working_days: int
    visiting_sectors: tuple[str, ...]
    alone_from_age: int
    alone_visits: int
    alone_weeks: int

    @classmethod
    def now(cls) -> Timescales:
        rules = risk_settings().rules
        unseen = rules.for_rule(rule_by_id("child-not-seen"))
        alone = rules.for_rule(rule_by_id("not-seen-alone"))
        return cls(
            working_days=unseen.working_days,
            visiting_sectors=tuple(unseen.visiting_sectors),
            alone_from_age=alone.from_age_years,
            alone_visits=alone.visits,
            alone_weeks=alone.high_after_weeks,
        )


@dataclass
class ChildRow:
    person_id: int
    name: str
    family_name: str
    age: str
    worker: str
    last_seen: date | None  # the last visit that saw the child
    last_seen_alone: date | None
    seen_visits: int  # visits that saw the child, ever
    plan: str
    on_plan: bool
    unseen_days: int | None  # working days since seen (or since the plan or the case began)
    unseen: str  # "" or why the child has not been seen within the timescale
    not_alone: str  # "" or why the child has not been seen alone
    flags: list[FlagLine] = field(default_factory=list)
    tier: int = 3  # 0: an immediate or overdue flag; 1: not seen in time; 2: flag due today
    why: list[str] = field(default_factory=list)

    @property
    def worst(self) -> str:
        return min((f.severity for f in self.flags), key=SEVERITIES.index, default="")

    @property
    def needs_you(self) -> bool:
        return self.tier < 3

    @property
    def last_seen_text(self) -> str:
        return day_text(self.last_seen) or "Not seen on a visit"

    @property
    def last_seen_alone_text(self) -> str:
        if self.last_seen_alone is not None:
            return day_text(self.last_seen_alone)
        return "Never" if self.seen_visits else "Not seen on a visit"

    def sort_key(self) -> tuple[Any, ...]:
        urgent = [f for f in self.flags if f.urgent]
        today = [f for f in self.flags if f.due_today]
        by_tier: tuple[Any, ...] = {
            0: (min((f.rank, f.due_by) for f in urgent),) if urgent else (),
            1: (-(self.unseen_days or 0),),
            2: (min(f.rank for f in today),) if today else (),
        }.get(self.tier, ())
        return (self.tier, *by_tier, self.family_name.lower(), self.name.lower(), self.person_id)


def _plan_status(context: EvaluationContext) -> tuple[str, bool]:
    """Where the child stands, from social care's statutory steps: the plan first."""
    plan = context.plan_at()
    if plan is not None:
        return f"Child protection plan since {day_text(plan.start.day)}", True
    conferences = context.of_type("cp_conference")
    if conferences and conferences[-1].text("outcome") == "end_plan":
        return f"Plan ended {day_text(conferences[-1].day)}", False
    enquiry = context.section47_at()
    if enquiry is not None:
        return f"Section 47 enquiry since {day_text(enquiry.start.day)}", False
    assessment = context.assessment_at()
    if assessment is not None:
        return f"Assessment since {day_text(assessment.start.day)}", False
    steps = context.of_type("assessment", "referral_decision", "cp_conference")
    if not steps:
        return "No plan or assessment recorded", False
    last = steps[-1]
    if last.type == "assessment":
        outcome = last.text("outcome")
        if "child in need" in outcome.lower():
            return f"Child in need since {day_text(last.day)}", False
        said = f": {outcome}" if outcome else ""
        return f"Assessment completed {day_text(last.day)}{said}", False
    if last.type == "referral_decision":
        decision = REFERRAL_DECISIONS.get(last.text("decision"), last.text("decision"))
        return f"Referral decision {day_text(last.day)}: {decision.lower()}", False
    return f"Conference {day_text(last.day)}: no plan", False


def _row(
    person: int,
    particulars: Particulars,
    events: list[Event],
    *,
    allocated_at: datetime | None,
    worker: str,
    flags: list[FlagLine],
    scales: Timescales,
    now: datetime,
) -> ChildRow:
    context = EvaluationContext(
        child=Child(person_id=person, date_of_birth=particulars.date_of_birth),
        now=now,
        events=events,
    )
    today = context.today
    plan_text, on_plan = _plan_status(context)
    seen = [
        e
        for e in context.of_type("home_visit")
        if e.sector in scales.visiting_sectors and e.flag("child_seen") is True
    ]
    alone_at = [i for i, e in enumerate(seen) if e.flag("seen_alone") is True]

    # The clock runs from the last visit that saw the child; on a plan, as the child-not-seen
    # rule counts it, from the plan's start if nobody has seen the child since.
    plan = context.plan_at()
    anchor: date | None = None
    since = ""
    if plan is not None:
        on = [e for e in seen if e.occurred_at >= plan.start.occurred_at]
        anchor = on[-1].day if on else plan.start.day
        since = "" if on else " since the plan started"
    elif seen:
        anchor = seen[-1].day
    elif allocated_at is not None:
        anchor, since = uk_date(allocated_at), " since the case was allocated"
    days = working_days_between(anchor, today) if anchor is not None else None
    unseen = (
        f"Not seen for {plural(days, 'working day')}{since}"
        if days is not None and days > scales.working_days
        else ""
    )

    # As the not-seen-alone rule has it: from the age it sets, the visits since the child was
    # last seen alone; too many of them, or for too long.
    not_alone = ""
    born = particulars.date_of_birth
    old_enough = born is not None and (years_old(born, today) or 0) >= scales.alone_from_age
    missed = seen[alone_at[-1] + 1 :] if alone_at else seen
    if old_enough and missed:
        weeks = (now - missed[0].occurred_at).days // 7
        if len(missed) >= scales.alone_visits:
            not_alone = f"Not seen alone at the last {plural(len(missed), 'visit')}"
        elif weeks >= scales.alone_weeks:
            not_alone = f"Not seen alone for {plural(weeks, 'week')}"

    row = ChildRow(
        person_id=person,
        name=particulars.name,
        family_name=particulars.family_name,
        age=age_text(particulars.date_of_birth, today),
        worker=worker,
        last_seen=seen[-1].day if seen else None,
        last_seen_alone=seen[alone_at[-1]].day if alone_at else None,
        seen_visits=len(seen),
        plan=plan_text,
        on_plan=on_plan,
        unseen_days=days,
        unseen=unseen,
        not_alone=not_alone,
        flags=flags,
    )
    urgent = [f for f in flags if f.urgent]
    today_flags = [f for f in flags if f.due_today and not f.urgent]
    if urgent:
        more = f" (and {plural(len(urgent) - 1, 'other flag')})" if len(urgent) > 1 else ""
        row.why.append(urgent[0].why + more)
    if unseen:
        row.why.append(unseen)
    if today_flags:
        row.why.append(today_flags[0].why)
    row.tier = 0 if urgent else 1 if unseen else 2 if today_flags else 3
    return row


@dataclass(frozen=True)
class Held:
    person_id: int
    team_id: int
    worker: Any  # the user holding the case, or None
    started_at: datetime


def _held(
    *, at: datetime, team_ids: Iterable[int] = (), worker_id: int | None = None
) -> list[Held]:
    """The cases held now by the teams or the worker, as persons_allocated_to finds them, with
    who holds each and since when (a merged child's case follows their records)."""
    wanted = persons_allocated_to(team_ids=team_ids, worker_id=worker_id, at=at)
    if not wanted:
        return []
    moved = merged_into(at=at)
    rows = (
        current_allocations(at=at)
        .filter(team__isnull=False)
        .select_related("worker")
        .order_by("started_at", "id")
    )
    teams, worker = set(team_ids), worker_id
    out: dict[int, Held] = {}
    for a in rows.filter(person_id__in=wanted | {p for p, to in moved.items() if to in wanted}):
        person = moved.get(a.person_id, a.person_id)
        if person in wanted and (a.team_id in teams or (worker and a.worker_id == worker)):
            out[person] = Held(person, a.team_id, a.worker, a.started_at)  # type: ignore[arg-type]
    return list(out.values())


def _rows(
    viewer: Viewer,
    held: list[Held],
    flags: list[FlagLine],
    scope: PersonScope,
    *,
    now: datetime,
    scales: Timescales,
) -> list[ChildRow]:
    persons = {h.person_id for h in held}
    records = _records_by_person(persons, now)
    particulars = _particulars(records, now, agency=lambda _p: "")
    events = _events(records, now, access=scope.get)
    by_child: dict[int, list[FlagLine]] = defaultdict(list)
    for f in flags:
        by_child[f.person_id].append(f)
    rows = [
        _row(
            h.person_id,
            particulars.get(h.person_id, Particulars(f"Person {h.person_id}", "", None)),
            events.get(h.person_id, []),
            allocated_at=h.started_at,
            worker=staff_name(h.worker),
            flags=by_child.get(h.person_id, []),
            scales=scales,
            now=now,
        )
        for h in held
    ]
    return sorted(rows, key=ChildRow.sort_key)


# --- the home page ---------------------------------------------------------------------------


@dataclass
class Caseload:
    rows: list[ChildRow]
    due: list[FlagLine]  # the caseload's flags due today or overdue, most urgent first
    working_days: int

    @property
    def needing(self) -> list[ChildRow]:
        return [r for r in self.rows if r.needs_you]


@dataclass
class TeamSummary:
    """What a manager's teams hold that needs her: counts, with the team view one click away."""

    teams: list[str]
    children: int
    overdue: int
    escalated: int
    unseen: int
    break_glass: int
    working_days: int


@dataclass
class ServiceSummary:
    open_by_severity: dict[str, int]
    overdue: int
    escalated: list[FlagLine]  # to the head of service
    read_only: bool
    break_glass: int | None  # uses awaiting review (heads of service review them)

    @property
    def open_total(self) -> int:
        return sum(self.open_by_severity.values())


@dataclass
class FrontDoor:
    awaiting: int
    by_rating: dict[str, int]  # red, amber, green, "" (not yet rated)
    oldest: datetime | None
    flags: list[FlagLine]

    @property
    def oldest_text(self) -> str:
        return when_text(self.oldest) if self.oldest is not None else ""

    @property
    def ratings(self) -> list[tuple[str, int]]:
        """(label, count) for each rating the front door gives, then those not yet rated."""
        labels = {"red": "Red", "amber": "Amber", "green": "Green", "": "Not yet rated"}
        return [(labels[k], n) for k, n in self.by_rating.items()]


@dataclass
class HomePage:
    role: str
    caseload: Caseload | None = None
    team: TeamSummary | None = None
    service: ServiceSummary | None = None
    front_door: FrontDoor | None = None
    agency_flags: list[FlagLine] | None = None
    agency: str = ""
    unread: int = 0


def _names(
    person_ids: set[int], scope: PersonScope, at: datetime, *, records: dict[int, list[int]]
) -> dict[int, str]:
    """Names for the children in flag lists: agency staff see their own agency's record."""

    def agency(person: int) -> str:
        access = scope.get(person)
        return access.agency_code if access is not None and access.extent is Extent.AGENCY else ""

    return {p: v.name for p, v in _particulars(records, at, agency=agency).items()}


def _flag_lines(viewer: Viewer, scope: PersonScope, now: datetime) -> list[FlagLine]:
    """The flags the viewer may see that are not closed (flags_list audits the read)."""
    views = flags_list(user=viewer)
    people = {v.person for v in views if v.state != "closed"}
    names = _names(people, scope, now, records=_records_by_person(people, now))
    return _open_flags(views, names, now=now)


def _audit_rows(
    viewer: Viewer, scope: PersonScope, rows: list[ChildRow], *, object_type: str, **detail: Any
) -> None:
    accesses = [a for a in (scope.get(r.person_id) for r in rows) if a is not None]
    audit_read(viewer, object_type=object_type, accesses=accesses, detail=detail)


def _caseload(
    viewer: Viewer, scope: PersonScope, flags: list[FlagLine], now: datetime, scales: Timescales
) -> Caseload:
    assert viewer.user is not None
    held = _held(at=now, worker_id=viewer.user.pk)
    mine = {h.person_id for h in held}
    own_flags = [f for f in flags if f.person_id in mine]
    rows = _rows(viewer, held, own_flags, scope, now=now, scales=scales)
    due = [f for f in own_flags if f.overdue or f.due_today]
    return Caseload(rows=rows, due=due, working_days=scales.working_days)


def _team_summary(
    viewer: Viewer, scope: PersonScope, flags: list[FlagLine], now: datetime, scales: Timescales
) -> TeamSummary:
    teams = sorted(Team.objects.filter(pk__in=viewer.managed_team_ids), key=lambda t: t.name)
    held = _held(at=now, team_ids=viewer.managed_team_ids)
    children = {h.person_id for h in held}
    team_flags = [f for f in flags if f.person_id in children]
    rows = _rows(viewer, held, [], scope, now=now, scales=scales)
    return TeamSummary(
        teams=[t.name for t in teams],
        children=len(children),
        overdue=sum(1 for f in team_flags if f.overdue),
        escalated=sum(1 for f in team_flags if f.escalation),
        unseen=sum(1 for r in rows if r.unseen),
        break_glass=break_glass_for_review(reviewer=viewer.user).exclude(user=viewer.user).count(),
        working_days=scales.working_days,
    )


def _service(viewer: Viewer, flags: list[FlagLine]) -> ServiceSummary:
    counts = Counter(f.severity for f in flags)
    reviews = None
    if viewer.role == Role.HEAD_OF_SERVICE:
        reviews = break_glass_for_review(reviewer=None).exclude(user=viewer.user).count()
    return ServiceSummary(
        open_by_severity={s: counts.get(s, 0) for s in SEVERITIES},
        overdue=sum(1 for f in flags if f.overdue),
        escalated=[f for f in flags if f.escalation == "head_of_service"],
        read_only=not (viewer.rules is not None and viewer.rules.may_write),
        break_glass=reviews,
    )


def _front_door(flags: list[FlagLine], now: datetime) -> FrontDoor:
    waiting = contacts_in_triage(at=now).exclude(decision__isnull=False).distinct()
    received = dict(waiting.values_list("pk", "received_at"))
    ratings: dict[int, str] = {}
    for contact_id, rag in (
        ContactRating.objects.filter(contact_id__in=list(received), rated_at__lte=now)
        .order_by("rated_at", "id")
        .values_list("contact_id", "rag")
    ):
        ratings[contact_id] = rag  # a later rating supersedes
    by_rating = Counter(ratings.get(c, "") for c in received)
    return FrontDoor(
        awaiting=len(received),
        by_rating={k: by_rating.get(k, 0) for k in ("red", "amber", "green", "")},
        oldest=min(received.values(), default=None),
        flags=flags,
    )


def home_page(*, user: Any) -> HomePage:
    """What the signed-in member of staff sees first, by role. Analysts and system
    administrators have no case content here (their home is elsewhere): refused."""
    viewer = viewer_of(user)
    if viewer.scope in (None, Scope.NONE, Scope.PSEUDONYMISED):
        audit_refused(viewer, object_type="home", object_id="", why="role sees no case content")
        raise PermissionDenied("your role has no caseload")
    now = clock.now()
    scope = person_scope(viewer, at=now)
    flags = _flag_lines(viewer, scope, now)
    page = HomePage(role=viewer.role, unread=unread_notification_count(user=viewer.user))
    if viewer.role in CASE_HOLDERS:
        scales = Timescales.now()
        page.caseload = _caseload(viewer, scope, flags, now, scales)
        if viewer.role == Role.TEAM_MANAGER:
            page.team = _team_summary(viewer, scope, flags, now, scales)
        _audit_rows(viewer, scope, page.caseload.rows, object_type="caseload", page="home")
    elif viewer.role in SERVICE_ROLES:
        page.service = _service(viewer, flags)
    elif viewer.role == Role.MASH_PRACTITIONER:
        page.front_door = _front_door(flags, now)
    elif viewer.role in AGENCY_ROLES:
        page.agency_flags = flags
        page.agency = _agencies(now).get(viewer.agency_code, (viewer.agency_code, ""))[0]
    return page


# --- the team view ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerLoad:
    name: str
    children: int


@dataclass(frozen=True)
class ReviewLine:
    """A pair of records in the link review queue, as the team view lists it."""

    item_id: int
    first: str  # name
    first_born: str  # "14 May 2021", or "Date of birth not known"
    second: str
    second_born: str
    match: str  # "Very likely the same person (87%)", as the link review page says it

    @classmethod
    def of(cls, view: ReviewView) -> ReviewLine:
        a, b = view.record_a, view.record_b
        return cls(
            view.item_id,
            _record_name(a),
            _record_born(a),
            _record_name(b),
            _record_born(b),
            f"{likelihood(view.probability)} ({percent(view.probability)})",
        )


def _record_name(record: RecordView) -> str:
    return " ".join(n for n in (record.given_name, record.family_name) if n) or "No name"


def _record_born(record: RecordView) -> str:
    return day_text(record.date_of_birth) or "Date of birth not known"


def team_flag_order(flag: FlagLine) -> tuple[Any, ...]:
    """Most urgent first: overdue or immediate flags, then by severity, then the soonest due."""
    return (not flag.urgent, flag.rank, flag.due_by, flag.id)


@dataclass
class TeamPage:
    team: Team
    teams: list[Team]  # the teams the user may choose between
    children: int
    open_flags: int
    overdue: list[FlagLine]
    escalated: list[FlagLine]
    unacknowledged: int
    unacknowledged_past_due: int
    unseen: list[ChildRow]
    not_alone: list[ChildRow]
    workers: list[WorkerLoad]
    without_worker: int
    review_queue: int
    review_head: list[ReviewLine]  # the first few pairs, strongest match first
    scales: Timescales
    flags: list[FlagLine]  # every flag not closed, most urgent first (team_flag_order)

    @property
    def review_more(self) -> int:
        """Pairs in the queue beyond those listed."""
        return self.review_queue - len(self.review_head)


def _teams_for(viewer: Viewer) -> list[Team]:
    if viewer.role not in TEAM_VIEWERS:
        audit_refused(viewer, object_type="team", object_id="", why="role has no team view")
        raise PermissionDenied("only team managers and heads of service have a team view")
    teams = Team.objects.order_by("name")
    if viewer.role == Role.TEAM_MANAGER:
        teams = teams.filter(pk__in=viewer.managed_team_ids)
    return list(teams)


def team_page(*, user: Any, team_id: int | str | None = None) -> TeamPage | None:
    """One team's open flags, unseen children, caseloads and the head of the link review queue
    (unless one is chosen, the first team by name that holds a case); None when the user manages
    no team. A team that is not open to the
    user, or does not exist, is TeamNotFound."""
    viewer = viewer_of(user)
    teams = _teams_for(viewer)
    if not teams:
        return None
    now = clock.now()
    holding = set(
        current_allocations(at=now).filter(team__isnull=False).values_list("team_id", flat=True)
    )
    team = next((t for t in teams if t.pk in holding), teams[0])  # a team with cases first
    if team_id not in (None, ""):
        chosen = next((t for t in teams if str(t.pk) == str(team_id)), None)
        if chosen is None:
            audit_refused(viewer, object_type="team", object_id=str(team_id)[:200],
                          why="not a team open to the user")  # fmt: skip
            raise TeamNotFound(f"there is no team {team_id} open to you")
        team = chosen
    scales = Timescales.now()
    scope = person_scope(viewer, at=now)
    held = _held(at=now, team_ids=[team.pk])
    children = {h.person_id for h in held}
    flags = sorted(
        (f for f in _flag_lines(viewer, scope, now) if f.person_id in children),
        key=team_flag_order,
    )
    rows = _rows(viewer, held, flags, scope, now=now, scales=scales)
    reviews = review_queue(user=viewer, limit=REVIEW_HEAD)

    loads = Counter(h.worker.pk for h in held if h.worker is not None)
    members = {
        p.user.pk: p.user
        for p in StaffProfile.objects.filter(
            team=team, role__in=[Role.SOCIAL_WORKER, Role.TEAM_MANAGER]
        ).select_related("user")
    }
    members.update({h.worker.pk: h.worker for h in held if h.worker is not None})
    workers = sorted(
        (WorkerLoad(staff_name(u), loads.get(pk, 0)) for pk, u in members.items()),
        key=lambda w: (-w.children, w.name.lower()),
    )
    unseen = sorted((r for r in rows if r.unseen), key=lambda r: -(r.unseen_days or 0))
    not_alone = [r for r in rows if r.not_alone]
    page = TeamPage(
        team=team,
        teams=teams,
        children=len(children),
        open_flags=len(flags),
        overdue=[f for f in flags if f.overdue],
        escalated=[f for f in flags if f.escalation],
        unacknowledged=sum(1 for f in flags if f.state == "open"),
        unacknowledged_past_due=sum(1 for f in flags if f.overdue and f.state == "open"),
        unseen=unseen,
        not_alone=not_alone,
        workers=workers,
        without_worker=sum(1 for h in held if h.worker is None),
        review_queue=review_queue_size(user=viewer),
        review_head=[ReviewLine.of(v) for v in reviews],
        scales=scales,
        flags=flags,
    )
    shown = {r.person_id: r for r in [*unseen, *not_alone]}
    _audit_rows(viewer, scope, list(shown.values()), object_type="team",
                team=team.pk, children=len(children))  # fmt: skip
    return page
