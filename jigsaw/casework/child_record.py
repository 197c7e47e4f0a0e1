"""Reads for a child's record page and multi-agency chronology, and the significance mark.

Every read takes the acting user and goes through the selectors that apply need-to-know and
write the audit entry (identity's `person_detail`, `person_chronology`, `household_of`; risk's
`flags_list`); what is added here is cut down to the same access. The record page works out
need-to-know once for the page (`resolved_once`).
A person the user may not see raises `ChildNotFound`, exactly as one that does not exist.

Agency staff (`Extent.AGENCY`) get the shared summary: who the child is and where they live as
their own agency's records say, the child's legal status and who holds the case (so they know
whom to call, as CP-IS tells the NHS), the flags, and their own agency's records and entries;
never another agency's records, entries or household detail.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.db import transaction

from jigsaw.access.models import AuditEntry, BreakGlass
from jigsaw.access.need_to_know import (
    RESTRICTIONS,
    Access,
    Extent,
    NoAccess,
    Viewer,
    access_to,
    allocation_for,
    audit_read,
    audit_refused,
    person_scope,
    resolved_once,
    viewer_of,
)
from jigsaw.access.roles import Role
from jigsaw.access.selectors import audit_for_person, break_glass_active
from jigsaw.casework.models import Allocation, Significance
from jigsaw.core.clock import clock
from jigsaw.core.dates import parse_instant, uk_date
from jigsaw.identity.households import Member
from jigsaw.identity.models import Person
from jigsaw.identity.selectors import (
    LinkAsOf,
    RecordView,
    household_of,
    links_as_of,
    person_chronology,
    person_detail,
    person_records_as_of,
)
from jigsaw.identity.services import NotFound, may_decide
from jigsaw.records.models import (
    AgencyVersion,
    EventVersion,
    PersonRecord,
    PersonVersion,
)
from jigsaw.records.selectors import ChronologyEntry, records_chronology
from jigsaw.risk.selectors import FlagView, flags_list

_MAX_ID = 2**63 - 1
ACCESS_LOG_ROWS = 20
# Entries the log is grouped from: one page view writes several (record, household, flags…).
_ACCESS_LOG_SCAN = 400
RECENT_PROFESSIONALS = timedelta(days=365)
PROFESSIONALS_SHOWN = 12
CHRONOLOGY_PAGE = 100  # entries on a page of the chronology (its exports hold every one)
ADULT_AGE = 18
STATUS_TYPES = frozenset({"cp_conference", "placement", "assessment"})


class ChildNotFound(LookupError):
    """No such person, or one the user may not see: the two look the same."""


class ReadOnly(PermissionDenied):
    """The user may see the child's record but not change anything on it."""


class StaleMark(Exception):
    """Someone changed the entry's mark since the page was shown: nothing was recorded."""

    def __init__(self, latest: Significance | None) -> None:
        super().__init__("the mark changed since the page was shown")
        self.latest = latest


def _pk(person_id: int | str) -> int | None:
    try:
        number = int(person_id)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= _MAX_ID else None


def _open(viewer: Viewer, person_id: int | str, *, object_type: str, act: bool = False) -> Access:
    """What the viewer may see of the person; refusals audited and said as 'not found' (and,
    for someone who may see but not act, ReadOnly)."""
    pk = _pk(person_id)
    if pk is None or not Person.objects.filter(pk=pk).exists():
        audit_refused(
            viewer, object_type=object_type, object_id=str(person_id)[:200], why="no such person"
        )
        raise ChildNotFound(f"there is no person {person_id} open to you")
    access = access_to(viewer, pk)
    if access is None or (act and not access.may_act):
        audit_refused(
            viewer,
            object_type=object_type,
            object_id=str(pk),
            person_ids=[str(pk)],
            why="read-only access" if access is not None else "no need-to-know",
        )
        if access is None:
            raise ChildNotFound(f"there is no person {person_id} open to you")
        raise ReadOnly("your access to this child's record is read-only")
    return access


# --- anchors, agencies --------------------------------------------------------------------


def entry_anchor(agency: str, event_id: str) -> str:
    """The id of an entry's row in the chronology (event ids may hold any character: those
    an HTML id or a URL fragment would mangle are spelt as _hex)."""
    raw = f"{agency}-{event_id}"
    return "entry-" + re.sub(r"[^A-Za-z0-9-]", lambda m: f"_{ord(m.group()):x}", raw)


