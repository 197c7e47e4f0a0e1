"""Reads from identity. Every selector a person's request reaches takes the acting `user`
(None: the operator at the command line; a `Viewer`: one already resolved) and applies
need-to-know (jigsaw/access/need_to_know.py).

To staff, a person, record, review item or decision they may not see looks exactly like one
that does not exist (the same message), and asking for either is audited. The selectors that
show content (a person, their chronology, household, the review queue, a search) write one
audit entry for what they showed; the lookups that only find something to act on (`person_get`,
`record_get`, `record_person`, `review_item_get`, `decision_get`) check access without one,
because the read or write that follows records it.

"As known on X": a record's link is its latest link (by id) with `known_from` on or before X.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from jigsaw.access.audit import audit_record
from jigsaw.access.models import AuditEntry
from jigsaw.access.need_to_know import (
    CLI_USERNAME,
    Access,
    Basis,
    Extent,
    NoAccess,
    PersonScope,
    Viewer,
    audit_read,
    audit_refused,
    person_scope,
    require_access,
    viewer_of,
)
from jigsaw.access.roles import Scope
from jigsaw.core.bulk import chunks
from jigsaw.core.clock import clock
from jigsaw.identity.households import Household, household_build
from jigsaw.identity.linking import CHUNK, current_links, index_cache, stored_model
from jigsaw.identity.matching import Query
from jigsaw.identity.models import Decision, Link, Person, ReviewItem
from jigsaw.identity.services import (
    NotFound,
    decider_require,
    decision_persons,
    merge_holders,
)
from jigsaw.records.hooks import Related
from jigsaw.records.models import PersonRecord, PersonVersion
from jigsaw.records.presenters import record_ref
from jigsaw.records.selectors import ChronologyEntry, RecordNotFound, records_chronology

# Roles that may search for a person: the front door and casework (to find whether a child is
# known), inspectors (read-only), and agency staff among the people their agency holds records
# of. Analysts (pseudonymised data only) and system administrators (no case content) may not.
SEARCH_SCOPES = frozenset(
    {Scope.ALLOCATED, Scope.TEAMS, Scope.SERVICE, Scope.TRIAGE, Scope.ALL_READ_ONLY, Scope.AGENCY}
)
_MAX_ID = 2**63 - 1  # a bigger number is no row's id (and would overflow the query)


def _unseen(viewer: Viewer, what: str) -> str:
    """What staff are told about something missing or hidden: the same words for both."""
    return f"there is no {what}" if viewer.is_operator else f"there is no {what} open to you"


def _no_record(viewer: Viewer, agency: str, local_id: str) -> str:
    said = f"no person record '{local_id}' from agency '{agency}'"
    return said if viewer.is_operator else f"{said} open to you"


def _id(value: int | str) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= _MAX_ID else None


def _require(
    viewer: Viewer, person_id: int, *, act: bool, object_type: str, object_id: str, refusal: str
) -> Access:
    """`require_access`, refusing with `refusal`: the words for something that does not exist
    (never the person's id, which would say whose record it is)."""
    try:
        return require_access(
            viewer, person_id, act=act, object_type=object_type, object_id=object_id
        )
    except NoAccess:
        raise NoAccess(refusal) from None


def _person_open(
    viewer: Viewer, person_id: int | str, *, act: bool = False, object_type: str = "person"
) -> tuple[Person, Access]:
    what, asked = f"person {person_id}", str(person_id)[:200]
    if act:
        decider_require(viewer, object_type=object_type, object_id=asked)
    pk = _id(person_id)
    person = Person.objects.filter(pk=pk).first() if pk is not None else None
    if person is None:
        audit_refused(viewer, object_type=object_type, object_id=asked, why="no such person")
        raise NotFound(_unseen(viewer, what))
    access = _require(
        viewer,
        person.pk,
        act=act,
        object_type=object_type,
        object_id=str(person.pk),
        refusal=_unseen(viewer, what),
    )
    return person, access


@dataclass(frozen=True)
class LinkAsOf:
    record_id: int
    person_id: int
    link_id: int
    method: str
    weight: float | None
    probability: float | None
    known_from: datetime
    decision_id: int | None
    restored_by: int | None = None  # the unmerge that wrote this link again


def links_as_of(*, record_ids: list[int] | set[int], as_of: datetime) -> dict[int, LinkAsOf]:
    """Each record's link as known on `as_of` (records with none known by then are absent)."""
    out: dict[int, LinkAsOf] = {}
    ids = sorted(record_ids)
    for part in chunks(ids, CHUNK):  # a bulk load touches a million records
        rows = (
            Link.objects.filter(record_id__in=part, known_from__lte=as_of)
            .order_by("record_id", "id")
            .values_list(
                "record_id",
                "person_id",
                "id",
                "method",
                "weight",
                "probability",
                "known_from",
                "decision_id",
                "restored_by_id",
            )
        )
        for row in rows:
            out[row[0]] = LinkAsOf(*row)
    return out


def person_records_as_of(*, person_id: int, as_of: datetime) -> dict[int, LinkAsOf]:
    """The records linked to a person as known on `as_of`."""
    ever = set(
        Link.objects.filter(person_id=person_id, known_from__lte=as_of).values_list(
            "record_id", flat=True
        )
    )
    return {
        r: link
        for r, link in links_as_of(record_ids=ever, as_of=as_of).items()
        if link.person_id == person_id
    }


def related_records(*, record_id: int, as_of: datetime) -> Related:
    """The records that were one person with this record as known on `as_of` (the chronology
    hook): the record alone when it was not linked by then."""
    own = links_as_of(record_ids=[record_id], as_of=as_of).get(record_id)
    if own is None:
        return Related(record_ids=[record_id])
    members = person_records_as_of(person_id=own.person_id, as_of=as_of)
    return Related(record_ids=sorted({record_id, *members}), person=str(own.person_id))


def person_get(*, person_id: int | str, user: Any, act: bool = False) -> Person:
    """A person the user may see (`act`: and make linkage decisions about)."""
    return _person_open(viewer_of(user), person_id, act=act)[0]


def _record_open(viewer: Viewer, record: PersonRecord, person_id: int | None) -> None:
    """Refuse, audited, a record whose person the viewer may not see (agency staff: a record
    of another agency)."""
    if viewer.is_operator:
        return
    ref = record_ref(record.agency.code, record.local_id)
    refusal = _no_record(viewer, record.agency.code, record.local_id)
    if person_id is None:
        audit_refused(viewer, object_type="record", object_id=ref, why="not linked to a person")
        raise NoAccess(refusal)
    access = _require(
        viewer, person_id, act=False, object_type="record", object_id=ref, refusal=refusal
    )
    if access.extent is Extent.AGENCY and record.agency.code != access.agency_code:
        audit_refused(
            viewer,
            object_type="record",
            object_id=ref,
            person_ids=[str(person_id)],
            why="another agency's record",
        )
        raise NoAccess(refusal)


def record_get(*, agency: str, local_id: str, user: Any) -> PersonRecord:
    """An agency's record of a person, if the user may see that person now (agency staff:
    only their own agency's records)."""
    viewer = viewer_of(user)
    record = (
        PersonRecord.objects.select_related("agency")
        .filter(agency__code=agency, local_id=local_id)
        .first()
    )
    if record is None:
        audit_refused(
            viewer,
            object_type="record",
            object_id=record_ref(agency, local_id)[:200],
            why="no such record",
        )
        raise RecordNotFound(_no_record(viewer, agency, local_id))
    state = current_links([record.pk]).get(record.pk)
    _record_open(viewer, record, state.person if state is not None else None)
    return record


def record_person(*, record: PersonRecord, user: Any, as_of: datetime | None = None) -> int | None:
    """The person a record is linked to as known on `as_of` (None: not linked by then), if the
    user may see them."""
    viewer = viewer_of(user)
    link = links_as_of(record_ids=[record.pk], as_of=as_of or clock.now()).get(record.pk)
    person = link.person_id if link else None
    if person is not None:
        _record_open(viewer, record, person)
    return person


def _decision_open(viewer: Viewer, decision_id: int | str, *, act: bool) -> Decision:
    what = f"decision {decision_id}"
    if act:
        decider_require(viewer, object_type="decision", object_id=str(decision_id)[:200])
    pk = _id(decision_id)
    decision = Decision.objects.filter(pk=pk).first() if pk is not None else None
    if decision is None:
        audit_refused(
            viewer, object_type="decision", object_id=str(decision_id)[:200], why="no such decision"
        )
        raise NotFound(_unseen(viewer, what))
    touched = (
        merge_holders(decision)
        if decision.kind == Decision.Kind.MERGE
        else decision_persons(decision)
    )
    for person in sorted(touched):
        _require(
            viewer,
            person,
            act=act,
            object_type="decision",
            object_id=str(decision.pk),
            refusal=_unseen(viewer, what),
        )
    return decision


def decision_get(*, decision_id: int | str, user: Any, act: bool = False) -> Decision:
    """A linkage decision, if the user may see every person it touched (`act`: and decide
    about them, as undoing it would)."""
    return _decision_open(viewer_of(user), decision_id, act=act)


def review_item_get(*, item_id: int | str, user: Any, act: bool = False) -> ReviewItem:
    """A review item, if the user may see the persons of both its records (`act`: and decide
    about them)."""
    viewer = viewer_of(user)
    what = f"review item {item_id}"
    if act:
        decider_require(viewer, object_type="review_item", object_id=str(item_id)[:200])
    pk = _id(item_id)
    item = ReviewItem.objects.filter(pk=pk).first() if pk is not None else None
    if item is None:
        audit_refused(
            viewer,
            object_type="review_item",
            object_id=str(item_id)[:200],
            why="no such review item",
        )
        raise NotFound(_unseen(viewer, what))
    links = current_links([item.record_a_id, item.record_b_id])
    persons = {
        r: links[r].person if r in links else None for r in (item.record_a_id, item.record_b_id)
    }
    if None in persons.values() and not viewer.is_operator:
        audit_refused(
            viewer,
            object_type="review_item",
            object_id=str(item.pk),
            why="a record is not linked to a person",
        )
        raise NoAccess(_unseen(viewer, what))
    for person in sorted({p for p in persons.values() if p is not None}):
        _require(
            viewer,
            person,
            act=act,
            object_type="review_item",
            object_id=str(item.pk),
            refusal=_unseen(viewer, what),
        )
    return item


def review_item_decision(*, item: ReviewItem) -> Decision | None:
    """The decision that resolved a review item, if any. Only for an item `review_item_get` has
    just opened to the user: the decision is about the same two records, so reading it adds
    nothing to that check (and needs no audit entry of its own)."""
    return item.decisions.order_by("id").first()


# --- what a person looks like ----------------------------------------------------------------


@dataclass(frozen=True)
class RecordView:
    record_id: int
    ref: str
    agency: str
    local_id: str
    given_name: str
    family_name: str
    other_names: list[str]
    date_of_birth: date | None
    sex: str
    nhs_number: str
    address: str
    postcode: str
    method: str = ""
    weight: float | None = None
    probability: float | None = None
    known_from: datetime | None = None
    decision_id: int | None = None
    restored_by: int | None = None  # the unmerge that put the record back

    def as_dict(self) -> dict[str, Any]:
        return {
            "record": self.ref,
            "agency": self.agency,
            "local_id": self.local_id,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "other_names": self.other_names,
            "date_of_birth": self.date_of_birth.isoformat() if self.date_of_birth else None,
            "sex": self.sex,
            "nhs_number": self.nhs_number,
            "address": self.address,
            "postcode": self.postcode,
            "method": self.method,
            "weight": self.weight,
            "probability": self.probability,
            "known_from": self.known_from.isoformat() if self.known_from else None,
            "decision": self.decision_id,
            "restored_by": self.restored_by,
        }


def _record_views(
    record_ids: list[int] | set[int], *, as_of: datetime, links: dict[int, LinkAsOf] | None = None
) -> list[RecordView]:
    latest: dict[int, PersonVersion] = {}
    for version in (
        PersonVersion.objects.filter(record_id__in=record_ids, recorded_at__lte=as_of)
        .select_related("record__agency")
        .order_by("record_id", "version")
    ):
        latest[version.record_id] = version
    out = []
    for r in sorted(
        latest, key=lambda r: (latest[r].record.agency.code, latest[r].record.local_id)
    ):
        v = latest[r]
        link = (links or {}).get(r)
        address = ", ".join(
            x for x in (v.address_line1, v.address_line2, v.address_town, v.postcode) if x
        )
        out.append(
            RecordView(
                record_id=r,
                ref=record_ref(v.record.agency.code, v.record.local_id),
                agency=v.record.agency.code,
                local_id=v.record.local_id,
                given_name=v.given_name,
                family_name=v.family_name,
                other_names=list(v.other_names or []),
                date_of_birth=v.date_of_birth,
                sex=v.sex,
                nhs_number=v.nhs_number,
                address=address,
                postcode=v.postcode,
                method=link.method if link else "",
                weight=link.weight if link else None,
                probability=link.probability if link else None,
                known_from=link.known_from if link else None,
                decision_id=link.decision_id if link else None,
                restored_by=link.restored_by if link else None,
            )
        )
    return out


@dataclass(frozen=True)
class PersonView:
    person_id: int
    records: list[RecordView]
    as_of: datetime

    @property
    def name(self) -> str:
        for r in self.records:
            if r.given_name or r.family_name:
                return " ".join(n for n in (r.given_name, r.family_name) if n)
        return f"Person {self.person_id}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.person_id,
            "name": self.name,
            "as_of": self.as_of.isoformat(),
            "records": [r.as_dict() for r in self.records],
        }


