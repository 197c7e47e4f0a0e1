"""Reads from the record store, always "as known on" a moment (default: the clock's now)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Max

from jigsaw.core.clock import clock
from jigsaw.records.hooks import Related, related_records
from jigsaw.records.models import (
    Agency,
    AgencyVersion,
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
    event_ids = set(
        EventSubject.objects.filter(record_id__in=wanted).values_list(
            "event_version__event_id", flat=True
        )
    )
    latest: dict[int, EventVersion] = {}
    counts: dict[int, int] = {}
    versions = (
        EventVersion.objects.filter(event_id__in=event_ids, recorded_at__lte=as_of)
        .select_related("event__agency")
        .order_by("event_id", "recorded_at", "version")
    )
    for version in versions:
        latest[version.event_id] = version
        counts[version.event_id] = counts.get(version.event_id, 0) + 1
    subjects: dict[int, list[tuple[int, str, str]]] = {}
    for version_id, record_id, local_id, role in EventSubject.objects.filter(
        event_version_id__in=[v.pk for v in latest.values()]
    ).values_list("event_version_id", "record_id", "record__local_id", "role"):
        subjects.setdefault(version_id, []).append((record_id, local_id, role))
    entries = []
    for event_pk, version in latest.items():
        named = subjects.get(version.pk, [])
        mine = [(local_id, role) for record_id, local_id, role in named if record_id in wanted]
        if not mine:
            continue
        entries.append(
            ChronologyEntry(
                agency=version.event.agency.code,
                event_id=version.event.event_id,
                version=version.version,
                versions_known=counts[event_pk],
                type=version.type,
                occurred_at=version.occurred_at,
                recorded_at=version.recorded_at,
                role=mine[0][1],
                details=version.details,
                narrative=version.narrative,
                author_name=version.author_name,
                author_role=version.author_role,
                subjects=[(local_id, role) for _, local_id, role in named],
                record=f"{version.event.agency.code}:{mine[0][0]}",
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
