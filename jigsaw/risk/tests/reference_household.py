"""Households worked out the slow, obvious way, to check the shared builder against: one child
and one moment at a time, each row read afresh with the ORM (this was identity's builder before
it worked on preloaded rows).

It follows the same rules as `jigsaw.identity.households`, written independently: a member's
records are taken in record order (their name is their first record's), their sources are
ordered before their relationship is read, an address source was recorded when the version that
placed them there was, and a household change is its own event.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from jigsaw.core.dates import uk_date
from jigsaw.identity.households import (
    ADULT_AGE,
    ADULT_RELATIONSHIPS,
    Address,
    address_normalise,
)
from jigsaw.identity.models import Link
from jigsaw.records.models import AgencyVersion, EventSubject, EventVersion, PersonVersion
from jigsaw.records.presenters import record_ref
from jigsaw.risk.engine import EvaluationContext, Event, HouseholdMember, HouseholdSource
from jigsaw.risk.loading import Snapshot


class _Source:
    def __init__(self, **kw: Any) -> None:
        self.agency: str = kw["agency"]
        self.sector: str = kw["sector"]
        self.record: str = kw.get("record", "")
        self.kind: str = kw["kind"]
        self.since: date | None = kw["since"]
        self.relationship: str = kw.get("relationship", "")
        self.reference: str = kw["reference"]
        self.recorded_at: datetime = kw["recorded_at"]


class _Member:
    def __init__(self, **kw: Any) -> None:
        self.person_id: int | None = kw["person_id"]
        self.name: str = kw["name"]
        self.record_ids: list[int] = kw["record_ids"]
        self.sources: list[_Source] = kw["sources"]
        self.adult: bool = kw["adult"]
        self.known_to_social_care: bool = kw["known_to_social_care"]
        self.relationship = next((s.relationship for s in self.sources if s.relationship), "")
        dates = [s.since for s in self.sources if s.since]
        self.since = min(dates) if dates else None


def reference_context(snapshot: Snapshot, person: int, at: datetime) -> EvaluationContext:
    child = snapshot.child(person, at)
    events = snapshot.events(snapshot.records_of(person, at), at)
    members = reference_household(snapshot, person, at)
    return EvaluationContext(child=child, now=at, events=events, household=members)


def reference_household(snapshot: Snapshot, person: int, at: datetime) -> list[HouseholdMember]:
    agencies = snapshot._agencies
    out = []
    for m in reference_members(person, at):
        sources = [
            HouseholdSource(
                s.agency,
                agencies.get(s.agency, (s.agency, ""))[0],
                s.sector,
                s.kind,
                s.reference,
                s.since,
                s.recorded_at,
            )
            for s in m.sources
        ]
        ids = m.record_ids
        out.append(
            HouseholdMember(
                person_id=m.person_id
                if m.person_id is not None
                else f"record:{ids[0]}"
                if ids
                else f"member:{m.name}",
                name=m.name,
                relationship=m.relationship,
                adult=m.adult,
                since=m.since,
                sources=tuple(sources),
                known_to_social_care=m.known_to_social_care,
                events=tuple(_member_events(ids, at, agencies)),
            )
        )
    return out


def reference_members(person_id: int, as_of: datetime) -> list[_Member]:
    sectors = _sectors(as_of)
    child_records = _person_records(person_id, as_of)
    on = uk_date(as_of)
    addresses: set[Address] = set()
    for versions in _versions_as_of(child_records, as_of).values():
        residence = _current(versions)
        if residence is not None and residence[1] <= on:
            addresses.add(residence[0])
    sources: dict[int, list[_Source]] = defaultdict(list)
    if addresses:
        near = (
            set(
                PersonVersion.objects.filter(
                    postcode__in={a.postcode for a in addresses}, recorded_at__lte=as_of
                ).values_list("record_id", flat=True)
            )
            - child_records
        )
        for record_id, versions in _versions_as_of(near, as_of).items():
            residence = _current(versions)
            if residence is not None and residence[0] in addresses:
                agency = versions[0].record.agency.code
                local = versions[0].record.local_id
                sources[record_id].append(
                    _Source(
                        agency=agency,
                        sector=sectors.get(agency, ""),
                        record=record_ref(agency, local),
                        kind="address",
                        since=residence[1],
                        reference=local,
                        recorded_at=residence[2],
                    )
                )
    changes: dict[int, _Source | None] = {}
    for version, member in _household_changes(child_records, as_of):
        agency = version.event.agency.code
        change = str(version.details.get("change", ""))
        if change == "joined":
            changes[member] = _Source(
                agency=agency,
                sector=sectors.get(agency, ""),
                kind="household_change",
                since=uk_date(version.occurred_at),
                relationship=str(version.details.get("relationship") or ""),
                reference=version.event.event_id,
                recorded_at=version.recorded_at,
            )
        elif change == "left":
            changes[member] = None
    joined = {r: s for r, s in changes.items() if s is not None}
    member_records = set(sources) | set(joined)
    left = {r for r, s in changes.items() if s is None}
    member_versions = _versions_as_of(member_records, as_of)
    for record_id, source in joined.items():
        held = member_versions.get(record_id)
        if held:
            source.record = record_ref(held[0].record.agency.code, held[0].record.local_id)
        sources[record_id].append(source)
    persons = _links(member_records, as_of)
    grouped: dict[Any, list[int]] = defaultdict(list)
    for record_id in sorted(member_records):
        if persons.get(record_id) == person_id:
            continue
        grouped[persons.get(record_id, f"record:{record_id}")].append(record_id)
    member_persons = {k for k in grouped if isinstance(k, int)}
    ever = set(
        Link.objects.filter(person_id__in=member_persons, known_from__lte=as_of).values_list(
            "record_id", flat=True
        )
    )
    for record_id, member_person in sorted(_links(ever - member_records, as_of).items()):
        if member_person in member_persons:
            grouped[member_person].append(record_id)
            member_records.add(record_id)
    member_versions.update(_versions_as_of(ever - set(member_versions), as_of))
    social = _social_care_pairs(child_records, member_records, as_of, sectors)
    members = []
    for key, records in grouped.items():
        kept = sorted(
            (
                s
                for r in records
                for s in sources.get(r, [])
                if not (r in left and s.kind == "household_change")
            ),
            key=lambda s: (s.since or date.min, s.agency, s.record),
        )
        if not kept:
            continue
        held = [r for r in sorted(records) if member_versions.get(r)]
        latest = [member_versions[r][-1] for r in held]
        name = next((" ".join(x for x in (v.given_name, v.family_name) if x) for v in latest), "")
        dob = next((v.date_of_birth for v in latest if v.date_of_birth), None)
        relationship = next((s.relationship for s in kept if s.relationship), "")
        adult = _age(dob, on) >= ADULT_AGE if dob else relationship in ADULT_RELATIONSHIPS
        members.append(
            _Member(
                person_id=key if isinstance(key, int) else None,
                name=name,
                record_ids=sorted(held),
                sources=kept,
                adult=adult,
                known_to_social_care=any(s.sector == "social_care" for s in kept)
                or any(r in social for r in records),
            )
        )
    return members


def _current(versions: list[PersonVersion]) -> tuple[Address, date, datetime] | None:
    """The address a record's versions leave open, since when, and when that was recorded."""
    current: tuple[Address, date, datetime] | None = None
    for v in versions:
        address = address_normalise(
            line1=v.address_line1, line2=v.address_line2, postcode=v.postcode
        )
        if current is not None and address == current[0]:
            continue
        moved_in = v.address_from or uk_date(v.recorded_at)
        current = (address, moved_in, v.recorded_at) if address is not None else None
    return current