def person_detail(*, person_id: int | str, user: Any, as_of: datetime | None = None) -> PersonView:
    """A person with every record linked to them as known on `as_of`, and how each was linked.
    Agency staff see only their own agency's records."""
    viewer = viewer_of(user)
    person, access = _person_open(viewer, person_id)
    moment = as_of or clock.now()
    links = person_records_as_of(person_id=person.pk, as_of=moment)
    views = _record_views(set(links), as_of=moment, links=links)
    if access.extent is Extent.AGENCY:
        views = [v for v in views if v.agency == access.agency_code]
    audit_read(
        viewer,
        object_type="person",
        object_id=str(person.pk),
        accesses=[access],
        record_ids=[v.record_id for v in views],
        detail={"as_of": moment.isoformat()},
    )
    return PersonView(person.pk, views, moment)


@dataclass(frozen=True)
class PersonChronology:
    """The events shown, and how many need-to-know held back (restricted categories; other
    agencies' events, for agency staff), so the reader knows the picture is partial."""

    person_id: int
    as_of: datetime
    entries: list[ChronologyEntry]
    withheld: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "person": self.person_id,
            "as_of": self.as_of.isoformat(),
            "entries": [e.as_dict() for e in self.entries],
            "withheld": self.withheld,
        }


def person_chronology(
    *, person_id: int | str, user: Any, as_of: datetime | None = None
) -> PersonChronology:
    """Every event about any record of the person, from every agency, as known on `as_of`,
    less what the user's access does not show."""
    viewer = viewer_of(user)
    person, access = _person_open(viewer, person_id, object_type="chronology")
    moment = as_of or clock.now()
    records = person_records_as_of(person_id=person.pk, as_of=moment)
    everything = records_chronology(record_ids=sorted(records), as_of=moment)
    entries = [e for e in everything if access.sees_event(agency=e.agency, details=e.details)]
    shown_records = sorted(records)
    if access.extent is Extent.AGENCY:
        shown_records = list(
            PersonRecord.objects.filter(
                pk__in=records, agency__code=access.agency_code
            ).values_list("pk", flat=True)
        )
    withheld = len(everything) - len(entries)
    audit_read(
        viewer,
        object_type="chronology",
        object_id=str(person.pk),
        accesses=[access],
        record_ids=shown_records,
        detail={"as_of": moment.isoformat(), "entries": len(entries), "withheld": withheld},
    )
    return PersonChronology(person.pk, moment, entries, withheld)


