"""Reads of casework that need-to-know itself relies on (allocation and triage). They return
ids, not case content, so they take no acting user: the selectors that show content do."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Exists, Max, OuterRef, Q, QuerySet

from jigsaw.casework.models import Allocation, Contact, ContactDecision
from jigsaw.identity.linking import current_links
from jigsaw.identity.models import Decision, Person
from jigsaw.records.models import Agency, AgencyVersion, EventSubject

# A decided contact stays open to the front door for a day, to finish the write-up.
TRIAGE_AFTER_DECISION = timedelta(hours=24)


def current_allocations(*, at: datetime) -> QuerySet[Allocation]:
    """Each child's allocation as known at `at`: the latest started and recorded row."""
    known = Allocation.objects.filter(started_at__lte=at, recorded_at__lte=at)
    later = known.filter(person=OuterRef("person")).filter(
        Q(started_at__gt=OuterRef("started_at"))
        | Q(started_at=OuterRef("started_at"), id__gt=OuterRef("id"))
    )
    return known.exclude(Exists(later))


def merged_into(*, at: datetime) -> dict[int, int]:
    """person → the person now holding their records, for persons merged away (and not
    unmerged) by `at`. A case follows its child's records: if the child's person is merged
    into a duplicate, the worker holding the case still holds it."""
    undone = Decision.objects.filter(kind=Decision.Kind.UNMERGE, made_at__lte=at).values(
        "undoes_id"
    )
    step = dict(
        Decision.objects.filter(kind=Decision.Kind.MERGE, made_at__lte=at)
        .exclude(pk__in=undone)
        .order_by("id")
        .values_list("person_a_id", "person_b_id")
    )
    out: dict[int, int] = {}
    for start in step:
        end, seen = step[start], {start}
        while end in step and end not in seen:  # merged again since
            seen.add(end)
            end = step[end]
        out[start] = end
    return out


def allocation_of(*, person_id: int, at: datetime) -> Allocation | None:
    """The case holding this child at `at`: their own, or that of a person merged into them."""
    absorbed = [p for p, into in merged_into(at=at).items() if into == person_id]
    row = (
        current_allocations(at=at)
        .filter(person_id__in=[person_id, *absorbed])
        .select_related("team", "worker")
        .order_by("-started_at", "-id")
        .first()
    )
    return row if row is not None and row.team_id is not None else None


def persons_allocated_to(
    *, team_ids: Iterable[int] = (), worker_id: int | None = None, at: datetime
) -> set[int]:
    """Children whose case is held, at `at`, by one of the teams or by the worker."""
    teams = list(team_ids)
    if not teams and worker_id is None:
        return set()
    held = Q(team_id__in=teams) if teams else Q(pk__in=[])
    if worker_id is not None:
        held |= Q(worker_id=worker_id)
    held_persons = set(
        current_allocations(at=at)
        .filter(held, team__isnull=False)
        .values_list("person_id", flat=True)
    )
    moved = merged_into(at=at)
    return {moved.get(p, p) for p in held_persons}


def persons_held(
    *, worker_id: int, team_id: int | None, managed_team_ids: Iterable[int], at: datetime
) -> tuple[set[int], set[int], set[int]]:
    """The children whose case is held at `at` by the worker, by their own team, and by the
    teams they manage: `persons_allocated_to` for each of the three, in one read."""
    managed = set(managed_team_ids)
    teams = managed | ({team_id} if team_id is not None else set())
    rows = (
        current_allocations(at=at)
        .filter(Q(worker_id=worker_id) | Q(team_id__in=teams), team__isnull=False)
        .values_list("person_id", "team_id", "worker_id")
    )
    moved = merged_into(at=at)
    mine: set[int] = set()
    own: set[int] = set()
    theirs: set[int] = set()
    for person, team, worker in rows:
        person = moved.get(person, person)
        if worker == worker_id:
            mine.add(person)
        if team is not None and team == team_id:
            own.add(person)
        if team in managed:
            theirs.add(person)
    return mine, own, theirs


def contacts_in_triage(*, at: datetime) -> QuerySet[Contact]:
    """Contacts received by `at` with no decision, or decided within the last day."""
    settled = ContactDecision.objects.filter(
        contact=OuterRef("pk"), recorded_at__lte=at - TRIAGE_AFTER_DECISION
    )
    return Contact.objects.filter(recorded_at__lte=at).exclude(Exists(settled))


def persons_in_triage(*, at: datetime) -> set[int]:
    return set(
        contacts_in_triage(at=at)
        .filter(subjects__recorded_at__lte=at)
        .values_list("subjects__person_id", flat=True)
    )


# --- the demo's starting casework ------------------------------------------------------------


def demo_casework_done() -> bool:
    return Allocation.objects.exists() or Contact.objects.exists()


def demo_children_by_recent_work() -> list[Person]:
    """Children social care has named in its events, most recently worked with first."""
    social_care = AgencyVersion.objects.filter(sector="social_care").values("agency_id")
    latest = (
        EventSubject.objects.filter(role="child", event_version__event__agency_id__in=social_care)
        .values("record_id")
        .annotate(last=Max("event_version__occurred_at"))
    )
    by_record = {row["record_id"]: row["last"] for row in latest}
    links = current_links(by_record)
    last_seen: dict[int, datetime] = {}
    for record_id, when in by_record.items():
        if record_id in links:
            person = links[record_id].person
            last_seen[person] = max(when, last_seen.get(person, when))
    order = sorted(last_seen, key=lambda p: (-last_seen[p].timestamp(), p))
    people = Person.objects.in_bulk(order)
    return [people[p] for p in order]


def demo_hospital() -> str:
    """The code of the first hospital (a health agency sending A&E attendances), or ''."""
    code = (
        Agency.objects.filter(
            pk__in=AgencyVersion.objects.filter(sector="health").values("agency_id"),
            events__versions__type="ae_attendance",
        )
        .distinct()
        .order_by("code")
        .values_list("code", flat=True)
        .first()
    )
    return code or ""
