"""What the engine sees, read from the record store and identity in a few bulk queries.

`Snapshot(person_ids, until)` loads every row the persons' evaluations can need up to `until`
(their records' links, versions and events); `context(person, at)` then builds the engine's
`EvaluationContext` as known at any `at` up to `until` without touching the database again,
except for the household, which comes from identity's household builder as of `at`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import orjson

from jigsaw.core.bulk import aware_datetime, select_in
from jigsaw.core.dates import uk_date
from jigsaw.identity.households import ADULT_RELATIONSHIPS, Address, address_normalise
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
from jigsaw.risk.engine import (
    Child,
    DobClaim,
    EvaluationContext,
    Event,
    HouseholdMember,
    HouseholdSource,
    Subject,
)

ADULT_AGE = 18
CHILD_ROLES = frozenset({"child"})


@dataclass(frozen=True, slots=True)
class _Version:
    id: int
    event: int
    version: int
    type: str
    occurred_at: datetime
    recorded_at: datetime
    details: dict[str, Any]
    subjects: tuple[tuple[int, str], ...]  # (record, role)


class Snapshot:
    def __init__(self, person_ids: set[int] | list[int], until: datetime) -> None:
        self.until = until
        self.person_ids = sorted(set(person_ids))
        self._agencies: dict[str, tuple[str, str]] = {}
        for code, name, sector in (
            AgencyVersion.objects.filter(recorded_at__lte=until)
            .order_by("agency_id", "version")
            .values_list("agency__code", "name", "sector")
        ):
            self._agencies[code] = (name, sector)
        # Links: every record ever linked to one of the persons, with each record's link history.
        linked = {
            r
            for (r,) in select_in(
                Link, ["record"], where={}, column="person", values=self.person_ids
            )
        }
        self._links: dict[int, list[tuple[datetime, int, int]]] = defaultdict(list)
        for record, person, known_from, link_id in sorted(
            select_in(
                Link,
                ["record", "person", "known_from", "id"],
                where={},
                column="record",
                values=sorted(linked),
            ),
            key=lambda row: (row[0], row[3]),
        ):
            known = aware_datetime(known_from)
            if known <= until:
                self._links[record].append((known, link_id, person))
        self._ever: dict[int, set[int]] = defaultdict(set)  # person -> records ever linked
        for record, links in self._links.items():
            for *_, person in links:
                self._ever[person].add(record)
        records = sorted(self._links)
        self._record_agency: dict[int, tuple[str, str]] = (
            {
                pk: (code, local_id)
                for pk, code, local_id in PersonRecord.objects.filter(pk__in=records).values_list(
                    "pk", "agency__code", "local_id"
                )
            }
            if records
            else {}
        )
        self._versions: dict[int, list[tuple[datetime, date | None]]] = defaultdict(list)
        for record, recorded_at, dob, _version in sorted(
            select_in(
                PersonVersion,
                ["record", "recorded_at", "date_of_birth", "version"],
                where={},
                column="record",
                values=records,
            ),
            key=lambda row: (row[0], row[3]),
        ):
            recorded = aware_datetime(recorded_at)
            if recorded <= until:
                self._versions[record].append((recorded, _date(dob)))
        self._events_by_record, self._event_names = _load_events(records, until)
        self._households: _Households | None = None
        self._made: dict[tuple[int, str, tuple[Subject, ...]], Event] = {}

    def event_count(self) -> int:
        return len(
            {v.event for lists in self._events_by_record.values() for vs in lists for v in vs}
        )

    # --- as known at a moment ---------------------------------------------------------------

    def person_of(self, record: int, at: datetime) -> int | None:
        person = None
        for known, _link, p in self._links.get(record, ()):
            if known <= at:
                person = p
        return person

    def records_of(self, person: int, at: datetime) -> list[int]:
        return sorted(r for r in self._ever.get(person, ()) if self.person_of(r, at) == person)

    def change_points(self, person: int) -> list[datetime]:
        """Every moment something about the person became known: a link, a version of one of
        their records, an event becoming recorded or happening."""
        points: set[datetime] = set()
        for r in sorted(self._ever.get(person, ())):
            points.update(known for known, _l, _p in self._links[r])
            points.update(recorded for recorded, _dob in self._versions.get(r, ()))
            for versions in self._events_by_record.get(r, ()):
                points.update(max(v.occurred_at, v.recorded_at) for v in versions)
        return sorted(p for p in points if p <= self.until)

    def child(self, person: int, at: datetime) -> Child:
        records = self.records_of(person, at)
        claims = []
        first_seen: dict[date, datetime] = {}
        for r in records:
            known = [(rec, dob) for rec, dob in self._versions.get(r, ()) if rec <= at]
            if not known or known[-1][1] is None:
                continue
            dob = known[-1][1]
            assert dob is not None
            code = self._record_agency[r][0]
            claims.append(DobClaim(dob, code, self._agencies.get(code, (code, ""))[0]))
            first_seen[dob] = min(first_seen.get(dob, known[-1][0]), known[-1][0])
        best = None
        if claims:
            # The value most agencies give; a tie goes to the one known first.
            counts = Counter(c.value for c in claims)
            best = min(counts, key=lambda d: (-counts[d], first_seen[d], d))
        return Child(
            person_id=person,
            records=tuple(sorted(self._record_agency[r] for r in records)),
            date_of_birth=best,
            dob_claims=tuple(sorted(claims, key=lambda c: (c.value, c.agency))),
        )

    def is_child(self, person: int, at: datetime) -> bool:
        """Under 18 by the best date of birth; with none, named as a child in an event."""
        child = self.child(person, at)
        if child.date_of_birth is not None:
            on = uk_date(at)
            born = child.date_of_birth
            return (on.year - born.year - ((on.month, on.day) < (born.month, born.day))) < ADULT_AGE
        records = set(self.records_of(person, at))
        return any(
            rec in records and role in CHILD_ROLES
            for r in records
            for versions in self._events_by_record.get(r, ())
            for v in versions
            if v.recorded_at <= at
            for rec, role in v.subjects
        )

    def events(self, records: list[int], at: datetime) -> list[Event]:
        mine = set(records)
        out: list[Event] = []
        seen: set[int] = set()
        for r in records:
            for versions in self._events_by_record.get(r, ()):
                known = [v for v in versions if v.recorded_at <= at]
                if not known or known[-1].event in seen:
                    continue
                latest = known[-1]
                roles = [role for rec, role in latest.subjects if rec in mine]
                if not roles:
                    continue  # a correction took the person off it
                seen.add(latest.event)
                out.append(self._event(latest, roles, mine, at))
        return out

    def _event(self, v: _Version, roles: list[str], mine: set[int], at: datetime) -> Event:
        code, event_id = self._event_names[v.event]
        name, sector = self._agencies.get(code, (code, ""))
        role = next((r for r in roles if r in CHILD_ROLES), None) or sorted(roles)[0]
        others = tuple(
            Subject(self.person_of(rec, at) or f"record:{rec}", role_)
            for rec, role_ in v.subjects
            if rec not in mine
        )
        # The same version seen the same way at another moment is the same (immutable) event.
        key = (v.id, role, others)
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = self._new_event(v, code, event_id, name, sector, role, others)
        return made

    @staticmethod
    def _new_event(
        v: _Version,
        code: str,
        event_id: str,
        name: str,
        sector: str,
        role: str,
        others: tuple[Subject, ...] = (),
    ) -> Event:
        return Event(
            agency=code,
            agency_name=name,
            sector=sector,
            event_id=event_id,
            type=v.type,
            occurred_at=v.occurred_at,
            recorded_at=v.recorded_at,
            details=v.details,
            role=role,
            others=others,
        )

    def context(self, person: int, at: datetime, *, household: bool = True) -> EvaluationContext:
        child = self.child(person, at)
        records = self.records_of(person, at)
        events = self.events(records, at)
        members = self._household(person, at, events) if household else []
        return EvaluationContext(child=child, now=at, events=events, household=members)

    # --- household ---------------------------------------------------------------------------

    def _household(self, person: int, at: datetime, events: list[Event]) -> list[HouseholdMember]:
        if self._households is None:
            self._households = _Households(self)
        return self._households.members(person, at, events)


def _load_events(
    records: list[int], until: datetime
) -> tuple[dict[int, list[list[_Version]]], dict[int, tuple[str, str]]]:
    """Each record's events (all versions of each known by `until`, oldest first), and each
    event's agency code and id."""
    version_ids = {
        v
        for (v,) in select_in(
            EventSubject, ["event_version"], where={}, column="record", values=records
        )
    }
    event_ids = {
        e
        for (e,) in select_in(
            EventVersion, ["event"], where={}, column="id", values=sorted(version_ids)
        )
    }
    rows = select_in(
        EventVersion,
        ["id", "event", "version", "type", "occurred_at", "recorded_at", "details"],
        where={},
        column="event",
        values=sorted(event_ids),
    )
    kept = [r for r in rows if aware_datetime(r[5]) <= until]
    subjects: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for version, record, role in select_in(
        EventSubject,
        ["event_version", "record", "role"],
        where={},
        column="event_version",
        values=[r[0] for r in kept],
    ):
        subjects[version].append((record, role))
    codes = dict(Agency.objects.values_list("pk", "code")) if event_ids else {}
    names = {
        pk: (codes[agency], event_id)
        for pk, agency, event_id in select_in(
            StoredEvent,
            ["id", "agency", "event_id"],
            where={},
            column="id",
            values=sorted(event_ids),
        )
    }
    by_event: dict[int, list[_Version]] = defaultdict(list)
    for r in sorted(kept, key=lambda r: (r[1], r[2])):
        details = r[6]
        if isinstance(details, str):
            details = orjson.loads(details)
        by_event[r[1]].append(
            _Version(
                r[0],
                r[1],
                r[2],
                r[3],
                aware_datetime(r[4]),
                aware_datetime(r[5]),
                details if isinstance(details, dict) else {},
                tuple(sorted(subjects.get(r[0], []))),
            )
        )
    out: dict[int, list[list[_Version]]] = defaultdict(list)
    for versions in by_event.values():
        for record in {rec for v in versions for rec, _ in v.subjects}:
            out[record].append(versions)
    return out, names