# --- search ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    person_id: int
    record: str
    weight: float
    probability: float
    band: str
    explanation: list[dict[str, Any]] = field(default_factory=list)
    record_id: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "person": self.person_id,
            "matched_record": self.record,
            "weight": self.weight,
            "probability": round(self.probability, 6),
            "band": self.band,
            "explanation": self.explanation,
        }


def _query_detail(query: Query, limit: int) -> dict[str, Any]:
    fields = {
        "given_name": query.given_name,
        "family_name": query.family_name,
        "date_of_birth": query.date_of_birth.isoformat() if query.date_of_birth else "",
        "postcode": query.postcode,
        "nhs_number": query.nhs_number,
        "year_of_birth": query.year_of_birth or "",
    }
    return {"query": {k: v for k, v in fields.items() if v}, "limit": limit}


def person_search(*, query: Query, user: Any, limit: int = 10) -> list[SearchHit]:
    """Persons ranked by how well their best record matches what is known (any subset, and
    any part: the start of a name, a given name alone, an outward postcode, a year of birth).

    Each hit shows only what identifies it (the matched record and the comparison). Agency
    staff find only people their agency holds records of, matched on their agency's records
    (or any record of someone opened to them by break-glass). Every search is audited."""
    viewer = viewer_of(user)
    if viewer.scope is not None and viewer.scope not in SEARCH_SCOPES:
        audit_refused(
            viewer, object_type="person_search", object_id="", why="role may not search for people"
        )
        raise PermissionDenied("your role may not search for people")
    scope = person_scope(viewer) if viewer.scope is Scope.AGENCY else None
    hits = _search(query, limit=limit, scope=scope) if _has_terms(query) else []
    if viewer.is_operator:
        basis = Basis.OPERATOR.value
    elif scope is not None:
        basis = Basis.INVOLVEMENT.value
    else:
        basis = "search"  # the role's own right to search everyone (the front door, casework)
    audit_record(
        action=AuditEntry.Action.SEARCH,
        object_type="person_search",
        person_ids=[str(h.person_id) for h in hits],
        record_ids=[h.record_id for h in hits],
        basis=basis,
        detail={**_query_detail(query, limit), "hits": len(hits)},
        **({"user": viewer.user} if viewer.user is not None else {"username": CLI_USERNAME}),
    )
    return hits


