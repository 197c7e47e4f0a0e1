"""Households: who lives with a child, according to which agency, as known on a date.

Two kinds of evidence, from every agency:
* **Residence.** Each version of a person record places the person at an address from its
  `address_from` (or, if not given, the day it was recorded) until a later version gives
  another address. Two people live together when their current addresses are the same
  normalised address: postcode unit plus the first line's flat/house number and street.
* **Household changes.** A `household_change` event says the `household_member` joined or
  left the `child`'s household, on the day it happened.

Each member is a person (their records linked as known on the date) with every source that
places them there; their name and date of birth come from their records in the order they were
first stored. Adults whom children's social care's own records do not place in the
household are picked out: the risk engine asks for them.

The rules work on rows read beforehand (`HouseholdRows`), so that one piece of code serves both
a single question (`household_build`: one person's rows, one date) and the risk engine, which
reads a whole local authority's rows once and builds every child's household at every moment
of a replay from them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

import orjson
from django.db import connection
from django.db.models import Model

from jigsaw.core.bulk import aware_datetime, in_clause, select_in, selected_columns, table_name
from jigsaw.core.dates import UK, uk_date
from jigsaw.identity.matching.normalise import PLACEHOLDER_DISTRICT, address_key
from jigsaw.identity.models import Link
from jigsaw.records.models import (
    Agency,
    AgencyVersion,
    EventSubject,
    EventVersion,
    PersonRecord,
    PersonVersion,
)
from jigsaw.records.models import Event as StoredEvent
from jigsaw.records.postcodes import parse_postcode
from jigsaw.records.presenters import record_ref

ADULT_AGE = 18
ADULT_RELATIONSHIPS = frozenset({"parent", "partner_of_parent", "lodger"})
SOCIAL_CARE = "social_care"
_DIGIT = re.compile(r"\d")
_TICK = timedelta(microseconds=1)
_UNSET = object()


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
    return _address(line1 or "", line2 or "", postcode or "")


@lru_cache(maxsize=65536)
def _address(line1: str, line2: str, postcode: str) -> Address | None:
    parsed = parse_postcode(postcode)
    if parsed is None or parsed.district == PLACEHOLDER_DISTRICT:
        return None  # no fixed abode, not known, abroad: a place nobody lives together
    line = address_key(line1)
    if line2 and not _DIGIT.search(line):  # "Ashley Court" on line 1, "12 High Road" on line 2
        line = address_key(f"{line1} {line2}")
    if not line or not _DIGIT.search(line):
        return None
    return Address(parsed.unit, line)


# --- rows ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VersionRow:
    """One version of a person record, as the household rules read it."""

    record: int
    recorded_at: datetime
    postcode: str  # as stored: records sharing it are looked at
    address: Address | None
    address_from: date | None
    given_name: str
    family_name: str
    date_of_birth: date | None

    @property
    def moved_in(self) -> date:
        return self.address_from or uk_date(self.recorded_at)

    @property
    def name(self) -> str:
        return " ".join(x for x in (self.given_name, self.family_name) if x)


class EventRow:
    """One version of an event: its type, times, details and who it names (record, role).
    The details are decoded when first read: most events never need them."""

    __slots__ = (
        "_details",
        "_raw",
        "event",
        "id",
        "occurred_at",
        "recorded_at",
        "subjects",
        "type",
        "version",
    )

    def __init__(
        self,
        id: int,
        event: int,
        version: int,
        type: str,
        occurred_at: datetime,
        recorded_at: datetime,
        details: Any,
        subjects: tuple[tuple[int, str], ...],
    ) -> None:
        self.id = id
        self.event = event
        self.version = version
        self.type = type
        self.occurred_at = occurred_at
        self.recorded_at = recorded_at
        self.subjects = subjects
        self._raw = details
        self._details: dict[str, Any] | None = None

    @property
    def details(self) -> dict[str, Any]:
        if self._details is None:
            raw = self._raw
            value = orjson.loads(raw) if isinstance(raw, str | bytes) else raw
            self._details = value if isinstance(value, dict) else {}
        return self._details

    @property
    def knowable_at(self) -> datetime:
        return max(self.occurred_at, self.recorded_at)


@dataclass(frozen=True)
class Residence:
    record_id: int
    address: Address
    since: date
    until: date | None  # None: still there, as far as the record says
    recorded_at: datetime  # when the version that placed them there was recorded


def residences_of(versions: Sequence[VersionRow]) -> list[Residence]:
    """Residence periods from one record's versions (in version order)."""
    out: list[Residence] = []
    for v in versions:
        since = v.moved_in
        if out and out[-1].until is None:
            if v.address == out[-1].address:
                continue
            last = out[-1]
            out[-1] = Residence(
                last.record_id, last.address, last.since, max(since, last.since), last.recorded_at
            )
        if v.address is not None:
            out.append(Residence(v.record, v.address, since, None, v.recorded_at))
    return out