def just_before(at: datetime) -> datetime:
    return at - timedelta(microseconds=1)


# --- households, in memory ------------------------------------------------------------------
#
# The same households as identity's `household_build` gives at each moment (see
# jigsaw/identity/households.py for the rules), worked out from rows read once for every
# child of the snapshot: their records' versions, the records that ever shared a postcode with
# them, the household members' links, records, versions and events, and agencies' sectors.


@dataclass(frozen=True, slots=True)
class _PersonVersion:
    record: int
    recorded_at: datetime
    postcode: str  # as stored: members are looked for by it
    address: Address | None
    address_from: date | None
    given_name: str
    family_name: str
    date_of_birth: date | None

    @property
    def moved_in(self) -> date:
        return self.address_from or uk_date(self.recorded_at)


@dataclass(frozen=True, slots=True)
class _Residence:
    address: Address
    since: date
    open: bool


def _current_residence(versions: list[_PersonVersion]) -> _Residence | None:
    """The residence the record's versions leave open (as `residences_of`), if any."""
    out: list[_Residence] = []
    for v in versions:
        since = v.moved_in
        if out and out[-1].open:
            if v.address == out[-1].address:
                continue
            out[-1] = _Residence(out[-1].address, out[-1].since, False)
        if v.address is not None:
            out.append(_Residence(v.address, since, True))
    return out[-1] if out and out[-1].open else None