def agency_names(*, as_of: datetime | None = None) -> dict[str, str]:
    """Each agency's name as known on `as_of` (its code when it had none by then)."""
    moment = as_of or clock.now()
    names: dict[str, str] = {}
    for code, name in (
        AgencyVersion.objects.filter(recorded_at__lte=moment)
        .order_by("agency_id", "recorded_at", "version")
        .values_list("agency__code", "name")
    ):
        names[code] = name
    return names


def agency_sectors() -> dict[str, str]:
    sectors: dict[str, str] = {}
    for code, sector in AgencyVersion.objects.order_by("agency_id", "version").values_list(
        "agency__code", "sector"
    ):
        sectors[code] = sector
    return sectors


# --- who the child is ---------------------------------------------------------------------


@dataclass(frozen=True)
class Said:
    """A value some agencies' records give, and which agencies."""

    value: Any
    agencies: list[str]


@dataclass(frozen=True)
class Residence:
    address: str
    agencies: list[tuple[str, date | None]]  # (agency code, since)


@dataclass(frozen=True)
class Identity:
    """Who the child is, from the records the viewer may see: the most complete one's name
    and date of birth, and every different value the records give."""

    name: str
    date_of_birth: date | None
    nhs_number: str
    names: list[Said]
    dates_of_birth: list[Said]
    nhs_numbers: list[Said]
    residences: list[Residence]

    def age_on(self, day: date) -> tuple[int, int] | None:
        """(years, months) on `day`; None without a date of birth (or before it)."""
        born = self.date_of_birth
        if born is None or day < born:
            return None
        months = (day.year - born.year) * 12 + day.month - born.month - (day.day < born.day)
        return months // 12, months % 12

    @property
    def disagree(self) -> bool:
        return len(self.names) > 1 or len(self.dates_of_birth) > 1 or len(self.nhs_numbers) > 1


def _said(values: Iterable[tuple[Any, str]], key: Any = None) -> list[Said]:
    """Group (value, agency) pairs by value (compared by `key`), most agencies first."""
    groups: dict[Any, tuple[Any, list[str]]] = {}
    for value, agency in values:
        if value in (None, ""):
            continue
        k = key(value) if key else value
        _, agencies = groups.setdefault(k, (value, []))
        if agency not in agencies:
            agencies.append(agency)
    ordered = sorted(groups.values(), key=lambda g: (-len(g[1]), sorted(g[1])))
    return [Said(value, sorted(agencies)) for value, agencies in ordered]


def _completeness(r: RecordView) -> int:
    return sum(
        bool(x)
        for x in (r.given_name, r.family_name, r.date_of_birth, r.nhs_number, r.postcode, r.address)
    )


def _full_name(given: str, family: str) -> str:
    return " ".join(n for n in (given, family) if n)


def identity_of(records: Sequence[RecordView], *, person_id: int, as_of: datetime) -> Identity:
    best = max(records, key=lambda r: (_completeness(r), r.agency), default=None)
    return Identity(
        name=_full_name(best.given_name, best.family_name) if best else f"Person {person_id}",
        date_of_birth=best.date_of_birth if best else None,
        nhs_number=best.nhs_number if best else "",
        names=_said(
            ((_full_name(r.given_name, r.family_name), r.agency) for r in records),
            key=lambda n: " ".join(n.casefold().split()),
        ),
        dates_of_birth=_said((r.date_of_birth, r.agency) for r in records),
        nhs_numbers=_said((r.nhs_number, r.agency) for r in records),
        residences=_residences([r.record_id for r in records], as_of=as_of),
    )


def _address_key(line1: str, postcode: str) -> tuple[str, str]:
    return " ".join(line1.casefold().split()), postcode.replace(" ", "").upper()


