"""Households: who lives with a child, according to which agency, as known on a date.

Two kinds of evidence, from every agency:
* **Residence.** Each version of a person record places the person at an address from its
  `address_from` (or, if not given, the day it was recorded) until a later version gives
  another address. Two people live together when their current addresses are the same
  normalised address: postcode unit plus the first line's flat/house number and street.
* **Household changes.** A `household_change` event says the `household_member` joined or
  left the `child`'s household, on the day it happened.

Each member is a person (their records linked as known on the date) with every source that
places them there. Adults whom children's social care's own records do not place in the
household are picked out: the risk engine asks for them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from jigsaw.core.dates import uk_date
from jigsaw.identity.matching.normalise import address_key
from jigsaw.identity.models import Link
from jigsaw.records.models import AgencyVersion, EventSubject, EventVersion, PersonVersion
from jigsaw.records.postcodes import parse_postcode
from jigsaw.records.presenters import record_ref

ADULT_AGE = 18
ADULT_RELATIONSHIPS = frozenset({"parent", "partner_of_parent", "lodger"})
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True, slots=True, order=True)
class Address:
    """A normalised address: postcode unit and first line ("47 ashley ct")."""

    postcode: str
    line: str

    def __str__(self) -> str:
        return f"{self.line}, {self.postcode}"


def address_normalise(*, line1: str, line2: str = "", postcode: str) -> Address | None:
    """The address two records must share to place two people in one home; None if there is
    not enough of it (a postcode alone covers a street, not a home)."""
    parsed = parse_postcode(postcode or "")
    if parsed is None:
        return None
    line = address_key(line1 or "")
    if line2 and not _DIGIT.search(line):  # "Ashley Court" on line 1, "12 High Road" on line 2
        line = address_key(f"{line1} {line2}")
    if not line or not _DIGIT.search(line):
        return None
    return Address(parsed.unit, line)


@dataclass(frozen=True)
class Residence:
    record_id: int
    address: Address
    since: date
    until: date | None  # None: still there, as far as the record says


def residences_of(versions: list[PersonVersion]) -> list[Residence]:
    """Residence periods from one record's versions (in version order)."""
    out: list[Residence] = []
    for v in versions:
        address = address_normalise(
            line1=v.address_line1, line2=v.address_line2, postcode=v.postcode
        )
        since = v.address_from or uk_date(v.recorded_at)
        if out and out[-1].until is None:
            if address == out[-1].address:
                continue
            last = out[-1]
            out[-1] = Residence(last.record_id, last.address, last.since, max(since, last.since))
        if address is not None:
            out.append(Residence(v.record_id, address, since, None))
    return out


@dataclass
class Source:
    agency: str
    sector: str
    record: str  # the agency's record of the member
    kind: str  # "address" or "household_change"
    since: date | None
    relationship: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "sector": self.sector,
            "record": self.record,
            "kind": self.kind,
            "since": self.since.isoformat() if self.since else None,
            "relationship": self.relationship,
        }


@dataclass
class Member:
    person_id: int | None  # None: a record not linked to a person by then
    name: str
    date_of_birth: date | None
    records: list[str]
    sources: list[Source] = field(default_factory=list)
    adult: bool = False
    known_to_social_care: bool = False

    @property
    def since(self) -> date | None:
        dates = [s.since for s in self.sources if s.since]
        return min(dates) if dates else None

    @property
    def relationship(self) -> str:
        return next((s.relationship for s in self.sources if s.relationship), "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "person": self.person_id,
            "name": self.name,
            "date_of_birth": self.date_of_birth.isoformat() if self.date_of_birth else None,
            "records": self.records,
            "since": self.since.isoformat() if self.since else None,
            "relationship": self.relationship,
            "adult": self.adult,
            "known_to_social_care": self.known_to_social_care,
            "sources": [s.as_dict() for s in self.sources],
        }


@dataclass
class Household:
    person_id: int
    as_of: datetime
    addresses: dict[str, list[str]]  # the person's current addresses -> agencies that say so
    members: list[Member]

    @property
    def adults_unknown_to_social_care(self) -> list[Member]:
        return [m for m in self.members if m.adult and not m.known_to_social_care]

    def as_dict(self) -> dict[str, Any]:
        return {
            "person": self.person_id,
            "as_of": self.as_of.isoformat(),
            "addresses": self.addresses,
            "members": [m.as_dict() for m in self.members],
            "adults_unknown_to_social_care": [
                m.person_id for m in self.adults_unknown_to_social_care
            ],
        }


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