def _versions_as_of(record_ids: set[int], as_of: datetime) -> dict[int, list[PersonVersion]]:
    out: dict[int, list[PersonVersion]] = defaultdict(list)
    for v in (
        PersonVersion.objects.filter(record_id__in=record_ids, recorded_at__lte=as_of)
        .select_related("record__agency")
        .order_by("record_id", "version")
    ):
        out[v.record_id].append(v)
    return out


def _sectors(as_of: datetime) -> dict[str, str]:
    sectors: dict[str, str] = {}
    for code, sector in (
        AgencyVersion.objects.filter(recorded_at__lte=as_of)
        .order_by("agency_id", "version")
        .values_list("agency__code", "sector")
    ):
        sectors[code] = sector
    return sectors


def _links(record_ids: set[int], as_of: datetime) -> dict[int, int]:
    out: dict[int, int] = {}
    for record_id, person in (
        Link.objects.filter(record_id__in=record_ids, known_from__lte=as_of)
        .order_by("record_id", "id")
        .values_list("record_id", "person_id")
    ):
        out[record_id] = person
    return out


def _person_records(person_id: int, as_of: datetime) -> set[int]:
    ever = set(
        Link.objects.filter(person_id=person_id, known_from__lte=as_of).values_list(
            "record_id", flat=True
        )
    )
    return {r for r, p in _links(ever, as_of).items() if p == person_id}