def _residences(record_ids: list[int], *, as_of: datetime) -> list[Residence]:
    """Each record's address now, and since when: the `address_from` of the version that first
    gave it (or the day that version was recorded). A version with no address ends the last."""
    current: dict[int, tuple[tuple[str, str], str, date | None, str]] = {}
    for v in (
        PersonVersion.objects.filter(record_id__in=record_ids, recorded_at__lte=as_of)
        .select_related("record__agency")
        .order_by("record_id", "recorded_at", "version")
    ):
        if not (v.address_line1 or v.postcode):
            current.pop(v.record_id, None)
            continue
        key = _address_key(v.address_line1, v.postcode)
        held = current.get(v.record_id)
        if held is not None and held[0] == key:
            continue
        text = ", ".join(
            x for x in (v.address_line1, v.address_line2, v.address_town, v.postcode) if x
        )
        since = v.address_from or uk_date(v.recorded_at)
        current[v.record_id] = (key, text, since, v.record.agency.code)
    by_address: dict[tuple[str, str], tuple[str, dict[str, date | None]]] = {}
    for key, text, began, agency in current.values():
        _, agencies = by_address.setdefault(key, (text, {}))
        earlier = agencies.get(agency)
        agencies[agency] = began if earlier is None or (began and began < earlier) else earlier
    ordered = sorted(by_address.values(), key=lambda a: (-len(a[1]), a[0]))
    return [Residence(text, sorted(agencies.items())) for text, agencies in ordered]


# --- legal status -------------------------------------------------------------------------


@dataclass(frozen=True)
class LegalStatus:
    """What the latest conference, placement and assessment events say. Jigsaw holds the
    agencies' events, not the court's orders: the status is read from them, and said so."""

    conference: ChronologyEntry | None = None  # the latest child protection conference
    plan_since: ChronologyEntry | None = None  # the conference that started the current plan
    placement: ChronologyEntry | None = None  # the latest placement
    assessment: ChronologyEntry | None = None  # the latest assessment

    @property
    def on_plan(self) -> bool:
        return self.conference is not None and self.conference.details.get("outcome") == "plan"

    @property
    def looked_after(self) -> bool:
        return self.placement is not None and not self.placement.details.get("ended")

    @property
    def child_in_need(self) -> bool:
        if self.assessment is None:
            return False
        outcome = str(self.assessment.details.get("outcome") or "").casefold()
        return "need" in outcome or outcome in {"cin", "section_17", "s17"}


def legal_status_of(entries: Iterable[ChronologyEntry]) -> LegalStatus:
    conference = plan_since = placement = assessment = None
    for e in sorted(entries, key=lambda e: (e.occurred_at, e.recorded_at)):
        if e.type == "cp_conference":
            planned = e.details.get("outcome") == "plan"
            if planned and (conference is None or conference.details.get("outcome") != "plan"):
                plan_since = e
            conference = e
        elif e.type == "placement":
            placement = e
        elif e.type == "assessment":
            assessment = e
    if conference is None or conference.details.get("outcome") != "plan":
        plan_since = None
    return LegalStatus(conference, plan_since, placement, assessment)


# --- the child's record page ---------------------------------------------------------------


@dataclass(frozen=True)
class Named:
    """Someone an agency named with the child in an event, and as what."""

    ref: str  # AGENCY:LOCAL_ID
    agency: str
    role: str
    last: datetime
    anchor: str


@dataclass(frozen=True)
class Professional:
    name: str
    role: str
    agency: str
    last: datetime
    anchor: str


@dataclass(frozen=True)
class NetworkPerson:
    """A person named with the child in agency events who is not in the household as known."""

    person_id: int | None
    name: str
    date_of_birth: date | None
    named: list[Named]
    may_open: bool


@dataclass(frozen=True)
class HouseholdPerson:
    member: Member
    named: list[Named]  # what the child's events call them
    may_open: bool  # the viewer may open their record


@dataclass(frozen=True)
class AccessLogRow:
    at: datetime
    username: str
    role: str
    action: str
    what: list[str]  # object types, in the order first seen
    basis: str
    reason: str


@dataclass(frozen=True)
class ChildRecord:
    person_id: int
    access: Access
    identity: Identity
    records: list[RecordView]  # linked records the viewer may see
    agency_names: dict[str, str]
    agency_sectors: dict[str, str]
    legal_status: LegalStatus
    allocation: Allocation | None
    flags: list[FlagView]  # open or acknowledged, most urgent first
    household: list[HouseholdPerson]
    network: list[NetworkPerson]
    adults_unknown: list[HouseholdPerson]
    professionals: list[Professional]
    # The chronology's rows this viewer has, each with the page it is on (newest first, no
    # filters), for evidence links.
    anchors: dict[str, int]
    break_glass: BreakGlass | None
    access_log: list[AccessLogRow] | None  # None: not for this viewer
    as_of: datetime
    may_merge: bool = False  # may merge this person with another (linkage decisions)

    @property
    def own_agency_only(self) -> bool:
        return self.access.extent is Extent.AGENCY


