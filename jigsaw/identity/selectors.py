"""Reads from identity. Every selector a person's request reaches takes the acting `user`
(None: the operator at the command line), so need-to-know and audit can be added in one place.

"As known on X": a record's link is its latest link (by id) with `known_from` on or before X.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from jigsaw.core.clock import clock
from jigsaw.identity.households import Household, household_build
from jigsaw.identity.linking import current_links, index_cache, stored_model
from jigsaw.identity.matching import Query
from jigsaw.identity.models import Decision, Link, Person, ReviewItem
from jigsaw.identity.services import NotFound
from jigsaw.records.hooks import Related
from jigsaw.records.models import PersonRecord, PersonVersion
from jigsaw.records.presenters import record_ref
from jigsaw.records.selectors import ChronologyEntry, RecordNotFound, records_chronology


def _check(user: Any) -> None:
    """Who may read linkage. For now: a signed-in staff user, or the command line (None)."""
    if user is None:
        return
    if not (getattr(user, "is_authenticated", False) and getattr(user, "is_staff", False)):
        raise PermissionDenied("linkage is open to signed-in staff only")


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


def links_as_of(*, record_ids: list[int] | set[int], as_of: datetime) -> dict[int, LinkAsOf]:
    """Each record's link as known on `as_of` (records with none known by then are absent)."""
    out: dict[int, LinkAsOf] = {}
    rows = (
        Link.objects.filter(record_id__in=record_ids, known_from__lte=as_of)
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


def person_get(*, person_id: int | str, user: Any) -> Person:
    _check(user)
    try:
        return Person.objects.get(pk=int(person_id))
    except (Person.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"there is no person {person_id}") from None


def record_get(*, agency: str, local_id: str, user: Any) -> PersonRecord:
    _check(user)
    try:
        return PersonRecord.objects.select_related("agency").get(
            agency__code=agency, local_id=local_id
        )
    except PersonRecord.DoesNotExist:
        raise RecordNotFound(f"no person record '{local_id}' from agency '{agency}'") from None


def record_person(*, record: PersonRecord, user: Any, as_of: datetime | None = None) -> int | None:
    """The person a record is linked to as known on `as_of` (None: not linked by then)."""
    _check(user)
    link = links_as_of(record_ids=[record.pk], as_of=as_of or clock.now()).get(record.pk)
    return link.person_id if link else None


def decision_get(*, decision_id: int | str, user: Any) -> Decision:
    _check(user)
    try:
        return Decision.objects.get(pk=int(decision_id))
    except (Decision.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"there is no decision {decision_id}") from None


def review_item_get(*, item_id: int | str, user: Any) -> ReviewItem:
    _check(user)
    try:
        return ReviewItem.objects.get(pk=int(item_id))
    except (ReviewItem.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"there is no review item {item_id}") from None


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
    """A person with every record linked to them as known on `as_of`, and how each was linked."""
    person = person_get(person_id=person_id, user=user)
    moment = as_of or clock.now()
    links = person_records_as_of(person_id=person.pk, as_of=moment)
    return PersonView(person.pk, _record_views(set(links), as_of=moment, links=links), moment)


def person_chronology(
    *, person_id: int | str, user: Any, as_of: datetime | None = None
) -> list[ChronologyEntry]:
    """Every event about any record of the person, from every agency, as known on `as_of`."""
    person = person_get(person_id=person_id, user=user)
    moment = as_of or clock.now()
    records = person_records_as_of(person_id=person.pk, as_of=moment)
    return records_chronology(record_ids=sorted(records), as_of=moment)


# --- search ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    person_id: int
    record: str
    weight: float
    probability: float
    band: str
    explanation: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "person": self.person_id,
            "matched_record": self.record,
            "weight": self.weight,
            "probability": round(self.probability, 6),
            "band": self.band,
            "explanation": self.explanation,
        }


def person_search(*, query: Query, user: Any, limit: int = 10) -> list[SearchHit]:
    """Persons ranked by how well their best record matches what is known (any subset)."""
    from jigsaw.identity.linking import candidate_record, explanation_json

    _check(user)
    if not any((query.given_name, query.family_name, query.date_of_birth, query.postcode,
                query.nhs_number)):  # fmt: skip
        return []
    with index_cache.lock:
        state = index_cache.refresh(stored_model())
        assert state.index is not None
        found = state.index.search(query, limit=limit * 3, by_person=True)
        hits: list[SearchHit] = []
        seen: set[int] = set()
        refs: dict[int, str] = {}
        for candidate in found:
            record_id, version = candidate_record(candidate)
            current = state.current.get(record_id)
            person = state.person_of.get(record_id)
            if person is None or person in seen or current is None:
                continue
            if current.version_id != version:
                continue
            seen.add(person)
            refs[record_id] = current.rec.source
            hits.append(
                SearchHit(
                    person_id=person,
                    record=str(record_id),
                    weight=candidate.weight,
                    probability=float(candidate.probability),
                    band=str(candidate.band),
                    explanation=explanation_json(candidate.explanation),
                )
            )
            if len(hits) >= limit:
                break
    names = {
        pk: record_ref(code, local)
        for pk, code, local in PersonRecord.objects.filter(
            pk__in=[int(h.record) for h in hits]
        ).values_list("pk", "agency__code", "local_id")
    }
    return [
        SearchHit(h.person_id, names.get(int(h.record), h.record), h.weight, h.probability,
                  h.band, h.explanation)
        for h in hits
    ]  # fmt: skip


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


def review_queue(*, user: Any, limit: int = 100) -> list[ReviewView]:
    """Open review items, strongest first: not decided, and the two records still apart."""
    _check(user)
    items = list(
        ReviewItem.objects.filter(~Q(pk__in=Decision.objects.filter(review_item__isnull=False)
                                     .values("review_item_id")))
        .order_by("-weight", "id")
    )  # fmt: skip
    record_ids = {r for item in items for r in (item.record_a_id, item.record_b_id)}
    persons = {r: s.person for r, s in current_links(record_ids).items()}
    items = [
        i for i in items
        if persons.get(i.record_a_id) is None or persons.get(i.record_a_id) != persons.get(
            i.record_b_id)
    ][:limit]  # fmt: skip
    now = clock.now()
    views = {v.record_id: v for v in _record_views(record_ids, as_of=now)}
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
    return out


# --- households ------------------------------------------------------------------------------


def household_of(*, person: Person, user: Any, as_of: datetime | None = None) -> Household:
    """Who lives with a person as known on `as_of`, since when, and by which agencies' say."""
    _check(user)
    return household_build(person_id=person.pk, as_of=as_of or clock.now())


def adults_unknown_to_social_care(
    *, person: Person, user: Any, as_of: datetime | None = None
) -> list[Any]:
    """Adults other agencies place in the child's household whom children's social care's own
    records do not (for the risk engine)."""
    return household_of(person=person, user=user, as_of=as_of).adults_unknown_to_social_care