def _has_terms(query: Query) -> bool:
    return any(
        (
            query.given_name,
            query.family_name,
            query.date_of_birth,
            query.postcode,
            query.nhs_number,
            query.year_of_birth,
        )
    )


def _search(query: Query, *, limit: int, scope: PersonScope | None) -> list[SearchHit]:
    """With a `scope`, only its people, each matched on a record their access shows."""
    from jigsaw.identity.linking import candidate_record, explanation_json

    with index_cache.lock:
        state = index_cache.refresh(stored_model())
        assert state.index is not None
        # Within a scope the best record of a person may be one the user may not see: rank
        # records, not persons, and take each person's best visible one.
        # Candidates are explained as they are taken: the hits passed over cost little.
        found = (
            state.index.ranked(query, most=limit * 3, by_person=True)
            if scope is None
            else state.index.ranked(query, most=min(limit * 20, 1000), by_person=False)
        )
        hits: list[SearchHit] = []
        seen: set[int] = set()
        for candidate in found:
            record_id, version = candidate_record(candidate)
            current = state.current.get(record_id)
            person = state.person_of.get(record_id)
            if person is None or person in seen or current is None:
                continue
            if current.version_id != version:
                continue
            if scope is not None:
                access = scope.get(person)
                if access is None or not (
                    access.extent is Extent.FULL or current.rec.source == access.agency_code
                ):
                    continue
            seen.add(person)
            hits.append(
                SearchHit(
                    person_id=person,
                    record=str(record_id),
                    weight=candidate.weight,
                    probability=float(candidate.probability),
                    band=str(candidate.band),
                    explanation=explanation_json(candidate.explanation),
                    record_id=record_id,
                )
            )
            if len(hits) >= limit:
                break
    names = {
        pk: record_ref(code, local)
        for pk, code, local in PersonRecord.objects.filter(
            pk__in=[h.record_id for h in hits]
        ).values_list("pk", "agency__code", "local_id")
    }
    return [replace(h, record=names.get(h.record_id, h.record)) for h in hits]


