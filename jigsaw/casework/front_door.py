"""The front door (MASH): contacts in triage, what the agencies know about the people in them,
the RAG rating and the decision, and the clock a decision runs against.

Reads take the acting user and go through need-to-know (jigsaw/access/need_to_know.py), with one
audit entry for what they show; writes are audited and append. Who may use the front door:

- MASH practitioners: the contacts in triage (and, through them, the people they name);
  they record contacts, rate and decide them.
- Heads of service: every contact; they may do all a MASH practitioner does.
- Team managers: a contact about a child they may see (their teams' children), read-only.
- Everyone else: refused (403), audited.

A decision is due one working day after the contact was received: the clock runs only on
working days (Monday to Friday less England's bank holidays, UK time), so a contact received at
4pm on a Friday is due at 4pm on Monday, and one received on a Saturday by the end of Monday.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from jigsaw.access.audit import audit_record
from jigsaw.access.models import AuditEntry
from jigsaw.access.need_to_know import (
    Access,
    Viewer,
    access_to,
    audit_read,
    audit_refused,
    person_scope,
    viewer_of,
)
from jigsaw.access.roles import Role
from jigsaw.casework.local_authority import Particulars, person_new
from jigsaw.casework.models import Contact, ContactDecision, ContactRating, ContactSubject
from jigsaw.casework.selectors import contacts_in_triage
from jigsaw.casework.services import CaseworkError, contact_decide, contact_record
from jigsaw.core.clock import clock
from jigsaw.core.dates import UK
from jigsaw.core.workdays import is_working_day
from jigsaw.identity.households import Household
from jigsaw.identity.linking import current_links
from jigsaw.identity.matching import Query
from jigsaw.identity.models import Link, Person
from jigsaw.identity.selectors import household_of, person_chronology, person_search
from jigsaw.records.models import AgencyVersion, PersonVersion
from jigsaw.records.selectors import ChronologyEntry
from jigsaw.risk.selectors import FlagView, flags_list

# Who works at the front door, and who may look at a contact through its children.
FRONT_DOOR_ROLES = frozenset({Role.MASH_PRACTITIONER, Role.HEAD_OF_SERVICE})
THROUGH_CHILDREN_ROLES = frozenset({Role.TEAM_MANAGER})

# One working day, measured on the working-day clock.
DECISION_WITHIN = timedelta(hours=24)
LOOK_BACK = timedelta(days=365)  # "the last 12 months" of agencies' records
RECENT_ENTRIES = 5

CHILD = "child"
ADULT_ROLES = {
    "parent": "Parent",
    "partner_of_parent": "Partner of a parent",
    "other": "Other adult",
}
RAG_ORDER: dict[str, int] = {"red": 0, "amber": 1, "green": 2}
UNRATED = len(RAG_ORDER)

# The contact record has no field of its own for how to reach the referrer: it is kept with
# their role, after a line break (a one-line form field cannot contain one).


class FrontDoorRefused(PermissionDenied):
    """The user's role does not include the front door (or acting at it)."""


class ContactNotFound(LookupError):
    """No such contact, or one the user may not see: the two look the same."""


class ContactStale(CaseworkError):
    """Someone changed the contact since the page was shown; the message says who and how."""


# --- the working-day clock ---------------------------------------------------------------------


def _day_start(d: date) -> datetime:
    """The start of a UK calendar day, in UTC (so sums of time are exact across clock changes)."""
    return datetime.combine(d, time(0, 0), tzinfo=UK).astimezone(UTC)


def working_time(start: datetime, end: datetime) -> timedelta:
    """How much of the time from `start` to `end` fell on working days (UK calendar days)."""
    if end <= start:
        return timedelta(0)
    total = timedelta(0)
    day = start.astimezone(UK).date()
    last = end.astimezone(UK).date()
    while day <= last:
        if is_working_day(day):
            lo = max(start, _day_start(day))
            hi = min(end, _day_start(day + timedelta(days=1)))
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return total


def decision_due(received_at: datetime) -> datetime:
    """When a decision on a contact received at `received_at` is due: one working day of the
    working-day clock later (4pm Friday → 4pm Monday; Saturday → the end of Monday)."""
    left = DECISION_WITHIN
    cursor = received_at.astimezone(UTC)
    while True:
        day = cursor.astimezone(UK).date()
        day_end = _day_start(day + timedelta(days=1))
        if is_working_day(day):
            available = day_end - cursor
            if available >= left:
                return cursor + left
            left -= available
        cursor = day_end