def child_record(*, person_id: int | str, user: Any) -> ChildRecord:
    """Everything the child's record page shows, each part read through its own audited
    selector under the viewer's need-to-know (worked out once for the page, as at its instant)."""
    viewer = viewer_of(user)
    with resolved_once(viewer) as now:
        return _child_record(viewer, person_id, now)


def _child_record(viewer: Viewer, person_id: int | str, now: datetime) -> ChildRecord:
    access = _open(viewer, person_id, object_type="person")
    pk = access.person_id
    try:
        detail = person_detail(person_id=pk, user=viewer, as_of=now)
        entries = person_chronology(person_id=pk, user=viewer, as_of=now).entries
        # household_of opens the person itself (existence and need-to-know): the id is enough.
        household = household_of(person=Person(pk=pk), user=viewer, as_of=now)
    except (NotFound, NoAccess):  # access ended between the calls: as if never there
        raise ChildNotFound(f"there is no person {person_id} open to you") from None
    own_refs = {r.ref for r in detail.records}
    agency_only = access.extent is Extent.AGENCY

    # The legal status is part of the shared summary: agency staff get it read from social
    # care's events (never a restricted one), though they never see those entries.
    status_entries = _status_entries(pk, now) if agency_only else entries

    named = _named_with(entries, own_refs)
    members = household.members
    if agency_only:
        members = _own_agency_members(members, access.agency_code)
    in_household = {ref for m in members for ref in m.records}
    others = {ref: rows for ref, rows in named.items() if ref not in in_household}

    people = [m.person_id for m in members if m.person_id is not None]
    network = _network(viewer, others, now)
    people += [p.person_id for p in network if p.person_id is not None]
    scope = person_scope(viewer, at=now, among=people) if people else None
    opens = {p: scope is not None and p in scope for p in set(people)}
    household_people = [
        HouseholdPerson(
            m,
            [n for ref in m.records for n in named.get(ref, [])],
            m.person_id is not None and opens.get(m.person_id, False),
        )
        for m in members
    ]
    network = [replace(p, may_open=p.person_id is not None and opens[p.person_id]) for p in network]
    unknown_ids = {id(m) for m in household.adults_unknown_to_social_care}
    adults_unknown = (
        [] if agency_only else [h for h in household_people if id(h.member) in unknown_ids]
    )

    flags = [f for f in flags_list(user=viewer, person=pk) if f.state != "closed"]
    grant = (
        break_glass_active(user=viewer.user, person_id=str(pk))
        if access.basis.value == "break_glass"
        else None
    )
    log = record_access_log(person_id=pk, user=viewer) if may_see_access_log(viewer, pk) else None
    return ChildRecord(
        person_id=pk,
        access=access,
        identity=identity_of(detail.records, person_id=pk, as_of=now),
        records=detail.records,
        agency_names=agency_names(as_of=now),
        agency_sectors=agency_sectors(),
        legal_status=legal_status_of(status_entries),
        allocation=allocation_for(viewer, pk, at=now),
        flags=flags,
        household=household_people,
        network=network,
        adults_unknown=adults_unknown,
        professionals=_professionals(entries, now),
        anchors={
            entry_anchor(e.agency, e.event_id): chronology_page_of(len(entries) - 1 - i)
            for i, e in enumerate(entries)
        },
        break_glass=grant,
        access_log=log,
        as_of=now,
        may_merge=access.may_act and may_decide(viewer),
    )


def chronology_page_of(position: int) -> int:
    """The page (from 1) of the chronology that shows the entry at this position (from 0)."""
    return position // CHRONOLOGY_PAGE + 1


def _restricted(e: ChronologyEntry) -> bool:
    return (e.details or {}).get("restriction") in RESTRICTIONS


def _status_entries(person_id: int, at: datetime) -> list[ChronologyEntry]:
    records = person_records_as_of(person_id=person_id, as_of=at)
    return [
        e
        for e in records_chronology(record_ids=sorted(records), as_of=at)
        if e.type in STATUS_TYPES and not _restricted(e)
    ]


