"""The household as the loader used to build it: identity's `household_build`, one child and
one moment at a time, with the members' rows read afresh. Slow; kept to check the in-memory
households against."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from jigsaw.core.dates import uk_date
from jigsaw.identity.households import Household, household_build
from jigsaw.records.models import EventSubject, EventVersion, PersonRecord, PersonVersion
from jigsaw.risk.engine import EvaluationContext, Event, HouseholdMember, HouseholdSource
from jigsaw.risk.loading import Snapshot


def reference_context(snapshot: Snapshot, person: int, at: datetime) -> EvaluationContext:
    child = snapshot.child(person, at)
    events = snapshot.events(snapshot.records_of(person, at), at)
    members = reference_household(snapshot, person, at, events)
    return EvaluationContext(child=child, now=at, events=events, household=members)


def reference_household(
    snapshot: Snapshot, person: int, at: datetime, events: list[Event]
) -> list[HouseholdMember]:
    agencies = snapshot._agencies
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
            name = agencies.get(s.agency, (s.agency, ""))[0]
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
                events=tuple(extra.events(records, agencies)),
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