@dataclass(frozen=True)
class Timer:
    """Where a contact stands against its decision time."""

    received_at: datetime
    due_at: datetime
    now: datetime
    decided_at: datetime | None = None

    @property
    def decided(self) -> bool:
        return self.decided_at is not None

    @property
    def overdue(self) -> bool:
        """Waiting past its due time."""
        return self.decided_at is None and self.now > self.due_at

    @property
    def late(self) -> bool:
        return self.decided_at is not None and self.decided_at > self.due_at

    @property
    def taken(self) -> timedelta:
        """Working time from receipt to the decision (or to now, while waiting)."""
        return working_time(self.received_at, self.decided_at or self.now)

    @property
    def late_by(self) -> timedelta:
        """Working time past the due time (none if on time)."""
        return working_time(self.due_at, self.decided_at or self.now)


def timer_of(*, received_at: datetime, decided_at: datetime | None, now: datetime) -> Timer:
    return Timer(received_at, decision_due(received_at), now, decided_at)


# --- how the front door reads ------------------------------------------------------------------


def clock_time(value: datetime) -> str:
    """4pm, 4:30pm, midday, midnight (UK time), as GOV.UK writes times."""
    local = value.astimezone(UK)
    if local.minute == 0 and local.hour == 12:
        return "midday"
    if local.minute == 0 and local.hour == 0:
        return "midnight"
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    return f"{hour}{suffix}" if local.minute == 0 else f"{hour}:{local.minute:02d}{suffix}"


def day_text(value: datetime, *, now: datetime) -> str:
    """Monday 14 January (the year too, when it is not this year)."""
    local = value.astimezone(UK)
    text = f"{local:%A} {local.day} {local:%B}"
    return text if local.year == now.astimezone(UK).year else f"{text} {local.year}"


def when_text(value: datetime, *, now: datetime) -> str:
    """4pm Monday 14 January. The very end of a day is 11:59pm that day, never "midnight",
    which readers take for either end of it."""
    if value.astimezone(UK).time() == time(0, 0):
        value -= timedelta(minutes=1)
    return f"{clock_time(value)} {day_text(value, now=now)}"


def short_when(value: datetime) -> str:
    """14 Jan 2008, 16:00 (UK time), for tables."""
    local = value.astimezone(UK)
    return f"{local.day} {local:%b %Y, %H:%M}"


def duration_text(span: timedelta) -> str:
    """3 hours, 1 hour, 40 minutes, less than a minute."""
    minutes = int(span.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60)
    return f"{hours} hour{'s' if hours != 1 else ''}"


def decide_by_text(timer: Timer) -> str:
    return f"Decide by {when_text(timer.due_at, now=timer.now)}"


def timeliness_text(timer: Timer) -> str:
    """Decided in 3 working hours / Decided 2 hours late (working time, as the clock runs)."""
    if not timer.decided:
        return ""
    if timer.late:
        return f"Decided {duration_text(timer.late_by)} late"
    taken = timer.taken
    if taken < timedelta(hours=1):
        return f"Decided in {duration_text(taken)}"
    hours = round(taken.total_seconds() / 3600)
    return f"Decided in {hours} working hour{'s' if hours != 1 else ''}"


def person_label(name: str, born: date | None) -> str:
    return f"{name} (born {born.day} {born:%B %Y})" if born else name


# --- who may use the front door ----------------------------------------------------------------


def _viewer(user: Any, *, roles: frozenset[str], what: str, act: bool = False) -> Viewer:
    viewer = viewer_of(user)
    if viewer.is_operator:
        return viewer
    if viewer.role not in roles:
        audit_refused(viewer, object_type=what, object_id="", why="role has no front door")
        raise FrontDoorRefused("the front door is not part of your role")
    if act and not (viewer.rules and viewer.rules.may_write):
        audit_refused(viewer, object_type=what, object_id="", why="read-only role")
        raise FrontDoorRefused("your role may not act at the front door")
    return viewer


def front_door_viewer(user: Any, *, act: bool = False) -> Viewer:
    """The acting user, if their role works at the front door (audited refusal otherwise)."""
    return _viewer(user, roles=FRONT_DOOR_ROLES, what="contacts", act=act)


# --- names of the people on contacts -----------------------------------------------------------