def _own_agency_members(members: list[Member], agency: str) -> list[Member]:
    """The household as the viewer's own agency's records hold it."""
    out = []
    for m in members:
        own = [s for s in m.sources if s.agency == agency]
        if own:
            records = [r for r in m.records if r.startswith(f"{agency}:")]
            out.append(replace(m, sources=own, records=records, known_to_social_care=False))
    return out


def _named_with(entries: list[ChronologyEntry], own_refs: set[str]) -> dict[str, list[Named]]:
    """Other people's records named in the child's entries: ref → how each agency named them
    (the latest entry for each role)."""
    latest: dict[tuple[str, str], Named] = {}
    for e in entries:
        for local_id, role in e.subjects:
            ref = f"{e.agency}:{local_id}"
            if ref in own_refs or ref == e.record:
                continue
            key = (ref, role)
            if key not in latest or latest[key].last <= e.occurred_at:
                latest[key] = Named(
                    ref, e.agency, role, e.occurred_at, entry_anchor(e.agency, e.event_id)
                )
    out: dict[str, list[Named]] = defaultdict(list)
    for (ref, _role), n in sorted(latest.items(), key=lambda kv: kv[1].last, reverse=True):
        out[ref].append(n)
    return dict(out)


def _network(viewer: Viewer, named: dict[str, list[Named]], at: datetime) -> list[NetworkPerson]:
    """The people behind the other records named with the child, by person where linked."""
    if not named:
        return []
    pairs = [ref.split(":", 1) for ref in named]
    records = {
        f"{code}:{local}": pk
        for pk, code, local in PersonRecord.objects.filter(
            agency__code__in={a for a, _ in pairs}, local_id__in={lid for _, lid in pairs}
        ).values_list("pk", "agency__code", "local_id")
        if f"{code}:{local}" in named
    }
    latest: dict[int, PersonVersion] = {}
    for v in PersonVersion.objects.filter(
        record_id__in=records.values(), recorded_at__lte=at
    ).order_by("record_id", "recorded_at", "version"):
        latest[v.record_id] = v
    links: dict[int, LinkAsOf] = links_as_of(record_ids=list(records.values()), as_of=at)
    people: dict[Any, NetworkPerson] = {}
    for ref, record_id in sorted(records.items()):
        link = links.get(record_id)
        person = link.person_id if link is not None else None
        version = latest.get(record_id)
        key = person if person is not None else ref
        rows = named[ref]
        if key in people:
            held = people[key]
            people[key] = replace(held, named=[*held.named, *rows])
            continue
        people[key] = NetworkPerson(
            person_id=person,
            name=_full_name(version.given_name, version.family_name) if version else ref,
            date_of_birth=version.date_of_birth if version else None,
            named=rows,
            may_open=False,
        )
    return sorted(people.values(), key=lambda p: max(n.last for n in p.named), reverse=True)


def _professionals(entries: list[ChronologyEntry], now: datetime) -> list[Professional]:
    """Named authors of the child's entries in the last year, most recent first."""
    since = now - RECENT_PROFESSIONALS
    latest: dict[tuple[str, str, str], Professional] = {}
    for e in entries:
        if not e.author_name or e.occurred_at < since:
            continue
        key = (e.author_name.casefold(), e.author_role.casefold(), e.agency)
        if key not in latest or latest[key].last <= e.occurred_at:
            latest[key] = Professional(
                e.author_name,
                e.author_role,
                e.agency,
                e.occurred_at,
                entry_anchor(e.agency, e.event_id),
            )
    ordered = sorted(latest.values(), key=lambda p: p.last, reverse=True)
    return ordered[:PROFESSIONALS_SHOWN]


# --- who has looked at the record -------------------------------------------------------------


def may_see_access_log(viewer: Viewer, person_id: int) -> bool:
    """Heads of service, and managers of the team that holds the child's case."""
    if viewer.role == Role.HEAD_OF_SERVICE:
        return True
    if viewer.role != Role.TEAM_MANAGER:
        return False
    held = allocation_for(viewer, person_id)
    return held is not None and held.team_id in viewer.managed_team_ids