def _household_changes(
    child_records: set[int], as_of: datetime
) -> list[tuple[EventVersion, int, str, str]]:
    """(event version, member record, change, relationship) of each household change about the
    child known by `as_of`, in the order they happened."""
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
        for s in subjects:
            if s.role == "household_member":
                out.append(
                    (
                        v,
                        s.record_id,
                        str(v.details.get("change", "")),
                        str(v.details.get("relationship") or ""),
                    )
                )
    return out


def household_build(*, person_id: int, as_of: datetime) -> Household:
    sectors = _sectors(as_of)
    child_records = _person_records(person_id, as_of)
    child_versions = _versions_as_of(child_records, as_of)
    on = uk_date(as_of)
    addresses: dict[Address, list[str]] = defaultdict(list)
    for versions in child_versions.values():
        for residence in residences_of(versions):
            if residence.until is None and residence.since <= on:
                addresses[residence.address].append(versions[0].record.agency.code)
    # Members by address: other records whose current address is one of the child's.
    sources: dict[int, list[Source]] = defaultdict(list)  # member record -> sources
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
            for residence in residences_of(versions):
                if residence.until is None and residence.address in addresses:
                    agency = versions[0].record.agency.code
                    sources[record_id].append(
                        Source(
                            agency=agency,
                            sector=sectors.get(agency, ""),
                            record=record_ref(agency, versions[0].record.local_id),
                            kind="address",
                            since=residence.since,
                        )
                    )
    # Members by household-change events: the last change of each member decides.
    changes: dict[int, Source | None] = {}
    for version, member, change, relationship in _household_changes(child_records, as_of):
        agency = version.event.agency.code
        if change == "joined":
            changes[member] = Source(
                agency=agency,
                sector=sectors.get(agency, ""),
                record="",
                kind="household_change",
                since=uk_date(version.occurred_at),
                relationship=relationship,
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
            versions = held
            source.record = record_ref(versions[0].record.agency.code, versions[0].record.local_id)
        sources[record_id].append(source)
    persons = _links(member_records, as_of)
    # A member whom an agency says left is gone by that agency's word; other agencies' address
    # evidence still counts (they may know better, or later).
    grouped: dict[Any, list[int]] = defaultdict(list)
    for record_id in member_records:
        if persons.get(record_id) == person_id:
            continue
        grouped[persons.get(record_id, f"record:{record_id}")].append(record_id)
    # All records of each member person count, not only those that placed them here: social
    # care may know the adult by a record at another address.
    member_persons = {k for k in grouped if isinstance(k, int)}
    ever = set(
        Link.objects.filter(person_id__in=member_persons, known_from__lte=as_of).values_list(
            "record_id", flat=True
        )
    )
    for record_id, member_person in _links(ever - member_records, as_of).items():
        if member_person in member_persons:
            grouped[member_person].append(record_id)
            member_records.add(record_id)
    member_versions.update(_versions_as_of(ever - set(member_versions), as_of))
    social_care_events = _social_care_pairs(child_records, member_records, as_of, sectors)
    members = []
    for key, records in grouped.items():
        kept = [
            s
            for r in records
            for s in sources.get(r, [])
            if not (r in left and s.kind == "household_change")
        ]
        if not kept:
            continue
        latest = [member_versions[r][-1] for r in records if member_versions.get(r)]
        name = next((" ".join(x for x in (v.given_name, v.family_name) if x) for v in latest), "")
        dob = next((v.date_of_birth for v in latest if v.date_of_birth), None)
        relationship = next((s.relationship for s in kept if s.relationship), "")
        adult = _age(dob, on) >= ADULT_AGE if dob else relationship in ADULT_RELATIONSHIPS
        known = any(s.sector == "social_care" for s in kept) or any(
            r in social_care_events for r in records
        )
        members.append(
            Member(
                person_id=key if isinstance(key, int) else None,
                name=name,
                date_of_birth=dob,
                records=sorted(record_ref(v.record.agency.code, v.record.local_id) for v in latest),
                sources=sorted(kept, key=lambda s: (s.since or date.min, s.agency, s.record)),
                adult=adult,
                known_to_social_care=known,
            )
        )
    members.sort(key=lambda m: (not m.adult, m.since or date.min, m.name))
    return Household(
        person_id=person_id,
        as_of=as_of,
        addresses={str(a): sorted(set(agencies)) for a, agencies in sorted(addresses.items())},
        members=members,
    )


def _social_care_pairs(
    child_records: set[int], member_records: set[int], as_of: datetime, sectors: dict[str, str]
) -> set[int]:
    """Member records that a social care event names together with the child."""
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


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