@dataclass(frozen=True)
class Particular:
    name: str
    date_of_birth: date | None = None
    postcode: str = ""


def _particulars(person_ids: Iterable[int]) -> dict[int, Particular]:
    """Each person's name, date of birth and postcode from the most complete of their records
    (as `local_authority.particulars`, for many people in three queries)."""
    ids = set(person_ids)
    if not ids:
        return {}
    ever = Link.objects.filter(person_id__in=ids).values_list("record_id", flat=True)
    owner = {r: s.person for r, s in current_links(set(ever)).items() if s.person in ids}
    best: dict[int, tuple[tuple[int, datetime], PersonVersion]] = {}
    for v in PersonVersion.objects.filter(record_id__in=list(owner)).order_by(
        "record_id", "recorded_at", "version"
    ):
        filled = sum(
            bool(x)
            for x in (v.given_name, v.family_name, v.date_of_birth, v.nhs_number, v.postcode)
        )
        key = (filled, v.recorded_at)
        person = owner[v.record_id]
        if person not in best or key > best[person][0]:
            best[person] = (key, v)
    out = {}
    for pid in ids:
        if pid in best:
            v = best[pid][1]
            name = " ".join(n for n in (v.given_name, v.family_name) if n) or f"Person {pid}"
            out[pid] = Particular(name, v.date_of_birth, v.postcode)
        else:
            out[pid] = Particular(f"Person {pid}")
    return out


def agency_names() -> dict[str, str]:
    """Agency code → its latest name, for the referrer's agency (no case content)."""
    names: dict[str, str] = {}
    for code, name in AgencyVersion.objects.order_by("agency_id", "version").values_list(
        "agency__code", "name"
    ):
        names[code] = name
    return dict(sorted(names.items(), key=lambda item: item[1].lower()))


# --- contacts as the front door sees them ------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    person_id: int
    role: str
    name: str
    date_of_birth: date | None
    open: bool  # whether the viewer may see this person's information

    @property
    def is_child(self) -> bool:
        return self.role == CHILD

    @property
    def role_text(self) -> str:
        return "Child" if self.is_child else ADULT_ROLES.get(self.role, self.role.capitalize())


@dataclass(frozen=True)
class Referrer:
    agency: str  # a known agency's code, or the name as typed
    name: str
    role: str = ""
    how_to_contact: str = ""

    def agency_text(self, names: dict[str, str]) -> str:
        return names.get(self.agency, self.agency)

    @classmethod
    def of(cls, contact: Contact) -> Referrer:
        return cls(
            contact.source_agency, contact.source_name, contact.source_role, contact.source_contact
        )


@dataclass(frozen=True)
class Rating:
    id: int
    rag: str
    reason: str
    rated_at: datetime
    rated_by: str

    @property
    def label(self) -> str:
        return str(ContactRating.Rag(self.rag).label)

    @property
    def short(self) -> str:
        return self.rag.capitalize()


@dataclass(frozen=True)
class Decided:
    decision: str
    reason: str
    decided_at: datetime
    decided_by: str

    @property
    def label(self) -> str:
        return str(ContactDecision.Decision(self.decision).label)


@dataclass
class ContactView:
    id: int
    received_at: datetime
    recorded_at: datetime
    recorded_by: str
    referrer: Referrer
    agency_name: str
    summary: str
    subjects: list[Subject]
    ratings: list[Rating]  # newest first
    decision: Decided | None
    timer: Timer
    may_act: bool = False

    @property
    def rating(self) -> Rating | None:
        return self.ratings[0] if self.ratings else None

    @property
    def children(self) -> list[Subject]:
        return [s for s in self.subjects if s.is_child]

    @property
    def adults(self) -> list[Subject]:
        return [s for s in self.subjects if not s.is_child]

    @property
    def rank(self) -> tuple[int, int, datetime, int]:
        """Triage order: overdue first, then red, amber, green, unrated; oldest first."""
        rag = RAG_ORDER.get(self.rating.rag, UNRATED) if self.rating else UNRATED
        return (0 if self.timer.overdue else 1, rag, self.received_at, self.id)


def _staff_name(user: Any) -> str:
    if user is None:
        return "Jigsaw"
    return str(user.get_full_name() or user.get_username())