def record_access_log(
    *, person_id: int | str, user: Any, limit: int = ACCESS_LOG_ROWS
) -> list[AccessLogRow]:
    """Who has looked at or changed anything about the child, newest first: the entries one
    person wrote in one go (a page's several reads) as one row. For heads of service and the
    managers of the child's team only; the look is itself audited."""
    viewer = viewer_of(user)
    access = _open(viewer, person_id, object_type="access_log")
    if not may_see_access_log(viewer, access.person_id):
        audit_refused(
            viewer,
            object_type="access_log",
            object_id=str(access.person_id),
            person_ids=[str(access.person_id)],
            why="not the manager of the child's team",
        )
        raise PermissionDenied("only the child's team manager and heads of service see this")
    rows: list[AccessLogRow] = []
    scanned = audit_for_person(person_id=str(access.person_id))[:_ACCESS_LOG_SCAN]
    for entry in scanned:
        last = rows[-1] if rows else None
        if (
            last is not None
            and last.username == entry.username
            and last.action == entry.action
            and abs((last.at - entry.at).total_seconds()) < 60
        ):
            if entry.object_type not in last.what:
                last.what.append(entry.object_type)
            continue
        if len(rows) == limit:
            break
        rows.append(
            AccessLogRow(
                at=entry.at,
                username=entry.username,
                role=entry.role,
                action=entry.action,
                what=[entry.object_type],
                basis=entry.basis,
                reason=entry.reason,
            )
        )
    audit_read(
        viewer,
        object_type="access_log",
        object_id=str(access.person_id),
        accesses=[access],
        detail={"rows": len(rows)},
    )
    return rows


# --- the chronology ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the chronology page, its exports and its mark forms are asked for."""

    agencies: frozenset[str] = frozenset()
    type: str = ""
    significant_only: bool = False
    oldest_first: bool = False
    as_of: date | None = None  # as known at the end of this day, UK time

    @property
    def as_of_instant(self) -> datetime | None:
        if self.as_of is None:
            return None
        return parse_instant(self.as_of.isoformat(), end_of_day=True)

    @property
    def narrowed(self) -> bool:
        return bool(self.agencies or self.type or self.significant_only)

    def query(self) -> str:
        """The query string that asks for these filters again ('' for none)."""
        pairs: list[tuple[str, str]] = [("agency", a) for a in sorted(self.agencies)]
        if self.type:
            pairs.append(("type", self.type))
        if self.significant_only:
            pairs.append(("significant", "yes"))
        if self.oldest_first:
            pairs.append(("order", "oldest"))
        if self.as_of is not None:
            pairs += [
                ("as-of-day", str(self.as_of.day)),
                ("as-of-month", str(self.as_of.month)),
                ("as-of-year", str(self.as_of.year)),
            ]
        return urlencode(pairs)

    def as_detail(self) -> dict[str, Any]:
        return {
            "agencies": sorted(self.agencies),
            "type": self.type or None,
            "significant_only": self.significant_only,
            "order": "oldest first" if self.oldest_first else "newest first",
            "as_of": self.as_of.isoformat() if self.as_of else None,
        }


@dataclass(frozen=True)
class Mark:
    significant: bool
    marked_at: datetime
    marked_by: str
    note: str


@dataclass(frozen=True)
class Entry:
    """One chronology entry as the viewer may see it, with its significance as it stands."""

    entry: ChronologyEntry
    anchor: str
    mark: Mark | None
    mark_id: int  # the latest mark's id (0: none): the version the mark form was shown at

    @property
    def significant(self) -> bool:
        return self.mark is not None and self.mark.significant


@dataclass(frozen=True)
class ChildChronology:
    person_id: int
    access: Access
    name: str
    date_of_birth: date | None
    filters: Filters
    entries: list[Entry]  # those the filters keep, in the order asked for
    total: int  # entries before the filters
    withheld: int  # entries need-to-know held back (restricted; other agencies' for agency staff)
    agencies: dict[str, str]  # code → name, for every agency with a visible entry
    types: list[str]  # event types among the visible entries
    record_ids: list[int]  # the agency person records whose events are shown
    as_of: datetime  # the moment the chronology is as known on (now, without a date)

    @property
    def own_agency_only(self) -> bool:
        return self.access.extent is Extent.AGENCY