@dataclass
class _Source:
    agency: str
    sector: str
    record: int | None  # the agency's record of the member (None: not yet held)
    kind: str
    since: date | None
    relationship: str = ""
    change: int | None = None  # the household_change event


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _links_of(records: list[int], until: datetime) -> dict[int, list[tuple[datetime, int, int]]]:
    out: dict[int, list[tuple[datetime, int, int]]] = defaultdict(list)
    for record, person, known_from, link_id in sorted(
        select_in(
            Link,
            ["record", "person", "known_from", "id"],
            where={},
            column="record",
            values=records,
        ),
        key=lambda row: (row[0], row[3]),
    ):
        known = aware_datetime(known_from)
        if known <= until:
            out[record].append((known, link_id, person))
    return out


class _Households:
    """Every household the snapshot's children can have up to its `until`."""

    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        until = snap.until
        self._sector_history: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
        for code, recorded_at, sector in AgencyVersion.objects.order_by(
            "agency_id", "version"
        ).values_list("agency__code", "recorded_at", "sector"):
            self._sector_history[code].append((recorded_at, sector))
        self._sectors_at: dict[datetime, dict[str, str]] = {}
        child_records = sorted(snap._links)
        self.versions: dict[int, list[_PersonVersion]] = {}
        self._load_versions(child_records)
        units = sorted(
            {v.address.postcode for r in child_records for v in self.versions[r] if v.address}
        )
        # Records that ever gave one of those postcodes: by postcode, when they first did.
        self.by_postcode: dict[str, dict[int, datetime]] = defaultdict(dict)
        for record, postcode, recorded_at in select_in(
            PersonVersion, ["record", "postcode", "recorded_at"], where={}, column="postcode",
            values=units,
        ):  # fmt: skip
            recorded = aware_datetime(recorded_at)
            if recorded <= until:
                seen = self.by_postcode[postcode]
                seen[record] = min(seen.get(record, recorded), recorded)
        changed = {
            rec
            for r in child_records
            for versions in snap._events_by_record.get(r, ())
            for v in versions
            if v.type == "household_change"
            for rec, role in v.subjects
            if role == "household_member"
        }
        candidates = {r for seen in self.by_postcode.values() for r in seen} | changed
        self.links = dict(snap._links)
        self.links.update(_links_of(sorted(candidates - set(self.links)), until))
        persons = sorted({p for r in candidates for *_, p in self.links.get(r, ())})
        ever = {
            r for (r,) in select_in(Link, ["record"], where={}, column="person", values=persons)
        }
        self.links.update(_links_of(sorted(ever - set(self.links)), until))
        self.records_of_person: dict[int, set[int]] = defaultdict(set)
        for r, links in self.links.items():
            for *_, p in links:
                self.records_of_person[p].add(r)
        members = sorted((candidates | ever) - set(snap._links))
        self._load_versions(members)
        self.refs: dict[int, tuple[str, str]] = dict(snap._record_agency)
        codes = dict(Agency.objects.values_list("pk", "code"))
        for pk, agency, local_id in select_in(
            PersonRecord, ["id", "agency", "local_id"], where={}, column="id",
            values=[r for r in members if r not in self.refs],
        ):  # fmt: skip
            self.refs[pk] = (codes[agency], local_id)
        self.events = dict(snap._events_by_record)
        extra, names = _load_events(members, until)
        self.events.update(extra)
        snap._event_names.update(names)

    def _load_versions(self, records: list[int]) -> None:
        rows = select_in(
            PersonVersion,
            ["record", "version", "recorded_at", "address_line1", "address_line2", "postcode",
             "address_from", "given_name", "family_name", "date_of_birth"],
            where={}, column="record", values=records,
        )  # fmt: skip
        for r in records:
            self.versions[r] = []
        for row in sorted(rows, key=lambda row: (row[0], row[1])):
            recorded = aware_datetime(row[2])
            if recorded > self.snap.until:
                continue
            self.versions[row[0]].append(
                _PersonVersion(
                    row[0],
                    recorded,
                    row[5],
                    address_normalise(line1=row[3], line2=row[4], postcode=row[5]),
                    _date(row[6]),
                    row[7],
                    row[8],
                    _date(row[9]),
                )
            )

    # --- as known at a moment ---------------------------------------------------------------

    def sectors(self, at: datetime) -> dict[str, str]:
        got = self._sectors_at.get(at)
        if got is None:
            got = {}
            for code, history in self._sector_history.items():
                for recorded, sector in history:
                    if recorded <= at:
                        got[code] = sector
            self._sectors_at[at] = got
        return got

    def versions_at(self, record: int, at: datetime) -> list[_PersonVersion]:
        return [v for v in self.versions.get(record, ()) if v.recorded_at <= at]

    def person_at(self, record: int, at: datetime) -> int | None:
        person = None
        for known, _link, p in self.links.get(record, ()):
            if known <= at:
                person = p
        return person

    def members(self, person: int, at: datetime, events: list[Event]) -> list[HouseholdMember]:
        """The household as `household_build(person_id=person, as_of=at)` has it, for the
        engine: each source with when it was recorded, each member with their own events."""
        snap = self.snap
        sectors = self.sectors(at)
        on = uk_date(at)
        child_records = set(snap.records_of(person, at))
        addresses: set[Address] = set()
        for r in sorted(child_records):
            residence = _current_residence(self.versions_at(r, at))
            if residence is not None and residence.since <= on:
                addresses.add(residence.address)
        sources: dict[int, list[_Source]] = defaultdict(list)
        if addresses:
            near = {
                r
                for postcode in {a.postcode for a in addresses}
                for r, first in self.by_postcode.get(postcode, {}).items()
                if first <= at
            } - child_records
            for r in sorted(near):
                residence = _current_residence(self.versions_at(r, at))
                if residence is not None and residence.address in addresses:
                    agency = self.refs[r][0]
                    sources[r].append(
                        _Source(agency, sectors.get(agency, ""), r, "address", residence.since)
                    )
        changes: dict[int, _Source | None] = {}
        for v, member in self._changes(child_records, at):
            agency = snap._event_names[v.event][0]
            change = str(v.details.get("change", ""))
            if change == "joined":
                changes[member] = _Source(
                    agency, sectors.get(agency, ""), None, "household_change",
                    uk_date(v.occurred_at), str(v.details.get("relationship") or ""), v.event,
                )  # fmt: skip
            elif change == "left":
                changes[member] = None
        joined = {r: s for r, s in changes.items() if s is not None}
        member_records = set(sources) | set(joined)
        left = {r for r, s in changes.items() if s is None}
        for r, source in joined.items():
            if self.versions_at(r, at):
                source.record = r
            sources[r].append(source)
        persons = {r: p for r in member_records if (p := self.person_at(r, at)) is not None}
        grouped: dict[Any, list[int]] = defaultdict(list)
        for r in member_records:
            if persons.get(r) == person:
                continue
            grouped[persons.get(r, f"record:{r}")].append(r)
        member_persons = {k for k in grouped if isinstance(k, int)}
        ever = {
            r
            for p in member_persons
            for r in self.records_of_person.get(p, ())
            if any(known <= at and lp == p for known, _l, lp in self.links[r])
        }
        for r in sorted(ever - member_records):
            p = self.person_at(r, at)
            if p in member_persons:
                grouped[p].append(r)
                member_records.add(r)
        known_to_social_care = self._social_care_pairs(child_records, member_records, at, sectors)
        agencies = snap._agencies
        out = []
        for key, records in grouped.items():
            kept = [
                s
                for r in records
                for s in sources.get(r, [])
                if not (r in left and s.kind == "household_change")
            ]
            if not kept:
                continue
            held = [(r, vs) for r in records if (vs := self.versions_at(r, at))]
            latest = [vs[-1] for _r, vs in held]
            name = next(
                (" ".join(x for x in (v.given_name, v.family_name) if x) for v in latest), ""
            )
            dob = next((v.date_of_birth for v in latest if v.date_of_birth), None)
            relationship = next((s.relationship for s in kept if s.relationship), "")
            adult = _age(dob, on) >= ADULT_AGE if dob else relationship in ADULT_RELATIONSHIPS
            known = any(s.sector == "social_care" for s in kept) or any(
                r in known_to_social_care for r in records
            )
            member_pks = sorted(r for r, _vs in held)
            kept.sort(key=lambda s: (s.since or date.min, s.agency, self._ref(s.record)))
            out.append(
                HouseholdMember(
                    person_id=key
                    if isinstance(key, int)
                    else f"record:{member_pks[0]}"
                    if member_pks
                    else f"member:{name}",
                    name=name,
                    relationship=relationship,
                    adult=adult,
                    since=min((s.since for s in kept if s.since), default=None),
                    sources=tuple(self._source(s, at, events) for s in kept),
                    known_to_social_care=known,
                    events=tuple(self._member_events(member_pks, at, agencies)),
                )
            )
        return out

    def _ref(self, record: int | None) -> str:
        if record is None:
            return ""
        code, local = self.refs[record]
        return f"{code}:{local}"

    def _source(self, s: _Source, at: datetime, events: list[Event]) -> HouseholdSource:
        name = self.snap._agencies.get(s.agency, (s.agency, ""))[0]
        if s.kind == "address":
            assert s.record is not None
            versions = self.versions_at(s.record, at)
            recorded = next((v.recorded_at for v in versions if v.moved_in == s.since), None)
            if recorded is None:
                recorded = versions[-1].recorded_at if versions else at
            return HouseholdSource(
                s.agency, name, s.sector, s.kind, self.refs[s.record][1], s.since, recorded
            )
        change = next(
            (
                e
                for e in reversed(events)
                if e.type == "household_change"
                and e.agency == s.agency
                and uk_date(e.occurred_at) == s.since
                and e.text("change") == "joined"
            ),
            None,
        )
        return HouseholdSource(
            s.agency,
            name,
            s.sector,
            s.kind,
            change.event_id if change else "",
            s.since,
            change.recorded_at if change else at,
        )

    def _latest_versions(self, records: set[int] | list[int], at: datetime) -> list[_Version]:
        """The latest version known at `at` of each event naming one of `records` in any
        version then known."""
        out: dict[int, _Version] = {}
        for r in records:
            for versions in self.events.get(r, ()):
                if versions[0].event in out:
                    continue
                latest = None
                for v in versions:
                    if v.recorded_at <= at:
                        latest = v
                if latest is not None:
                    out[latest.event] = latest
        return list(out.values())

    def _changes(self, child_records: set[int], at: datetime) -> list[tuple[_Version, int]]:
        """(latest version, member record) of each household change about the child known at
        `at`, in the order they happened."""
        found = [
            v
            for v in self._latest_versions(child_records, at)
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
        social = {code for code, sector in sectors.items() if sector == "social_care"}
        if not social or not member_records:
            return set()
        out: set[int] = set()
        names = self.snap._event_names
        for r in child_records:
            for versions in self.events.get(r, ()):
                if names[versions[0].event][0] not in social:
                    continue
                for v in versions:
                    if v.recorded_at <= at:
                        named = {rec for rec, _role in v.subjects}
                        if named & child_records:
                            out |= named & member_records
        return out

    def _member_events(
        self, records: list[int], at: datetime, agencies: dict[str, tuple[str, str]]
    ) -> list[Event]:
        mine = set(records)
        out = []
        for v in self._latest_versions(records, at):
            roles = sorted(role for rec, role in v.subjects if rec in mine)
            if not roles:
                continue
            key = (v.id, roles[0], ())
            made = self.snap._made.get(key)
            if made is None:
                code, event_id = self.snap._event_names[v.event]
                name, sector = agencies.get(code, (code, ""))
                made = Snapshot._new_event(v, code, event_id, name, sector, roles[0])
                self.snap._made[key] = made
            out.append(made)
        return out


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
