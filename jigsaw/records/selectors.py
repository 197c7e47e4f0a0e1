"""Reads from the record store, always "as known on" a moment (default: the clock's now).

The selectors that take a viewer (`viewer_for_record_pages`, `agency_person_page`,
`chronology_for`) are the ones pages and commands call: they apply need-to-know
(jigsaw.access.need_to_know) and write the audit entry. The others read the store as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, Max

from jigsaw.access.audit import audit_record
from jigsaw.access.models import AuditEntry
from jigsaw.access.need_to_know import (
    CLI_USERNAME,
    Access,
    Basis,
    Extent,
    NoAccess,
    Viewer,
    access_to,
    audit_read,
    audit_refused,
    person_scope,
    require_access,
    viewer_of,
)
from jigsaw.access.roles import Scope
from jigsaw.core.bulk import aware_datetime, in_clause, table_name
from jigsaw.core.clock import clock
from jigsaw.identity.models import Link
from jigsaw.records.hooks import Related, related_records
from jigsaw.records.models import (
    Agency,
    AgencyVersion,
    Event,
    EventSubject,
    EventVersion,
    PersonRecord,
    PersonVersion,
)


class RecordNotFound(LookupError):
    pass


@dataclass(frozen=True)
class ChronologyEntry:
    agency: str
    event_id: str
    version: int
    versions_known: int  # >1: the event was corrected; this is the latest correction known
    type: str
    occurred_at: datetime
    recorded_at: datetime
    role: str
    details: dict[str, Any]
    narrative: str
    author_name: str
    author_role: str
    subjects: list[tuple[str, str]] = field(default_factory=list)  # (local_id, role)
    record: str = ""  # AGENCY:LOCAL_ID of the record (of those asked about) the event names
    stored_id: int = 0  # the event's row in the store (what marks on it point to)

    def as_dict(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "event_id": self.event_id,
            "version": self.version,
            "versions_known": self.versions_known,
            "type": self.type,
            "occurred_at": self.occurred_at.isoformat(),
            "recorded_at": self.recorded_at.isoformat(),
            "role": self.role,
            "details": self.details,
            "narrative": self.narrative,
            "author": {"name": self.author_name, "role": self.author_role},
            "subjects": [{"local_id": lid, "role": role} for lid, role in self.subjects],
            "record": self.record,
        }


def parse_record_ref(ref: str) -> tuple[str, str]:
    """`AGENCY:LOCAL_ID` into its parts (a local id may itself contain colons)."""
    agency, sep, local_id = ref.partition(":")
    if not sep or not agency or not local_id:
        raise ValueError(f"'{ref}' is not of the form AGENCY:LOCAL_ID")
    return agency, local_id


def person_record_get(*, agency: str, local_id: str) -> PersonRecord:
    try:
        return PersonRecord.objects.select_related("agency").get(
            agency__code=agency, local_id=local_id
        )
    except PersonRecord.DoesNotExist:
        raise RecordNotFound(f"no person record '{local_id}' from agency '{agency}'") from None


def person_version_as_of(
    *, record: PersonRecord, as_of: datetime | None = None
) -> PersonVersion | None:
    """What the agency had said about the person by `as_of`: its latest version recorded by then."""
    as_of = as_of or clock.now()
    return (
        PersonVersion.objects.filter(record=record, recorded_at__lte=as_of)
        .order_by("-recorded_at", "-version")
        .first()
    )


def records_chronology(
    *, record_ids: list[int], as_of: datetime | None = None
) -> list[ChronologyEntry]:
    """Every event about any of the records, in the order things happened, as known on `as_of`.

    A correction recorded after `as_of` is not seen; one recorded before replaces the original.
    An event whose latest known version no longer names the record is left out.
    """
    as_of = as_of or clock.now()
    wanted = set(record_ids)
    if not wanted:
        return []
    # Two plain queries, not the ORM: a child's chronology is hundreds of rows on every view,
    # and building model objects and converting each column cost more than reading them.
    named, param = in_clause("s.record_id", sorted(wanted))
    events = (
        f"SELECT w.event_id FROM {table_name(EventSubject)} s "
        f"JOIN {table_name(EventVersion)} w ON w.id = s.event_version_id WHERE {named}"
    )
    known = connection.ops.adapt_datetimefield_value(as_of)
    with connection.cursor() as cursor:
        cursor.execute(
            # Instants as text: parsed in Python far faster than the drivers' own conversion.
            "SELECT v.event_id, v.id, v.version, v.type, CAST(v.occurred_at AS TEXT), "
            "CAST(v.recorded_at AS TEXT), "
            "CAST(v.details AS TEXT), v.narrative, v.author_name, v.author_role, a.code, "
            f"e.event_id FROM {table_name(EventVersion)} v "
            f"JOIN {table_name(Event)} e ON e.id = v.event_id "
            f"JOIN {table_name(Agency)} a ON a.id = e.agency_id "
            f"WHERE v.event_id IN ({events}) AND v.recorded_at <= %s "
            "ORDER BY v.event_id, v.recorded_at, v.version",
            [param, known],
        )
        latest: dict[int, tuple[Any, ...]] = {}
        counts: dict[int, int] = {}
        for row in cursor.fetchall():
            latest[row[0]] = row
            counts[row[0]] = counts.get(row[0], 0) + 1
        chosen, chosen_param = in_clause("s.event_version_id", [row[1] for row in latest.values()])
        cursor.execute(
            f"SELECT s.event_version_id, s.record_id, r.local_id, s.role "
            f"FROM {table_name(EventSubject)} s "
            f"JOIN {table_name(PersonRecord)} r ON r.id = s.record_id "
            f"WHERE {chosen} ORDER BY s.id",
            [chosen_param],
        )
        subjects: dict[int, list[tuple[int, str, str]]] = {}
        for version_id, record_id, local_id, role in cursor.fetchall():
            subjects.setdefault(version_id, []).append((record_id, local_id, role))
    entries = []
    for event_pk, row in latest.items():
        (_, version_pk, version, kind, occurred, recorded, details, narrative, author_name,
         author_role, agency, event_id) = row  # fmt: skip
        named_here = subjects.get(version_pk, [])
        mine = [(local_id, role) for record_id, local_id, role in named_here if record_id in wanted]
        if not mine:
            continue
        entries.append(
            ChronologyEntry(
                agency=agency,
                event_id=event_id,
                version=version,
                versions_known=counts[event_pk],
                type=kind,
                occurred_at=aware_datetime(occurred),
                recorded_at=aware_datetime(recorded),
                role=mine[0][1],
                details=orjson.loads(details) if details else {},
                narrative=narrative,
                author_name=author_name,
                author_role=author_role,
                subjects=[(local_id, role) for _, local_id, role in named_here],
                record=f"{agency}:{mine[0][0]}",
                stored_id=event_pk,
            )
        )
    entries.sort(key=lambda e: (e.occurred_at, e.recorded_at, e.agency, e.event_id))
    return entries


def record_chronology(
    *, agency: str, local_id: str, as_of: datetime | None = None
) -> list[ChronologyEntry]:
    """The events about one agency's record and every record known (by `as_of`) to be the same
    person, from whichever agency."""
    return person_chronology_of_record(agency=agency, local_id=local_id, as_of=as_of)[1]


def person_chronology_of_record(
    *, agency: str, local_id: str, as_of: datetime | None = None
) -> tuple[Related, list[ChronologyEntry]]:
    """The records one person with this record as known on `as_of`, and their chronology."""
    as_of = as_of or clock.now()
    record = person_record_get(agency=agency, local_id=local_id)
    related = related_records(record_id=record.pk, as_of=as_of)
    return related, records_chronology(record_ids=related.record_ids, as_of=as_of)


@dataclass(frozen=True)
class AgencySummary:
    code: str
    name: str
    sector: str
    person_records: int
    events: int


def agency_summaries(*, as_of: datetime | None = None) -> list[AgencySummary]:
    """Each agency with how many person records and events it had sent by `as_of`."""
    as_of = as_of or clock.now()
    names: dict[int, tuple[str, str]] = {}
    for agency_id, name, sector in (
        AgencyVersion.objects.filter(recorded_at__lte=as_of)
        .order_by("agency_id", "recorded_at", "version")
        .values_list("agency_id", "name", "sector")
    ):
        names[agency_id] = (name, sector)
    persons = dict(
        PersonVersion.objects.filter(recorded_at__lte=as_of)
        .values("record__agency_id")
        .annotate(n=Count("record_id", distinct=True))
        .values_list("record__agency_id", "n")
    )
    events = dict(
        EventVersion.objects.filter(recorded_at__lte=as_of)
        .values("event__agency_id")
        .annotate(n=Count("event_id", distinct=True))
        .values_list("event__agency_id", "n")
    )
    out = []
    for agency in Agency.objects.order_by("code"):
        if agency.pk not in names:
            continue
        name, sector = names[agency.pk]
        out.append(
            AgencySummary(
                agency.code, name, sector, persons.get(agency.pk, 0), events.get(agency.pk, 0)
            )
        )
    return out


def latest_recorded_at() -> datetime | None:
    value: datetime | None = EventVersion.objects.aggregate(m=Max("recorded_at"))["m"]
    return value


def agency_get(*, code: str) -> AgencySummary | None:
    return next((a for a in agency_summaries() if a.code == code), None)


def agency_person_versions(*, code: str, as_of: datetime | None = None) -> list[PersonVersion]:
    """The latest known version of each of an agency's person records, by local id."""
    as_of = as_of or clock.now()
    versions = (
        PersonVersion.objects.filter(record__agency__code=code, recorded_at__lte=as_of)
        .select_related("record")
        .order_by("record__local_id", "recorded_at", "version")
    )
    latest: dict[int, PersonVersion] = {}
    for version in versions.iterator(chunk_size=5000):
        latest[version.record_id] = version
    return list(latest.values())