def _current_residence(versions: Sequence[VersionRow]) -> Residence | None:
    found = residences_of(versions)
    return found[-1] if found and found[-1].until is None else None


# --- what a household is -----------------------------------------------------------------------


@dataclass
class Source:
    agency: str
    sector: str
    record: str  # the agency's record of the member
    kind: str  # "address" or "household_change"
    since: date | None
    relationship: str = ""
    record_id: int | None = None  # that record (None: not yet held)
    reference: str = ""  # the record's local id (address) or the event's id (household change)
    recorded_at: datetime | None = None  # when the agency recorded what places them here

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
    record_ids: list[int] = field(default_factory=list)  # the records held by then

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
    # With the same rows, the household stays the same up to this moment, though the clock
    # moves (an address from a date still to come, a member turning 18); None: until the rows
    # change.
    same_until: datetime | None = None

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


def household_build(*, person_id: int, as_of: datetime) -> Household:
    """The person's household as known at `as_of`."""
    return HouseholdRows.load(person_ids=[person_id], until=as_of).household(person_id, as_of)


# --- the rows households are built from ---------------------------------------------------------


class HouseholdRows:
    """Everything the households of some people can read, at any moment up to `until`: their
    records' links, versions and events, the records that ever gave one of their postcodes or
    were named in a household change about them, those records' people and all of these
    people's records, and agencies' sectors over time.

    `household(person, at)` then builds a household without touching the database.
    """

    def __init__(self, until: datetime) -> None:
        self.until = until
        self.agencies: dict[str, tuple[str, str]] = {}  # code -> (name, sector) by `until`
        self.sector_history: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
        self.refs: dict[int, tuple[str, str]] = {}  # record -> (agency code, local id)
        self.versions: dict[int, list[VersionRow]] = {}  # record -> versions, oldest first
        self.links: dict[int, list[tuple[datetime, int, int]]] = {}  # (known, link, person)
        self.person_records: dict[int, set[int]] = defaultdict(set)  # person -> records ever
        self.postcodes: dict[str, dict[int, datetime]] = defaultdict(dict)  # -> first given
        self.events: dict[int, list[list[EventRow]]] = {}  # record -> its events' versions
        self.event_refs: dict[int, tuple[str, str]] = {}  # event -> (agency code, event id)
        self._event_versions: dict[int, list[EventRow]] = {}  # event -> versions by `until`
        self._sectors_at: dict[int, dict[str, str]] = {}
        self._sector_changes: list[datetime] = []
        self._residences: dict[tuple[int, tuple[int, ...]], object] = {}
        self._sources: dict[tuple[Residence, str], Source] = {}
        self._kinds: dict[tuple[int, str], list[list[EventRow]]] = {}
        self._by_address: dict[Address, dict[int, datetime]] | None = None

    # --- loading ------------------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        *,
        person_ids: Iterable[int],
        until: datetime,
        member_events: bool = False,
        everyone: bool = False,
    ) -> HouseholdRows:
        """The rows for these people's households up to `until` (with `member_events`, the
        members' own events too), in a few queries whatever the number of people. `everyone`
        says the people are all those linked by `until`: every row is read, without looking
        them up."""
        rows = cls(until)
        rows._load_agencies()
        if everyone:
            rows._load_everything()
            return rows
        persons = sorted(set(person_ids))
        own = {r for (r,) in select_in(Link, ["record"], where={}, column="person", values=persons)}
        rows.load_links(own)
        own = {r for p in persons for r in rows.person_records.get(p, ())}
        rows.load_versions(own)
        # A household reads only the household changes and social care's events of the
        # people's own records; a risk evaluation (member_events) reads all their events.
        rows.load_events(own, household_only=not member_events)
        # Who could live with them: records that gave one of their postcodes, and members named
        # in household changes about them.
        units = sorted({v.address.postcode for r in own for v in rows.versions[r] if v.address})
        rows._load_postcodes(units)
        named = {
            rec
            for r in own
            for versions in rows.events.get(r, ())
            for v in versions
            if v.type == "household_change"
            for rec, role in v.subjects
            if role == "household_member"
        }
        candidates = {r for seen in rows.postcodes.values() for r in seen} | named
        rows.load_links(candidates)
        # All the records of the people those are, as identity links them.
        people = sorted({p for r in candidates for *_, p in rows.links.get(r, ())} - set(persons))
        ever = {r for (r,) in select_in(Link, ["record"], where={}, column="person", values=people)}
        rows.load_links(ever)
        others = candidates | ever
        rows.load_versions(others)
        if member_events:
            rows.load_events(others)
        rows._load_refs(own | others)
        return rows

    def _load_everything(self) -> None:
        records = [r for (r,) in _select(PersonRecord, ["id"])]
        self.load_links(records, everything=True)
        self.load_versions(records, everything=True)
        self.load_events(records, everything=True)
        for r, versions in self.versions.items():
            for v in versions:
                seen = self.postcodes[v.postcode]
                seen[r] = min(seen.get(r, v.recorded_at), v.recorded_at)
        self._load_refs(set(records))

    def _load_agencies(self) -> None:
        for code, recorded_at, name, sector in AgencyVersion.objects.order_by(
            "agency_id", "version"
        ).values_list("agency__code", "recorded_at", "name", "sector"):
            self.sector_history[code].append((recorded_at, sector))
            if recorded_at <= self.until:
                self.agencies[code] = (name, sector)
        self._sector_changes = sorted({t for h in self.sector_history.values() for t, _s in h})

    def load_links(self, records: Iterable[int], *, everything: bool = False) -> None:
        missing = sorted(set(records) - set(self.links))
        for r in missing:
            self.links[r] = []
        rows = _select(
            Link,
            ["record", "person", "known_from", "id"],
            "record",
            None if everything else missing,
            as_text=("known_from",),
        )
        for record, person, known_from, link_id in sorted(rows, key=lambda row: (row[0], row[3])):
            known = aware_datetime(known_from)
            if known <= self.until:
                self.links[record].append((known, link_id, person))
                self.person_records[person].add(record)

    def load_versions(self, records: Iterable[int], *, everything: bool = False) -> None:
        missing = sorted(set(records) - set(self.versions))
        for r in missing:
            self.versions[r] = []
        rows = _select(
            PersonVersion,
            ["record", "version", "recorded_at", "address_line1", "address_line2", "postcode",
             "address_from", "given_name", "family_name", "date_of_birth"],
            "record", None if everything else missing,
            as_text=("recorded_at", "address_from", "date_of_birth"),
        )  # fmt: skip
        until = self.until
        for row in sorted(rows, key=lambda row: (row[0], row[1])):
            recorded = aware_datetime(row[2])
            if recorded > until:
                continue
            self.versions[row[0]].append(
                VersionRow(
                    row[0],
                    recorded,
                    row[5] or "",
                    _address(row[3] or "", row[4] or "", row[5] or ""),
                    _date(row[6]),
                    row[7] or "",
                    row[8] or "",
                    _date(row[9]),
                )
            )

    def load_events(
        self, records: Iterable[int], *, everything: bool = False, household_only: bool = False
    ) -> None:
        """Every version (recorded by `until`) of every event that names one of `records`
        (`everything`: they are all the records there are). `household_only`: only the events
        a household reads (see `events_where`): household changes, and events of agencies that
        have been children's social care."""
        missing = sorted(set(records) - set(self.events))
        for r in missing:
            self.events[r] = []
        if not missing:
            return
        if everything:
            where = ""
            params: list[Any] = []
        else:
            named, param = in_clause("s.record_id", missing)
            params = [param]
            joins = kinds = ""
            if household_only:
                # Joined rather than a subquery, so the filter applies to the records' own
                # event versions (found by index), not to every event stored.
                social, social_param = in_clause("wa.code", sorted(self._ever_social()))
                joins = (
                    f" JOIN {table_name(StoredEvent)} we ON we.id = w.event_id "
                    f"JOIN {table_name(Agency)} wa ON wa.id = we.agency_id"
                )
                kinds = f" AND (w.type = 'household_change' OR {social})"
                params.append(social_param)
            where = (
                f"WHERE v.event_id IN (SELECT w.event_id FROM {table_name(EventSubject)} s "
                f"JOIN {table_name(EventVersion)} w ON w.id = s.event_version_id{joins} "
                f"WHERE {named}{kinds})"
            )
        by_version: dict[int, list[tuple[int, str]]] = {}
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT s.event_version_id, s.record_id, s.role FROM {table_name(EventSubject)} s "
                f"JOIN {table_name(EventVersion)} v ON v.id = s.event_version_id {where}",
                params,
            )
            for version, record, role in cursor.fetchall():
                found = by_version.get(version)
                if found is None:
                    by_version[version] = [(record, role)]
                else:
                    found.append((record, role))
            subjects = {
                v: tuple(sorted(rows)) if len(rows) > 1 else (rows[0],)
                for v, rows in by_version.items()
            }
            cursor.execute(
                # Instants as text: parsed in Python far faster than the drivers' conversion.
                "SELECT v.id, v.event_id, v.version, v.type, CAST(v.occurred_at AS TEXT), "
                "CAST(v.recorded_at AS TEXT), "
                f"CAST(v.details AS TEXT), a.code, e.event_id FROM {table_name(EventVersion)} v "
                f"JOIN {table_name(StoredEvent)} e ON e.id = v.event_id "
                f"JOIN {table_name(Agency)} a ON a.id = e.agency_id "
                f"{where} ORDER BY v.event_id, v.version",
                params,
            )
            versions = cursor.fetchall()
        until = self.until
        known = self._event_versions
        previous = set(known)  # events read for other records before
        wanted = set(missing)
        attach: set[int] = set()  # events naming one of `records`
        for vid, event, number, type_, occurred, recorded, details, code, event_id in versions:
            named_here = subjects.get(vid, ())
            if event in previous:
                if any(rec in wanted for rec, _role in named_here):
                    attach.add(event)
                continue
            recorded_at, occurred = aware_datetime(recorded), aware_datetime(occurred)
            if recorded_at > until:
                continue
            if event not in known:
                self.event_refs[event] = (code, event_id)
                known[event] = []
                attach.add(event)
            known[event].append(
                EventRow(
                    vid,
                    event,
                    number,
                    type_,
                    occurred,
                    recorded_at,
                    details,
                    named_here,
                )
            )
        by_record = self.events
        for event in sorted(attach):
            versions_of = known.get(event)
            if not versions_of:
                continue
            if len(versions_of) == 1 and len(versions_of[0].subjects) == 1:
                record = versions_of[0].subjects[0][0]  # most events name one person once
                if record in wanted:
                    by_record[record].append(versions_of)
                continue
            for record in {rec for v in versions_of for rec, _ in v.subjects}:
                if record in wanted:
                    by_record[record].append(versions_of)

    def _load_postcodes(self, units: list[str]) -> None:
        rows = select_in(
            PersonVersion, ["record", "postcode", "recorded_at"], where={}, column="postcode",
            values=units,
        )  # fmt: skip
        for record, postcode, recorded_at in rows:
            recorded = aware_datetime(recorded_at)
            if recorded <= self.until:
                seen = self.postcodes[postcode]
                seen[record] = min(seen.get(record, recorded), recorded)

    def _load_refs(self, records: set[int]) -> None:
        codes = dict(Agency.objects.values_list("pk", "code"))
        for pk, agency, local_id in select_in(
            PersonRecord, ["id", "agency", "local_id"], where={}, column="id",
            values=sorted(records - set(self.refs)),
        ):  # fmt: skip
            self.refs[pk] = (codes[agency], local_id)

    # --- as known at a moment -----------------------------------------------------------------

    def person_of(self, record: int, at: datetime) -> int | None:
        """The person a record is linked to as known at `at` (its latest link by then)."""
        person = None
        for known, _link, p in self.links.get(record, ()):
            if known <= at:
                person = p
        return person

    def records_of(self, person: int, at: datetime) -> list[int]:
        return sorted(
            r for r in self.person_records.get(person, ()) if self.person_of(r, at) == person
        )

    def versions_at(self, record: int, at: datetime) -> list[VersionRow]:
        return [v for v in self.versions.get(record, ()) if v.recorded_at <= at]

    def _at_address(self) -> dict[Address, dict[int, datetime]]:
        """Records by each address they have given, with when they first gave it."""
        if self._by_address is None:
            self._by_address = defaultdict(dict)
            for postcode, records in self.postcodes.items():
                for r in records:
                    for v in self.versions.get(r, ()):
                        if v.address is not None and v.address.postcode == postcode:
                            seen = self._by_address[v.address]
                            seen[r] = min(seen.get(r, v.recorded_at), v.recorded_at)
        return self._by_address

    def residence_at(self, record: int, at: datetime) -> Residence | None:
        """Where the record places the person as known at `at`, if anywhere."""
        versions = self.versions.get(record, ())
        key = (record, tuple(i for i, v in enumerate(versions) if v.recorded_at <= at))
        found = self._residences.get(key, _UNSET)
        if found is _UNSET:
            found = self._residences[key] = _current_residence([versions[i] for i in key[1]])
        return found  # type: ignore[return-value]

    def _address_source(self, residence: Residence, sector: str) -> Source:
        """The source a residence makes (the same object each time: never changed)."""
        key = (residence, sector)
        found = self._sources.get(key)
        if found is None:
            agency, local_id = self.refs[residence.record_id]
            found = self._sources[key] = Source(
                agency=agency,
                sector=sector,
                record=record_ref(agency, local_id),
                kind="address",
                since=residence.since,
                record_id=residence.record_id,
                reference=local_id,
                recorded_at=residence.recorded_at,
            )
        return found

    def latest_at(self, record: int, at: datetime) -> VersionRow | None:
        """The record's latest version known at `at`."""
        latest = None
        for v in self.versions.get(record, ()):
            if v.recorded_at <= at:
                latest = v
        return latest

    def events_where(self, record: int, kind: str) -> list[list[EventRow]]:
        """The record's events of one kind: "change" (household changes) or "social" (from an
        agency that has been children's social care)."""
        key = (record, kind)
        found = self._kinds.get(key)
        if found is None:
            if kind == "change":
                found = [
                    vs
                    for vs in self.events.get(record, ())
                    if any(v.type == "household_change" for v in vs)
                ]
            else:
                social = self._ever_social()
                found = [
                    vs
                    for vs in self.events.get(record, ())
                    if self.event_refs[vs[0].event][0] in social
                ]
            self._kinds[key] = found
        return found

    def _ever_social(self) -> set[str]:
        return {
            code
            for code, history in self.sector_history.items()
            if any(sector == SOCIAL_CARE for _t, sector in history)
        }

    def sectors(self, at: datetime) -> dict[str, str]:
        """Each agency's sector as known at `at`."""
        index = sum(1 for t in self._sector_changes if t <= at)
        got = self._sectors_at.get(index)
        if got is None:
            got = {}
            for code, history in self.sector_history.items():
                for recorded, sector in history:
                    if recorded <= at:
                        got[code] = sector
            self._sectors_at[index] = got
        return got

    def household(self, person_id: int, as_of: datetime) -> Household:
        """The person's household as known at `as_of` (no later than `until`)."""
        sectors = self.sectors(as_of)
        child_records = set(self.records_of(person_id, as_of))
        on = uk_date(as_of)
        later: list[date] = []  # days on which the household changes with the clock alone
        addresses: dict[Address, list[str]] = defaultdict(list)
        for r in sorted(child_records):
            residence = self.residence_at(r, as_of)
            if residence is None:
                continue
            if residence.since <= on:
                addresses[residence.address].append(self.refs[r][0])
            else:
                later.append(residence.since)
        # Members by address: other records whose current address is one of the child's.
        sources: dict[int, list[Source]] = defaultdict(list)  # member record -> sources
        if addresses:
            # Only a record that has given one of these addresses can be living there now.
            near = {
                r
                for address in addresses
                for r, first in self._at_address().get(address, {}).items()
                if first <= as_of
            } - child_records
            for r in sorted(near):
                residence = self.residence_at(r, as_of)
                if residence is not None and residence.address in addresses:
                    agency = self.refs[r][0]
                    sources[r].append(self._address_source(residence, sectors.get(agency, "")))
        # Members by household-change events: the last change of each member decides.
        changes: dict[int, Source | None] = {}
        for v, member in self._changes(child_records, as_of):
            agency, event_id = self.event_refs[v.event]
            change = str(v.details.get("change", ""))
            if change == "joined":
                changes[member] = Source(
                    agency=agency,
                    sector=sectors.get(agency, ""),
                    record="",
                    kind="household_change",
                    since=uk_date(v.occurred_at),
                    relationship=str(v.details.get("relationship") or ""),
                    reference=event_id,
                    recorded_at=v.recorded_at,
                )
            elif change == "left":
                changes[member] = None
        joined = {r: s for r, s in changes.items() if s is not None}
        member_records = set(sources) | set(joined)
        left = {r for r, s in changes.items() if s is None}
        for r, source in joined.items():
            if self.versions_at(r, as_of):
                source.record = record_ref(*self.refs[r])
                source.record_id = r
            sources[r].append(source)
        # A member whom an agency says left is gone by that agency's word; other agencies'
        # address evidence still counts (they may know better, or later).
        persons = {r: p for r in member_records if (p := self.person_of(r, as_of)) is not None}
        grouped: dict[int | str, list[int]] = defaultdict(list)
        for r in sorted(member_records):
            if persons.get(r) == person_id:
                continue
            grouped[persons.get(r, f"record:{r}")].append(r)
        # All records of each member person count, not only those that placed them here: social
        # care may know the adult by a record at another address.
        member_persons = {k for k in grouped if isinstance(k, int)}
        for r in sorted(
            {r for p in member_persons for r in self.person_records.get(p, ())} - member_records
        ):
            p = self.person_of(r, as_of)
            if p in member_persons:
                grouped[p].append(r)
                member_records.add(r)
        known_to_social_care = self._social_care_pairs(
            child_records, member_records, as_of, sectors
        )
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
            held = [(r, row) for r in sorted(records) if (row := self.latest_at(r, as_of))]
            name = next((v.name for _r, v in held), "")
            dob = next((v.date_of_birth for _r, v in held if v.date_of_birth), None)
            relationship = next((s.relationship for s in kept if s.relationship), "")
            if dob:
                grown = adult_from(dob)
                adult = grown is not None and on >= grown
                if not adult and grown is not None:
                    later.append(grown)
            else:
                adult = relationship in ADULT_RELATIONSHIPS
            known = any(s.sector == SOCIAL_CARE for s in kept) or any(
                r in known_to_social_care for r in records
            )
            members.append(
                Member(
                    person_id=key if isinstance(key, int) else None,
                    name=name,
                    date_of_birth=dob,
                    records=sorted(record_ref(*self.refs[r]) for r, _v in held),
                    sources=kept,
                    adult=adult,
                    known_to_social_care=known,
                    record_ids=sorted(r for r, _v in held),
                )
            )
        members.sort(key=lambda m: (not m.adult, m.since or date.min, m.name))
        return Household(
            person_id=person_id,
            as_of=as_of,
            addresses={str(a): sorted(set(agencies)) for a, agencies in sorted(addresses.items())},
            members=members,
            same_until=_start_of(min(later)) - _TICK if later else None,
        )

    def latest_versions(
        self, records: Iterable[int], at: datetime, kind: str = ""
    ) -> list[EventRow]:
        """The latest version known at `at` of each event naming one of `records` in any
        version then known (of one kind only: see `events_where`)."""
        out: dict[int, EventRow] = {}
        for r in records:
            for versions in self.events_where(r, kind) if kind else self.events.get(r, ()):
                if versions[0].event in out:
                    continue
                latest = None
                for v in versions:
                    if v.recorded_at <= at:
                        latest = v
                if latest is not None:
                    out[latest.event] = latest
        return list(out.values())

    def _changes(self, child_records: set[int], at: datetime) -> list[tuple[EventRow, int]]:
        """(latest version, member record) of each household change about the child known at
        `at`, in the order they happened."""
        found = [
            v
            for v in self.latest_versions(child_records, at, "change")
            if v.type == "household_change"
            and v.occurred_at <= at
            and any(rec in child_records and role == "child" for rec, role in v.subjects)
        ]
        found.sort(key=lambda v: (v.occurred_at, v.id))
        return [(v, rec) for v in found for rec, role in v.subjects if role == "household_member"]

    def _social_care_pairs(
        self, child_records: set[int], member_records: set[int], at: datetime,
        sectors: dict[str, str],
    ) -> set[int]:  # fmt: skip
        """Member records that a social care event (any version known at `at`) names together
        with the child."""
        social = {code for code, sector in sectors.items() if sector == SOCIAL_CARE}
        if not social or not member_records:
            return set()
        out: set[int] = set()
        for r in child_records:
            for versions in self.events_where(r, "social"):
                if self.event_refs[versions[0].event][0] not in social:
                    continue
                for v in versions:
                    if v.recorded_at <= at:
                        named = {rec for rec, _role in v.subjects}
                        if named & child_records:
                            out |= named & member_records
        return out

    # --- for replays ---------------------------------------------------------------------------

    def scope(self, person: int) -> set[int]:
        """Every record a household of the person can read at any moment up to `until`: their
        own, those that ever shared one of their addresses or were named in a household change
        about them, and all the records of the people those are."""
        own = set(self.person_records.get(person, ()))
        addresses = {v.address for r in own for v in self.versions.get(r, ()) if v.address}
        out = set(own)
        for postcode in {a.postcode for a in addresses}:
            for r in self.postcodes.get(postcode, {}):
                if any(v.address in addresses for v in self.versions.get(r, ())):
                    out.add(r)
        for r in own:
            for versions in self.events.get(r, ()):
                for v in versions:
                    if v.type == "household_change":
                        out.update(rec for rec, role in v.subjects if role == "household_member")
        people = {p for r in out for *_, p in self.links.get(r, ())}
        for p in people:
            out |= self.person_records.get(p, set())
        return out

    def change_times(self, person: int, scope: set[int] | None = None) -> set[datetime]:
        """Every moment at which the rows a household of the person reads change (their
        households can differ only across one of these, or as the clock passes `same_until`).
        `scope` is the person's `scope`, if already known."""
        own = self.person_records.get(person, set())
        times: set[datetime] = set(self._sector_changes)
        for r in self.scope(person) if scope is None else scope:
            times.update(known for known, _l, _p in self.links.get(r, ()))
            times.update(v.recorded_at for v in self.versions.get(r, ()))
        for r in own:
            for versions in self.events_where(r, "change"):
                for v in versions:
                    times.update((v.recorded_at, v.occurred_at))
        times.update(self._social_care_times(own))
        return {t for t in times if t <= self.until}

    def _social_care_times(self, records: Iterable[int]) -> set[datetime]:
        """When the social care events of these records can change who a household has as
        known to social care (`_social_care_pairs`): only when a version is recorded, and only
        one that names someone no version recorded before it (or with it) from the same agency
        named together with the same records. Any version known counts there, so a version
        naming only what one already known names adds nothing (a child's every visit naming
        the same parents)."""
        versions = {v.id: v for r in records for vs in self.events_where(r, "social") for v in vs}
        named_before: dict[str, list[frozenset[int]]] = defaultdict(list)
        times: set[datetime] = set()
        # By when recorded, and at one moment those naming more first.
        for v in sorted(versions.values(), key=lambda v: (v.recorded_at, -len(v.subjects), v.id)):
            named = frozenset(rec for rec, _role in v.subjects)
            earlier = named_before[self.event_refs[v.event][0]]
            if not any(named <= seen for seen in earlier):
                earlier.append(named)
                times.add(v.recorded_at)
        return times


def _select(
    model: type[Model],
    columns: Sequence[str],
    column: str = "",
    values: Sequence[Any] | None = None,
    as_text: Collection[str] = (),
) -> list[tuple[Any, ...]]:
    """Rows of `columns`: where `column` is one of `values`, or all of them (values None);
    those in `as_text` as text."""
    if values is not None:
        return select_in(model, columns, where={}, column=column, values=values, as_text=as_text)
    names = selected_columns(model, columns, as_text)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {names} FROM {table_name(model)}")
        return [tuple(row) for row in cursor.fetchall()]


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def adult_from(born: date) -> date | None:
    """The day a person born on `born` turns 18 (a 29 February birthday: 1 March in other
    years); None beyond the calendar."""
    year = born.year + ADULT_AGE
    if year > date.max.year:
        return None
    try:
        return born.replace(year=year)
    except ValueError:
        return date(year, 3, 1)


def _start_of(d: date) -> datetime:
    return datetime.combine(d, time(0, 0), tzinfo=UK).astimezone(UTC)