# --- the review queue ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewView:
    item_id: int
    weight: float
    probability: float
    raised_at: datetime
    record_a: RecordView
    record_b: RecordView
    person_a: int | None
    person_b: int | None
    explanation: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.item_id,
            "weight": self.weight,
            "probability": round(self.probability, 6),
            "raised_at": self.raised_at.isoformat(),
            "record_a": {**self.record_a.as_dict(), "person": self.person_a},
            "record_b": {**self.record_b.as_dict(), "person": self.person_b},
            "explanation": self.explanation,
        }


def _open_review_items(viewer: Viewer) -> tuple[list[ReviewItem], dict[int, int], PersonScope]:
    """Open review items, strongest first: not decided, the two records still apart, and both
    their persons ones the viewer may decide about; with each record's person, and the scope."""
    decider_require(viewer, object_type="review_queue")
    scope = person_scope(viewer)
    items = list(
        ReviewItem.objects.filter(~Q(pk__in=Decision.objects.filter(review_item__isnull=False)
                                     .values("review_item_id")))
        .order_by("-weight", "id")
    )  # fmt: skip
    record_ids = {r for item in items for r in (item.record_a_id, item.record_b_id)}
    persons = {r: s.person for r, s in current_links(record_ids).items()}

    def open_to(record: int) -> Access | None:
        person = persons.get(record)
        if person is None:
            return scope.everyone if viewer.is_operator else None
        access = scope.get(person)
        return access if access is not None and access.may_act else None

    items = [
        i for i in items
        if (persons.get(i.record_a_id) is None
            or persons.get(i.record_a_id) != persons.get(i.record_b_id))
        and open_to(i.record_a_id) is not None and open_to(i.record_b_id) is not None
    ]  # fmt: skip
    return items, persons, scope