# --- who is which person ---------------------------------------------------------------------


def record_persons(
    *, at: datetime, record_ids: Iterable[int] | None = None, agency: str | None = None
) -> dict[int, int]:
    """record id → person id: each record's latest link (by id) known by `at`, for the records
    given or all of an agency's. A record not linked to anyone by then is absent."""
    links = Link.objects.filter(known_from__lte=at)
    if record_ids is not None:
        links = links.filter(record_id__in=list(record_ids))
    if agency is not None:
        links = links.filter(record__agency__code=agency)
    out: dict[int, int] = {}
    for record_id, person_id in links.order_by("record_id", "id").values_list(
        "record_id", "person_id"
    ):
        out[record_id] = person_id  # the latest link of each record wins
    return out


def agency_person_records(
    *,
    code: str,
    person_ids: set[int] | None,
    unlinked: bool,
    at: datetime | None = None,
) -> list[tuple[PersonVersion, int | None]]:
    """An agency's person records (latest version by `at`, by local id) with the person each
    is linked to: those of `person_ids` (None: every person), and with `unlinked` those linked
    to no one yet."""
    at = at or clock.now()
    persons = record_persons(agency=code, at=at)
    out: list[tuple[PersonVersion, int | None]] = []
    for version in agency_person_versions(code=code, as_of=at):
        person_id = persons.get(version.record_id)
        if person_id is None:
            if unlinked:
                out.append((version, None))
        elif person_ids is None or person_id in person_ids:
            out.append((version, person_id))
    return out