def _views(
    contacts: Sequence[Contact], viewer: Viewer, *, now: datetime
) -> tuple[list[ContactView], list[Access]]:
    """Contacts as views, and the access behind each person shown (for the audit entry)."""
    ids = [c.pk for c in contacts]
    subjects: dict[int, list[ContactSubject]] = {}
    for s in ContactSubject.objects.filter(contact_id__in=ids, recorded_at__lte=now).order_by(
        "contact_id", "id"
    ):
        subjects.setdefault(s.contact_id, []).append(s)
    ratings: dict[int, list[Rating]] = {}
    for r in (
        ContactRating.objects.filter(contact_id__in=ids, rated_at__lte=now)
        .select_related("rated_by")
        .order_by("-rated_at", "-id")
    ):
        ratings.setdefault(r.contact_id, []).append(
            Rating(r.pk, r.rag, r.reason, r.rated_at, _staff_name(r.rated_by))
        )
    decisions = {
        d.contact_id: Decided(d.decision, d.reason, d.decided_at, _staff_name(d.decided_by))
        for d in ContactDecision.objects.filter(
            contact_id__in=ids, recorded_at__lte=now
        ).select_related("decided_by")
    }
    names = _particulars({s.person_id for rows in subjects.values() for s in rows})
    agencies = agency_names()
    scope = person_scope(viewer, at=now)
    accesses: dict[int, Access] = {}
    out = []
    for contact in contacts:
        shown = []
        for s in subjects.get(contact.pk, []):
            access = scope.get(s.person_id)
            if access is not None:
                accesses[s.person_id] = access
            particular = names[s.person_id]
            shown.append(
                Subject(
                    s.person_id,
                    s.role,
                    particular.name,
                    particular.date_of_birth,
                    access is not None,
                )
            )
        decided = decisions.get(contact.pk)
        referrer = Referrer.of(contact)
        out.append(
            ContactView(
                id=contact.pk,
                received_at=contact.received_at,
                recorded_at=contact.recorded_at,
                recorded_by=_staff_name(contact.recorded_by),
                referrer=referrer,
                agency_name=referrer.agency_text(agencies),
                summary=contact.summary,
                subjects=shown,
                ratings=ratings.get(contact.pk, []),
                decision=decided,
                timer=timer_of(
                    received_at=contact.received_at,
                    decided_at=decided.decided_at if decided else None,
                    now=now,
                ),
            )
        )
    return out, list(accesses.values())


@dataclass
class TriageBoard:
    waiting: list[ContactView] = field(default_factory=list)  # in triage order
    decided: list[ContactView] = field(default_factory=list)  # decided in the last day

    @property
    def overdue(self) -> int:
        return sum(1 for c in self.waiting if c.timer.overdue)


def contacts_triage(*, user: Any) -> TriageBoard:
    """The contacts in triage: waiting for a decision (most urgent first), and those decided
    in the last day (newest decision first). One audit entry names everyone shown."""
    viewer = front_door_viewer(user)
    now = clock.now()
    contacts = list(contacts_in_triage(at=now).select_related("recorded_by").order_by("id"))
    views, accesses = _views(contacts, viewer, now=now)
    board = TriageBoard(
        waiting=sorted((v for v in views if v.decision is None), key=lambda v: v.rank),
        decided=sorted(
            (v for v in views if v.decision is not None),
            key=lambda v: (v.decision.decided_at if v.decision else now, v.id),
            reverse=True,
        ),
    )
    audit_read(
        viewer,
        object_type="contacts",
        accesses=accesses,
        detail={"contacts": [v.id for v in views]},
    )
    return board