def review_queue_size(*, user: Any) -> int:
    """How many pairs `review_queue` holds for the user, however many it shows (ids only: not
    a read of anyone's records)."""
    return len(_open_review_items(viewer_of(user))[0])


def review_queue(*, user: Any, limit: int = 100) -> list[ReviewView]:
    """The first `limit` open review items the user may decide (`_open_review_items`), each with
    the two records side by side. Only roles that decide linkage see it."""
    viewer = viewer_of(user)
    items, persons, scope = _open_review_items(viewer)
    items = items[:limit]
    shown_records = {r for item in items for r in (item.record_a_id, item.record_b_id)}
    now = clock.now()
    views = {v.record_id: v for v in _record_views(shown_records, as_of=now)}
    out = []
    for item in items:
        a, b = views.get(item.record_a_id), views.get(item.record_b_id)
        if a is None or b is None:
            continue
        out.append(
            ReviewView(
                item_id=item.pk,
                weight=item.weight,
                probability=item.probability,
                raised_at=item.raised_at,
                record_a=a,
                record_b=b,
                person_a=persons.get(item.record_a_id),
                person_b=persons.get(item.record_b_id),
                explanation=item.explanation,
            )
        )
    shown_persons = sorted({p for v in out for p in (v.person_a, v.person_b) if p is not None})
    accesses = [a for a in (scope.get(p) for p in shown_persons) if a is not None]
    audit_read(
        viewer,
        object_type="review_queue",
        accesses=accesses,
        record_ids=sorted({r for v in out for r in (v.record_a.record_id, v.record_b.record_id)}),
        detail={"items": [v.item_id for v in out]},
    )
    return out


# --- households ------------------------------------------------------------------------------


def household_of(*, person: Person, user: Any, as_of: datetime | None = None) -> Household:
    """Who lives with a person as known on `as_of`, since when, and by which agencies' say.
    The members are audited as seen through the person's household, on the same basis."""
    viewer = viewer_of(user)
    _, access = _person_open(viewer, person.pk, object_type="household")
    moment = as_of or clock.now()
    household = household_build(person_id=person.pk, as_of=moment)
    members = sorted({m.person_id for m in household.members if m.person_id is not None})
    audit_read(
        viewer,
        object_type="household",
        object_id=str(person.pk),
        accesses=[access, *(replace(access, person_id=m) for m in members if m != person.pk)],
        record_ids=sorted(person_records_as_of(person_id=person.pk, as_of=moment)),
        detail={
            "as_of": moment.isoformat(),
            "member_records": sorted(r for m in household.members for r in m.records),
        },
    )
    return household


def adults_unknown_to_social_care(
    *, person: Person, user: Any, as_of: datetime | None = None
) -> list[Any]:
    """Adults other agencies place in the child's household whom children's social care's own
    records do not (for the risk engine)."""
    return household_of(person=person, user=user, as_of=as_of).adults_unknown_to_social_care