# --- what a member of staff may see, audited --------------------------------------------------

# Roles kept off the record pages altogether: they see no case content (system administrators)
# or only pseudonymised data (analysts).
NO_RECORD_PAGES = frozenset({Scope.NONE, Scope.PSEUDONYMISED})


def viewer_for_record_pages(user: Any) -> Viewer:
    """The acting user as a viewer of the agency and chronology pages. Raises PermissionDenied
    (403) for roles that may not use them at all: unlike a record, the pages are no secret."""
    viewer = viewer_of(user)
    if viewer.scope in NO_RECORD_PAGES:
        raise PermissionDenied(f"the {viewer.role} role does not see agency records")
    return viewer


def unlinked_access(viewer: Viewer, agency: str) -> Access | None:
    """What the viewer may see of an agency's record that no person is linked to yet: nothing
    ties it to a child they work with, so only those who see everyone (service-wide roles,
    inspectors, the operator) and that agency's own staff see it."""
    if viewer.rules is None or viewer.scope in (Scope.SERVICE, Scope.ALL_READ_ONLY):
        return access_to(viewer, 0)  # the access every person gets: no person behind it
    if viewer.scope is Scope.AGENCY and viewer.agency_code == agency:
        return Access(
            0,
            Basis.INVOLVEMENT,
            extent=Extent.AGENCY,
            agency_code=agency,
            restricted=viewer.rules.sees_restricted,
        )
    return None