def _contact_open(viewer: Viewer, contact_id: int | str, *, act: bool) -> tuple[Contact, bool]:
    """The contact, if the viewer may see it (and act on it, with `act`), and whether they may
    act. Missing and hidden contacts are refused alike (audited); a role with no part at the
    front door is refused outright."""
    roles = FRONT_DOOR_ROLES if act else FRONT_DOOR_ROLES | THROUGH_CHILDREN_ROLES
    _viewer(viewer, roles=roles, what="contact", act=act)
    asked = str(contact_id)[:200]
    try:
        pk = int(contact_id)
    except (TypeError, ValueError):
        pk = 0
    now = clock.now()
    contact = (
        Contact.objects.select_related("recorded_by").filter(pk=pk, recorded_at__lte=now).first()
        if 0 < pk < 2**63
        else None
    )
    if contact is None:
        audit_refused(viewer, object_type="contact", object_id=asked, why="no such contact")
        raise ContactNotFound(f"there is no contact {asked}")
    children = list(
        ContactSubject.objects.filter(contact=contact, role=CHILD).values_list(
            "person_id", flat=True
        )
    )
    if viewer.is_operator or viewer.role == Role.HEAD_OF_SERVICE:
        visible = True
    elif viewer.role == Role.MASH_PRACTITIONER:
        visible = contacts_in_triage(at=now).filter(pk=contact.pk).exists()
    else:  # a team manager: through a child they may see
        visible = any(access_to(viewer, child, at=now) is not None for child in children)
    if not visible:
        audit_refused(
            viewer,
            object_type="contact",
            object_id=str(contact.pk),
            person_ids=[str(c) for c in children],
            why="no need-to-know",
        )
        raise ContactNotFound(f"there is no contact {asked}")
    may_act = viewer.is_operator or (
        viewer.role in FRONT_DOOR_ROLES and bool(viewer.rules and viewer.rules.may_write)
    )
    return contact, may_act


def contact_for_action(*, contact_id: int | str, user: Any) -> None:
    """Refuse (audited, and kept whatever happens next) a user who may not rate or decide this
    contact: a role without the front door (FrontDoorRefused), or a contact they may not see
    (ContactNotFound). Call it before the write, which runs in a transaction of its own."""
    _contact_open(viewer_of(user), contact_id, act=True)


def contact_detail(*, contact_id: int | str, user: Any) -> ContactView:
    """One contact: who raised it, what, when, the people on it, ratings, decision, timer."""
    viewer = viewer_of(user)
    contact, may_act = _contact_open(viewer, contact_id, act=False)
    views, accesses = _views([contact], viewer, now=clock.now())
    view = views[0]
    view.may_act = may_act
    audit_read(viewer, object_type="contact", object_id=str(contact.pk), accesses=accesses)
    return view


# --- what the agencies know about the people on a contact ---------------------------------------


@dataclass(frozen=True)
class AgencyCount:
    agency: str
    agency_name: str
    event_type: str
    count: int
    latest: datetime


@dataclass
class Gathered:
    """The multi-agency picture of one person on a contact."""

    subject: Subject
    flags: list[FlagView] = field(default_factory=list)  # open or acknowledged
    counts: list[AgencyCount] = field(default_factory=list)  # the last 12 months
    recent: list[ChronologyEntry] = field(default_factory=list)  # newest first
    in_last_year: int = 0
    withheld: int = 0
    household: Household | None = None

    @property
    def agencies(self) -> int:
        return len({c.agency for c in self.counts})


def contact_information(*, contact: ContactView, user: Any) -> list[Gathered]:
    """For each person on the contact the user may see: for a child, their flags still open,
    each agency's records of the last 12 months and the household; for an adult, the agencies'
    records. Every read goes through the selector that applies need-to-know and audits it."""
    viewer = viewer_of(user)
    now = clock.now()
    since = now - LOOK_BACK
    names = agency_names()
    out = []
    for subject in contact.subjects:
        if not subject.open:
            continue
        gathered = Gathered(subject)
        chronology = person_chronology(person_id=subject.person_id, user=viewer)
        recent = sorted(
            (e for e in chronology.entries if e.occurred_at >= since),
            key=lambda e: (e.occurred_at, e.agency, e.event_id),
            reverse=True,
        )
        gathered.in_last_year = len(recent)
        gathered.recent = recent[:RECENT_ENTRIES]
        gathered.withheld = chronology.withheld
        tally = Counter((e.agency, e.type) for e in recent)
        latest: dict[tuple[str, str], datetime] = {}
        for e in recent:
            latest.setdefault((e.agency, e.type), e.occurred_at)
        gathered.counts = sorted(
            (
                AgencyCount(agency, names.get(agency, agency), kind, n, latest[(agency, kind)])
                for (agency, kind), n in tally.items()
            ),
            key=lambda c: (c.agency_name.lower(), -c.count, c.event_type),
        )
        if subject.is_child:
            gathered.flags = [
                f for f in flags_list(user=viewer, person=subject.person_id) if f.state != "closed"
            ]
            person = Person.objects.get(pk=subject.person_id)
            gathered.household = household_of(person=person, user=viewer)
        out.append(gathered)
    return out


