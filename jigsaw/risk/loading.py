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

from jigsaw.core.bulk import aware_datetime, select_in
from jigsaw.core.dates import uk_date
from jigsaw.identity.households import Household, household_build
from jigsaw.identity.models import Link
from jigsaw.records.models import (
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
                if isinstance(dob, str):
                    dob = date.fromisoformat(dob)
                self._versions[record].append((recorded, dob))
        self._events_by_record = self._load_events(records)

    # --- events ---------------------------------------------------------------------------

    def _load_events(self, records: list[int]) -> dict[int, list[list[_Version]]]:
        """Each record's events: all versions of each, oldest first."""
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
        kept = [r for r in rows if aware_datetime(r[5]) <= self.until]
        subjects: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for version, record, role in select_in(
            EventSubject,
            ["event_version", "record", "role"],
            where={},
            column="event_version",
            values=[r[0] for r in kept],
        ):
            subjects[version].append((record, role))
        self._event_names: dict[int, tuple[str, str]] = (
            {
                pk: (code, event_id)
                for pk, code, event_id in StoredEvent.objects.filter(pk__in=event_ids).values_list(
                    "pk", "agency__code", "event_id"
                )
            }
            if event_ids
            else {}
        )
        by_event: dict[int, list[_Version]] = defaultdict(list)
        for r in sorted(kept, key=lambda r: (r[1], r[2])):
            details = r[6]
            if isinstance(details, str):
                import orjson

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
        return out

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
        return sorted(r for r in self._links if self.person_of(r, at) == person)

    def change_points(self, person: int) -> list[datetime]:
        """Every moment something about the person became known: a link, a version of one of
        their records, an event becoming recorded or happening."""
        points: set[datetime] = set()
        records = [r for r, links in self._links.items() if any(p == person for *_, p in links)]
        for r in records:
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

    # --- household ------------------------------------------------------------------------

    def _household(self, person: int, at: datetime, events: list[Event]) -> list[HouseholdMember]:
        built: Household = household_build(person_id=person, as_of=at)
        if not built.members:
            return []
        refs = {ref for m in built.members for ref in m.records}
        ids = _record_ids(refs)
        member_records = {ids[ref] for ref in refs if ref in ids}
        extra = _MemberRows(sorted(member_records), at)
        changes = [e for e in events if e.type == "household_change"]
        out = []
        for m in built.members:
            records = sorted(ids[ref] for ref in m.records if ref in ids)
            sources = []
            for s in m.sources:
                name = self._agencies.get(s.agency, (s.agency, ""))[0]
                if s.kind == "address":
                    local = s.record.split(":", 1)[-1]
                    recorded = extra.first_recorded(ids.get(s.record), s.since) or at
                    sources.append(
                        HouseholdSource(s.agency, name, s.sector, s.kind, local, s.since, recorded)
                    )
                else:
                    change = next(
                        (
                            e
                            for e in reversed(changes)
                            if e.agency == s.agency
                            and uk_date(e.occurred_at) == s.since
                            and e.text("change") == "joined"
                        ),
                        None,
                    )
                    sources.append(
                        HouseholdSource(
                            s.agency,
                            name,
                            s.sector,
                            s.kind,
                            change.event_id if change else "",
                            s.since,
                            change.recorded_at if change else at,
                        )
                    )
            out.append(
                HouseholdMember(
                    person_id=m.person_id
                    if m.person_id is not None
                    else f"record:{records[0]}"
                    if records
                    else f"member:{m.name}",
                    name=m.name,
                    relationship=m.relationship,
                    adult=m.adult,
                    since=m.since,
                    sources=tuple(sources),
                    known_to_social_care=m.known_to_social_care,
                    events=tuple(extra.events(records, self._agencies)),
                )
            )
        return out


def _record_ids(refs: set[str]) -> dict[str, int]:
    by_agency: dict[str, list[str]] = defaultdict(list)
    for ref in refs:
        agency, local = ref.split(":", 1)
        by_agency[agency].append(local)
    out: dict[str, int] = {}
    for agency, locals_ in by_agency.items():
        for pk, local in PersonRecord.objects.filter(
            agency__code=agency, local_id__in=locals_
        ).values_list("pk", "local_id"):
            out[f"{agency}:{local}"] = pk
    return out


class _MemberRows:
    """Household members' own record versions and events, as known at a moment."""

    def __init__(self, records: list[int], at: datetime) -> None:
        self.at = at
        self.versions: dict[int, list[PersonVersion]] = defaultdict(list)
        for v in PersonVersion.objects.filter(record_id__in=records, recorded_at__lte=at).order_by(
            "record_id", "version"
        ):
            self.versions[v.record_id].append(v)
        subjects = EventSubject.objects.filter(
            record_id__in=records, event_version__recorded_at__lte=at
        ).values_list("event_version__event_id", flat=True)
        latest: dict[int, EventVersion] = {}
        for ev in (
            EventVersion.objects.filter(event_id__in=set(subjects), recorded_at__lte=at)
            .select_related("event__agency")
            .prefetch_related("subjects")
            .order_by("event_id", "version")
        ):
            latest[ev.event_id] = ev
        self.latest = latest

    def first_recorded(self, record: int | None, since: date | None) -> datetime | None:
        """When the version that put the member at the address was recorded."""
        versions = self.versions.get(record or -1, [])
        for v in versions:
            if (v.address_from or uk_date(v.recorded_at)) == since:
                return v.recorded_at
        return versions[-1].recorded_at if versions else None

    def events(self, records: list[int], agencies: dict[str, tuple[str, str]]) -> list[Event]:
        mine = set(records)
        out = []
        for ev in self.latest.values():
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


def just_before(at: datetime) -> datetime:
    return at - timedelta(microseconds=1)