def _shows_agency_records(access: Access, agency: str) -> bool:
    """An agency's own staff see other agencies' records of a person only as the shared
    summary, never the record itself."""
    return access.extent is Extent.FULL or access.agency_code == agency


def _audit_shown(
    viewer: Viewer,
    *,
    object_type: str,
    object_id: str,
    accesses: list[Access],
    record_ids: list[int],
    basis: Access | None,
    detail: dict[str, Any],
) -> None:
    """One read entry for what a page showed. Records linked to no one carry no person whose
    access gives the basis: then `basis` (the unlinked records' access) does."""
    if accesses or basis is None:
        audit_read(
            viewer,
            object_type=object_type,
            object_id=object_id,
            accesses=accesses,
            record_ids=record_ids,
            detail=detail,
        )
        return
    who: dict[str, Any] = (
        {"user": viewer.user} if viewer.user is not None else {"username": CLI_USERNAME}
    )
    audit_record(
        action=AuditEntry.Action.READ,
        object_type=object_type,
        object_id=object_id,
        record_ids=record_ids,
        basis=basis.basis.value,
        detail=detail,
        **who,
    )


def agency_person_page(
    viewer: Viewer, *, code: str, page: str | int | None, per_page: int
) -> tuple[Page[PersonVersion], bool]:
    """One page of the agency's person records the viewer may see, and whether the list is cut
    down to them (False: they see every record). Audits the rows shown."""
    now = clock.now()
    scope = person_scope(viewer, at=now)
    if scope.ids is None:
        person_ids = None
    else:
        person_ids = {
            pid for pid, access in scope.people.items() if _shows_agency_records(access, code)
        }
    unlinked = unlinked_access(viewer, code)
    rows = agency_person_records(
        code=code, person_ids=person_ids, unlinked=unlinked is not None, at=now
    )
    person_of = {version.record_id: person_id for version, person_id in rows}
    shown = Paginator([version for version, _ in rows], per_page).get_page(page)
    accesses: dict[int, Access] = {}
    for version in shown.object_list:
        person_id = person_of[version.record_id]
        if person_id is not None and person_id not in accesses:
            access = scope.get(person_id)
            if access is not None:
                accesses[person_id] = access
    _audit_shown(
        viewer,
        object_type="agency_person_records",
        object_id=code,
        accesses=list(accesses.values()),
        record_ids=[version.record_id for version in shown.object_list],
        basis=unlinked,
        detail={"page": shown.number, "rows": len(shown.object_list)},
    )
    return shown, person_ids is not None


@dataclass(frozen=True)
class PersonChronology:
    """A record's chronology as one viewer may see it."""

    record: PersonRecord
    version: PersonVersion | None  # what the agency said of the person by `as_of`
    related: Related  # the records of the person as known on `as_of`
    access: Access
    record_ids: list[int]  # the records whose events were looked at (this one included)
    entries: list[ChronologyEntry]  # those shown
    restricted_withheld: int  # entries in a restricted category the viewer's role cannot see

    @property
    def own_agency_only(self) -> bool:
        """Only the viewer's agency's entries are shown (others' are never counted or shown)."""
        return self.access.extent is Extent.AGENCY


@dataclass(frozen=True)
class OpenRecord:
    """An agency record the viewer may open, with the person behind it (None: linked to no one
    yet) and what the viewer may see of them."""

    record: PersonRecord
    person_id: int | None
    access: Access