# --- finding the people for a new contact -----------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A person found by the front door's search, as the search may show them."""

    person_id: int
    name: str
    date_of_birth: date | None
    postcode: str
    record: str
    weight: float
    probability: float
    band: str
    agreed: list[str]
    differed: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "name": self.name,
            "date_of_birth": self.date_of_birth.isoformat() if self.date_of_birth else "",
            "postcode": self.postcode,
            "record": self.record,
            "weight": self.weight,
            "probability": self.probability,
            "band": self.band,
            "agreed": self.agreed,
            "differed": self.differed,
        }


COMPARISON_NAMES = {
    "given_name": "given name",
    "family_name": "family name",
    "date_of_birth": "date of birth",
    "postcode": "postcode",
    "address_line": "address",
    "sex": "sex",
    "nhs_number": "NHS number",
}


def _explained(explanation: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """The fields that agreed and those that differed (a field either side left blank says
    nothing, and is left out), each with how closely, e.g. "given name (variant of the same
    name)"."""
    agreed: list[str] = []
    differed: list[str] = []
    for part in explanation:
        level = str(part.get("level", ""))
        if level == "null":
            continue
        name = COMPARISON_NAMES.get(str(part.get("comparison")), str(part.get("comparison")))
        text = name if level in ("exact", "agree", "same postcode") else f"{name} ({level})"
        (agreed if float(part.get("weight") or 0) > 0 else differed).append(text)
    return agreed, differed


def candidates_find(*, query: Query, user: Any, limit: int = 10) -> list[Candidate]:
    """People who may be the one the front door is looking for, best first. The search applies
    need-to-know and audits the terms and the people found; each is shown by the record that
    matched: name, date of birth, postcode, the score and which fields agreed."""
    viewer = front_door_viewer(user, act=True)
    hits = person_search(query=query, user=viewer, limit=limit)
    versions: dict[int, PersonVersion] = {}
    for version in PersonVersion.objects.filter(record_id__in=[h.record_id for h in hits]).order_by(
        "record_id", "version"
    ):
        versions[version.record_id] = version
    out = []
    for hit in hits:
        v = versions.get(hit.record_id)
        name = " ".join(n for n in (v.given_name, v.family_name) if n) if v else ""
        agreed, differed = _explained(hit.explanation)
        out.append(
            Candidate(
                person_id=hit.person_id,
                name=name or f"Person {hit.person_id}",
                date_of_birth=v.date_of_birth if v else None,
                postcode=v.postcode if v else "",
                record=hit.record,
                weight=hit.weight,
                probability=hit.probability,
                band=hit.band,
                agreed=agreed,
                differed=differed,
            )
        )
    return out


@dataclass(frozen=True)
class NewPerson:
    person_id: int
    name: str
    date_of_birth: date | None
    postcode: str
    already_known: bool  # the new record linked to someone Jigsaw already knew


def front_door_person_new(*, details: Particulars, user: Any) -> NewPerson:
    """Record someone the front door searched for and did not find, as the local authority's
    own record (linked, as any agency's would be, to someone already known if it matches)."""
    viewer = front_door_viewer(user, act=True)
    if not (details.given_name or details.family_name):
        raise CaseworkError("name: a new person needs a name")
    with transaction.atomic():
        person = person_new(details, by=viewer.user)
        records = Link.objects.filter(person=person).values("record_id").distinct().count()
        already_known = records > 1
        audit_record(
            action=AuditEntry.Action.WRITE,
            object_type="person",
            object_id=str(person.pk),
            person_ids=[str(person.pk)],
            detail={"change": "recorded at the front door", "already_known": already_known},
            **({"user": viewer.user} if viewer.user is not None else {"username": "command line"}),
        )
    name = " ".join(n for n in (details.given_name, details.family_name) if n)
    return NewPerson(person.pk, name, details.date_of_birth, details.postcode, already_known)


# --- writes ------------------------------------------------------------------------------------


def contact_create(
    *,
    user: Any,
    referrer: Referrer,
    received_at: datetime,
    summary: str,
    child_id: int,
    adults: Sequence[tuple[int, str]] = (),
) -> Contact:
    """Record a contact about a child (and any adults, each with their role) at the front door.
    The people must be ones the user found by searching (the form sees to that); from now the
    contact puts them in triage, so the front door's need-to-know covers them."""
    viewer = front_door_viewer(user, act=True)
    if received_at > clock.now():
        raise CaseworkError("received: a contact cannot be received in the future")
    for _, role in adults:
        if role not in ADULT_ROLES:
            raise CaseworkError(f"role: choose one of {', '.join(ADULT_ROLES)}")
    wanted = [child_id, *(pid for pid, _ in adults)]
    if len(set(wanted)) != len(wanted):
        raise CaseworkError("persons: each person can be on a contact once")
    people = Person.objects.in_bulk(wanted)
    if len(people) != len(wanted):
        raise CaseworkError("persons: someone on the contact is not known to Jigsaw")
    return contact_record(
        summary=summary,
        persons=[(people[child_id], CHILD), *((people[pid], role) for pid, role in adults)],
        received_at=received_at,
        source_agency=referrer.agency,
        source_name=referrer.name,
        source_role=referrer.role,
        source_contact=referrer.how_to_contact,
        by=viewer.user,
    )


def _latest_rating(contact: Contact) -> ContactRating | None:
    return (
        ContactRating.objects.filter(contact=contact)
        .select_related("rated_by")
        .order_by("-rated_at", "-id")
        .first()
    )


def _decided_already(contact: Contact) -> ContactStale | None:
    decided = ContactDecision.objects.filter(contact=contact).select_related("decided_by").first()
    if decided is None:
        return None
    return ContactStale(
        f"{_staff_name(decided.decided_by)} decided "
        f"\u201c{ContactDecision.Decision(decided.decision).label}\u201d at "
        f"{when_text(decided.decided_at, now=clock.now())}, after this page was shown. "
        "Only one decision can be recorded on a contact: yours has not been."
    )


def contact_rate(
    *, contact_id: int | str, rag: str, reason: str, seen: int | None, user: Any
) -> ContactRating:
    """A RAG rating of the contact, with the reason; it supersedes any earlier one. `seen` is
    the latest rating the page showed: if someone has rated since, nothing is recorded and the
    user is told who rated it what, so a newer rating is never overwritten unseen."""
    viewer = viewer_of(user)
    if rag not in ContactRating.Rag.values:
        raise CaseworkError(f"rag: choose one of {', '.join(ContactRating.Rag.values)}")
    if not reason.strip():
        raise CaseworkError("reason: give the reason for the rating")
    contact, _ = _contact_open(viewer, contact_id, act=True)  # refusals audited, kept
    with transaction.atomic():
        # Held until the end of the transaction, so two ratings cannot cross.
        Contact.objects.select_for_update().filter(pk=contact.pk).first()
        decided = _decided_already(contact)
        if decided is not None:
            raise decided
        latest = _latest_rating(contact)
        if latest is not None and latest.pk != seen:
            raise ContactStale(
                f"{_staff_name(latest.rated_by)} rated this contact "
                f"{latest.rag.capitalize()} at {when_text(latest.rated_at, now=clock.now())}, "
                "after this page was shown. Read their reason below, then rate it again if "
                "you still disagree."
            )
        now = clock.now()
        rating = ContactRating.objects.create(
            contact=contact,
            rag=rag,
            reason=reason.strip(),
            rated_at=now,
            rated_by=viewer.user,
        )
        audit_record(
            action=AuditEntry.Action.WRITE,
            object_type="contact",
            object_id=str(contact.pk),
            person_ids=[
                str(p) for p in contact.subjects.order_by("id").values_list("person_id", flat=True)
            ],
            detail={"change": "rated", "rag": rag, "supersedes": latest.pk if latest else None},
            **({"user": viewer.user} if viewer.user is not None else {"username": "command line"}),
        )
    return rating


def contact_decision_record(
    *, contact_id: int | str, decision: str, reason: str, user: Any
) -> ContactDecision:
    """The front door's decision on a contact (once): refused, saying who decided what and
    when, if it has been decided already."""
    viewer = viewer_of(user)
    contact, _ = _contact_open(viewer, contact_id, act=True)  # refusals audited, kept
    with transaction.atomic():
        Contact.objects.select_for_update().filter(pk=contact.pk).first()
        decided = _decided_already(contact)
        if decided is not None:
            raise decided
        try:
            with transaction.atomic():
                row: ContactDecision = contact_decide(
                    contact=contact, decision=decision, reason=reason, by=viewer.user
                )
        except IntegrityError:  # decided at the same moment by someone else
            stale = _decided_already(contact)
            if stale is None:
                raise
            raise stale from None
    return row