def child_access(*, person_id: int | str, user: Any) -> Access:
    """Whether the user may open the child's chronology (ChildNotFound if not), for a page
    that then shows nothing of it (a form with an error): refusals audited, nothing else."""
    return _open(viewer_of(user), person_id, object_type="chronology")


def child_chronology(*, person_id: int | str, user: Any, filters: Filters) -> ChildChronology:
    """The child's chronology from every agency, as known at the end of `filters.as_of` (UK
    time; now without one), cut down to the viewer's need-to-know by `person_chronology`
    (which audits the read), then filtered and ordered."""
    viewer = viewer_of(user)
    with resolved_once(viewer) as now:
        return _child_chronology(viewer, person_id, filters, now)


def _child_chronology(
    viewer: Viewer, person_id: int | str, filters: Filters, now: datetime
) -> ChildChronology:
    access = _open(viewer, person_id, object_type="chronology")
    moment = filters.as_of_instant or now
    try:
        seen = person_chronology(person_id=access.person_id, user=viewer, as_of=moment)
    except (NotFound, NoAccess):
        raise ChildNotFound(f"there is no person {person_id} open to you") from None
    pk = access.person_id
    marks = _marks(pk, seen.entries)
    everything = [
        Entry(e, entry_anchor(e.agency, e.event_id), *marks.get((e.agency, e.event_id), (None, 0)))
        for e in seen.entries
    ]
    kept = [
        x
        for x in everything
        if (not filters.agencies or x.entry.agency in filters.agencies)
        and (not filters.type or x.entry.type == filters.type)
        and (not filters.significant_only or x.significant)
    ]
    if not filters.oldest_first:
        kept.reverse()
    names = agency_names(as_of=moment)
    refs = {x.entry.record for x in kept}
    who = _who(pk, access, moment)
    return ChildChronology(
        person_id=pk,
        access=access,
        name=who[0],
        date_of_birth=who[1],
        filters=filters,
        entries=kept,
        total=len(everything),
        withheld=seen.withheld,
        agencies={c: names.get(c, c) for c in sorted({e.agency for e in seen.entries})},
        types=sorted({e.type for e in seen.entries}),
        record_ids=_record_ids(refs),
        as_of=moment,
    )


def _who(person_id: int, access: Access, at: datetime) -> tuple[str, date | None]:
    """The child's name and date of birth from the most complete record the viewer may see
    (the chronology's own read covers showing them)."""
    links = person_records_as_of(person_id=person_id, as_of=at)
    latest: dict[int, PersonVersion] = {}
    for v in (
        PersonVersion.objects.filter(record_id__in=list(links), recorded_at__lte=at)
        .select_related("record__agency")
        .order_by("record_id", "recorded_at", "version")
    ):
        if access.extent is Extent.FULL or v.record.agency.code == access.agency_code:
            latest[v.record_id] = v
    if not latest:
        return f"Person {person_id}", None

    def score(v: PersonVersion) -> tuple[int, str]:
        filled = (v.given_name, v.family_name, v.date_of_birth, v.nhs_number, v.postcode)
        return sum(bool(x) for x in filled), v.record.agency.code

    best = max(latest.values(), key=score)
    return _full_name(best.given_name, best.family_name) or f"Person {person_id}", (
        best.date_of_birth
    )


def _record_ids(refs: set[str]) -> list[int]:
    pairs = [ref.split(":", 1) for ref in refs if ":" in ref]
    if not pairs:
        return []
    return sorted(
        pk
        for pk, code, local in PersonRecord.objects.filter(
            agency__code__in={a for a, _ in pairs}, local_id__in={lid for _, lid in pairs}
        ).values_list("pk", "agency__code", "local_id")
        if f"{code}:{local}" in refs
    )


def _marks(
    person_id: int, entries: list[ChronologyEntry]
) -> dict[tuple[str, str], tuple[Mark | None, int]]:
    """(agency, event id) → the latest mark on it for this child, and that mark's id. A child's
    marks are few: all of them are read, and those on the entries shown kept."""
    by_pk = {e.stored_id: (e.agency, e.event_id) for e in entries}
    latest: dict[int, Significance] = {}
    for row in (
        Significance.objects.filter(person_id=person_id).select_related("marked_by").order_by("id")
    ):
        if row.event_id in by_pk:
            latest[row.event_id] = row
    return {by_pk[event]: (_mark(row), row.pk) for event, row in latest.items()}