def _household_changes(child_records: set[int], as_of: datetime) -> list[tuple[EventVersion, int]]:
    event_ids = set(
        EventSubject.objects.filter(
            record_id__in=child_records, role="child", event_version__type="household_change"
        ).values_list("event_version__event_id", flat=True)
    )
    latest: dict[int, EventVersion] = {}
    for v in (
        EventVersion.objects.filter(event_id__in=event_ids, recorded_at__lte=as_of)
        .select_related("event__agency")
        .prefetch_related("subjects")
        .order_by("event_id", "version")
    ):
        latest[v.event_id] = v
    out = []
    for v in sorted(latest.values(), key=lambda v: (v.occurred_at, v.pk)):
        if v.type != "household_change" or v.occurred_at > as_of:
            continue
        subjects = list(v.subjects.all())
        if not any(s.record_id in child_records and s.role == "child" for s in subjects):
            continue
        out.extend((v, s.record_id) for s in subjects if s.role == "household_member")
    return out


def _social_care_pairs(
    child_records: set[int], member_records: set[int], as_of: datetime, sectors: dict[str, str]
) -> set[int]:
    social = [code for code, sector in sectors.items() if sector == "social_care"]
    if not social or not member_records:
        return set()
    rows = EventSubject.objects.filter(
        event_version__event__agency__code__in=social,
        event_version__recorded_at__lte=as_of,
        record_id__in=child_records | member_records,
    ).values_list("event_version_id", "record_id")
    by_version: dict[int, set[int]] = defaultdict(set)
    for version, record in rows:
        by_version[version].add(record)
    out: set[int] = set()
    for records in by_version.values():
        if records & child_records:
            out |= records & member_records
    return out


def _member_events(
    records: list[int], at: datetime, agencies: dict[str, tuple[str, str]]
) -> list[Event]:
    """The latest version (known at `at`) of each event naming one of the member's records."""
    named = EventSubject.objects.filter(
        record_id__in=records, event_version__recorded_at__lte=at
    ).values_list("event_version__event_id", flat=True)
    latest: dict[int, EventVersion] = {}
    for ev in (
        EventVersion.objects.filter(event_id__in=set(named), recorded_at__lte=at)
        .select_related("event__agency")
        .prefetch_related("subjects")
        .order_by("event_id", "version")
    ):
        latest[ev.event_id] = ev
    out = []
    mine = set(records)
    for ev in latest.values():
        roles = [s.role for s in ev.subjects.all() if s.record_id in mine]
        if not roles:
            continue
        code = ev.event.agency.code
        name, sector = agencies.get(code, (code, ""))
        out.append(
            Event(
                agency=code,
                agency_name=name,
                sector=sector,
                event_id=ev.event.event_id,
                type=ev.type,
                occurred_at=ev.occurred_at,
                recorded_at=ev.recorded_at,
                details=ev.details if isinstance(ev.details, dict) else {},
                role=sorted(roles)[0],
            )
        )
    return out


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