def person_record_open(viewer: Viewer, *, agency: str, local_id: str) -> OpenRecord:
    """The record, if the viewer may open it. One they may not raises RecordNotFound, as a
    missing one does, and the refusal is audited. Need-to-know is decided on who the record is
    now, whatever date a chronology is asked as of."""
    ref = f"{agency}:{local_id}"
    record = person_record_get(agency=agency, local_id=local_id)
    person_id = record_persons(record_ids=[record.pk], at=clock.now()).get(record.pk)
    access: Access | None
    if person_id is None:
        access = unlinked_access(viewer, record.agency.code)
    else:
        try:
            access = require_access(viewer, person_id, object_type="person_record", object_id=ref)
        except NoAccess:
            raise RecordNotFound(f"no person record '{local_id}' from agency '{agency}'") from None
    if access is None or not _shows_agency_records(access, record.agency.code):
        audit_refused(
            viewer,
            object_type="person_record",
            object_id=ref,
            person_ids=[str(person_id)] if person_id is not None else [],
            why="no need-to-know" if access is None else "another agency's record",
        )
        raise RecordNotFound(f"no person record '{local_id}' from agency '{agency}'")
    return OpenRecord(record, person_id, access)


def chronology_for(
    viewer: Viewer, *, agency: str, local_id: str, as_of: datetime | None = None
) -> PersonChronology:
    """The chronology of the person an agency record belongs to, as known on `as_of`, cut down
    to what the viewer may see, and audited. Raises RecordNotFound as `person_record_open`."""
    now = clock.now()
    moment = as_of or now
    ref = f"{agency}:{local_id}"
    opened = person_record_open(viewer, agency=agency, local_id=local_id)
    record, person_id, access = opened.record, opened.person_id, opened.access

    related = related_records(record_id=record.pk, as_of=moment)
    record_ids, others = _records_open_to(viewer, access, record, related.record_ids, now)
    accesses = ([access] if person_id is not None else []) + others
    entries = records_chronology(record_ids=record_ids, as_of=moment)
    shown = [e for e in entries if access.sees_event(agency=e.agency, details=e.details)]
    _audit_shown(
        viewer,
        object_type="chronology",
        object_id=ref,
        accesses=accesses,
        record_ids=record_ids,
        basis=access,
        detail={
            "as_of": as_of.isoformat() if as_of else None,
            "entries": len(shown),
            "withheld": len(entries) - len(shown),
        },
    )
    return PersonChronology(
        record=record,
        version=person_version_as_of(record=record, as_of=moment),
        related=related,
        access=access,
        record_ids=record_ids,
        entries=shown,
        # Other agencies' events are left out before they are read, so all withheld here are
        # restricted ones.
        restricted_withheld=len(entries) - len(shown),
    )


def _records_open_to(
    viewer: Viewer, access: Access, record: PersonRecord, related: list[int], now: datetime
) -> tuple[list[int], list[Access]]:
    """Of the records linked to this one as known then, those the viewer may see now, and the
    accesses to other people that allow some of them.

    An agency's own staff get their agency's records only. A record that was this person's then
    but is someone else's now (a link since undone) is shown only if that person is open too.
    """
    agencies = dict(PersonRecord.objects.filter(pk__in=related).values_list("pk", "agency__code"))
    candidates = [r for r in related if _shows_agency_records(access, agencies.get(r, ""))]
    if viewer.rules is None or viewer.scope in (Scope.SERVICE, Scope.ALL_READ_ONLY):
        return candidates, []
    current = record_persons(record_ids=candidates, at=now)
    others: dict[int, Access | None] = {}
    out = []
    for record_id in candidates:
        person_id = current.get(record_id)
        if record_id == record.pk or person_id == access.person_id:
            out.append(record_id)
            continue
        if person_id is None:
            continue
        if person_id not in others:
            others[person_id] = access_to(viewer, person_id, at=now)
        other = others[person_id]
        if other is not None and _shows_agency_records(other, agencies.get(record_id, "")):
            out.append(record_id)
    return out, [a for a in others.values() if a is not None]