def _mark(row: Significance) -> Mark:
    by = row.marked_by
    return Mark(
        significant=row.significant,
        marked_at=row.marked_at,
        marked_by=(by.get_full_name() or by.get_username()) if by is not None else "Jigsaw",
        note=row.note,
    )


def chronology_export_audit(*, user: Any, chronology: ChildChronology, format: str) -> None:
    """The export of a chronology (for a conference or review): who, whose, which records
    and entries, with which filters."""
    viewer = viewer_of(user)
    audit_read(
        viewer,
        action=AuditEntry.Action.EXPORT,
        object_type="chronology",
        object_id=str(chronology.person_id),
        accesses=[chronology.access],
        record_ids=chronology.record_ids,
        detail={
            "format": format,
            "filters": chronology.filters.as_detail(),
            "as_of": chronology.as_of.isoformat(),
            "entries": [f"{x.entry.agency}:{x.entry.event_id}" for x in chronology.entries],
            "withheld": chronology.withheld,
        },
    )


# --- marking an entry as significant -------------------------------------------------------


@dataclass(frozen=True)
class MarkTarget:
    """An entry of a child's chronology that the viewer may mark."""

    viewer: Viewer
    access: Access
    agency: str
    event_id: str
    version: EventVersion  # its latest version now


@dataclass(frozen=True)
class MarkedEntry:
    mark: Significance | None  # None: it already stood as asked, nothing recorded
    entry_type: str
    occurred_at: datetime


def significance_target(
    *, person_id: int | str, agency: str, event_id: str, user: Any
) -> MarkTarget:
    """The entry to mark, if the user may act on the child's case (else ChildNotFound, or
    ReadOnly for someone who may only look) and the entry is one they may see in the child's
    chronology now (else ChildNotFound). Refusals are audited."""
    viewer = viewer_of(user)
    access = _open(viewer, person_id, object_type="significance", act=True)
    version = _visible_version(access, agency, event_id)
    if version is None:
        audit_refused(
            viewer,
            object_type="significance",
            object_id=f"{agency}:{event_id}"[:200],
            person_ids=[str(access.person_id)],
            why="no such entry in the child's chronology",
        )
        raise ChildNotFound(f"there is no entry {agency}:{event_id} open to you")
    return MarkTarget(viewer, access, agency, event_id, version)


def significance_mark(
    *, target: MarkTarget, significant: bool, seen: int, note: str = ""
) -> MarkedEntry:
    """Mark (or unmark) the entry as significant: a new row, the latest of which holds, and
    its audit entry. `seen` is the id of the latest mark when the page was shown (0: none); if
    another has been recorded since, StaleMark, and nothing is written."""
    pk, version = target.access.person_id, target.version
    with transaction.atomic():
        latest = (
            Significance.objects.select_for_update()
            .filter(person_id=pk, event_id=version.event_id)
            .order_by("-id")
            .first()
        )
        if (latest.pk if latest else 0) != seen:
            raise StaleMark(latest)
        if (latest.significant if latest else False) == significant:
            return MarkedEntry(None, version.type, version.occurred_at)
        row = Significance.objects.create(
            person_id=pk,
            event_id=version.event_id,
            significant=significant,
            note=note.strip(),
            marked_at=clock.now(),
            marked_by=target.viewer.user,
        )
        audit_read(
            target.viewer,
            action=AuditEntry.Action.WRITE,
            object_type="significance",
            object_id=str(row.pk),
            accesses=[target.access],
            detail={"event": f"{target.agency}:{target.event_id}", "significant": significant},
        )
    return MarkedEntry(row, version.type, version.occurred_at)


def _visible_version(access: Access, agency: str, event_id: str) -> EventVersion | None:
    """The event's latest version, if it names one of the child's records now and the access
    shows it."""
    now = clock.now()
    version = (
        EventVersion.objects.filter(
            event__agency__code=agency, event__event_id=event_id, recorded_at__lte=now
        )
        .order_by("-recorded_at", "-version")
        .first()
    )
    if version is None or not access.sees_event(agency=agency, details=version.details):
        return None
    records = person_records_as_of(person_id=access.person_id, as_of=now)
    if not version.subjects.filter(record_id__in=list(records)).exists():
        return None
    return version
