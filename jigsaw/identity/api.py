"""People API: search, a person and their chronology, the review queue, merge and unmerge.

Open to signed-in staff with a role (session). The selectors and services apply need-to-know
and write the audit entries; here their refusals become statuses: a person, review item or
decision the user may not see is a 404 with the same body as one that does not exist, and an
endpoint the user's role may not use at all is a 403.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import BaseModel

from jigsaw.access.api_auth import StaffSession
from jigsaw.access.need_to_know import NoAccess, viewer_of
from jigsaw.core.dates import DateFormatError, parse_instant
from jigsaw.identity.matching import Query as SearchQuery
from jigsaw.identity.selectors import (
    decision_get,
    person_chronology,
    person_detail,
    person_get,
    person_search,
    review_item_get,
    review_queue,
)
from jigsaw.identity.services import (
    Actor,
    DecisionConflict,
    IdentityError,
    NotFound,
    person_merge,
    person_unmerge,
    review_decide,
)

router = Router(tags=["people"], auth=StaffSession())


class Problem(Schema):
    detail: str


class SearchIn(Schema):
    given_name: str = Field("", description="a given name, or its first letters")
    family_name: str = Field("", description="a family name, or its first letters")
    date_of_birth: date | None = None
    year_of_birth: int | None = Field(
        None, ge=1900, le=2100, description="when the date of birth is not known"
    )
    postcode: str = Field("", description="a postcode, or its outward code (E8)")
    nhs_number: str = ""
    limit: int = Field(10, ge=1, le=50)


# What the front-door search returns is built from plain dicts, never from model instances:
# pydantic's own BaseModel checks it at a tenth of the cost of ninja's Schema (which first
# wraps every object for attribute lookup), and a search returns ten hits of seven parts each.
class Contribution(BaseModel):
    comparison: str
    level: str
    value_a: str
    value_b: str
    weight: float


class Hit(BaseModel):
    person: int
    matched_record: str
    weight: float
    probability: float
    band: str
    explanation: list[Contribution]


class RecordOut(Schema):
    record: str
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
    method: str
    weight: float | None
    probability: float | None
    known_from: str | None
    decision: int | None
    restored_by: int | None = Field(None, description="the unmerge that put the record back")


class PersonOut(Schema):
    id: int
    name: str
    as_of: str
    records: list[RecordOut]


class ReviewRecord(RecordOut):
    person: int | None


class ReviewOut(Schema):
    id: int
    weight: float
    probability: float
    raised_at: str
    record_a: ReviewRecord
    record_b: ReviewRecord
    explanation: list[Contribution]


class ChronologyOut(Schema):
    person: int
    as_of: str
    entries: list[dict[str, Any]]
    withheld: int = Field(description="events not shown: restricted, or another agency's")


class DecisionIn(Schema):
    same_person: bool
    reason: str


class MergeIn(Schema):
    person_a: int
    person_b: int
    reason: str


class UnmergeIn(Schema):
    reason: str


class DecisionOut(Schema):
    id: int
    kind: str
    actor: str
    reason: str
    made_at: str


def _as_of(text: str | None) -> Any:
    return parse_instant(text, end_of_day=True) if text else None


def _decision_out(decision: Any) -> dict[str, Any]:
    return {
        "id": decision.pk,
        "kind": decision.kind,
        "actor": decision.actor_name,
        "reason": decision.reason,
        "made_at": decision.made_at.isoformat(),
    }


_ERRORS = {404: Problem, 400: Problem, 403: Problem, 409: Problem}


def _fail(exc: Exception) -> Status:
    # Missing and hidden say the same words (the selectors see to that), so one status.
    if isinstance(exc, NotFound | NoAccess):
        return Status(404, {"detail": str(exc)})
    if isinstance(exc, PermissionDenied):
        return Status(403, {"detail": str(exc)})
    if isinstance(exc, DecisionConflict):
        return Status(409, {"detail": str(exc)})
    return Status(400, {"detail": str(exc)})


@router.get("/people/search", response={200: list[Hit], **_ERRORS}, summary="Find a person")
def people_search(request: HttpRequest, filters: Query[SearchIn]) -> Any:
    """Any subset of name, date of birth (or year), postcode and NHS number, any of them in
    part ("Kath" "Smi", "E8"); persons ranked by match weight, each with the comparison of its
    best-matching record."""
    query = SearchQuery(
        given_name=filters.given_name,
        family_name=filters.family_name,
        date_of_birth=filters.date_of_birth,
        year_of_birth=filters.year_of_birth,
        postcode=filters.postcode,
        nhs_number=filters.nhs_number,
    )
    try:
        hits = person_search(query=query, user=request.user, limit=filters.limit)
    except PermissionDenied as exc:  # a role that may not search
        return Status(403, {"detail": str(exc)})
    except IdentityError as exc:
        return _fail(exc)
    return [h.as_dict() for h in hits]


# Before /people/{person_id}, which would otherwise take the path.
@router.post("/people/merge", response={201: DecisionOut, **_ERRORS}, summary="Merge two persons")
def people_merge(request: HttpRequest, body: MergeIn) -> Any:
    try:
        viewer = viewer_of(request.user)
        decision = person_merge(
            person_a=person_get(person_id=body.person_a, user=viewer, act=True),
            person_b=person_get(person_id=body.person_b, user=viewer, act=True),
            actor=Actor.of(request.user),
            reason=body.reason,
        )
    except (IdentityError, PermissionDenied) as exc:
        return _fail(exc)
    return Status(201, _decision_out(decision))


@router.get("/people/{person_id}", response={200: PersonOut, **_ERRORS}, summary="A person")
def person_read(request: HttpRequest, person_id: str, as_of: str | None = None) -> Any:
    """The person's linked records, each with how it was linked, as known on `as_of`."""
    try:
        return person_detail(person_id=person_id, user=request.user, as_of=_as_of(as_of)).as_dict()
    except (IdentityError, PermissionDenied, DateFormatError) as exc:
        return _fail(exc)


@router.get(
    "/people/{person_id}/chronology",
    response={200: ChronologyOut, **_ERRORS},
    summary="A person's chronology from every agency",
)
def person_chronology_read(request: HttpRequest, person_id: str, as_of: str | None = None) -> Any:
    """The events the user may see, and how many others need-to-know withheld."""
    try:
        chronology = person_chronology(person_id=person_id, user=request.user, as_of=_as_of(as_of))
    except (IdentityError, PermissionDenied, DateFormatError) as exc:
        return _fail(exc)
    return chronology.as_dict()


@router.get("/review", response={200: list[ReviewOut], **_ERRORS}, summary="The review queue")
def review_list(request: HttpRequest, limit: int = 50) -> Any:
    """Open items whose two persons the user may decide about (roles that decide linkage)."""
    try:
        return [v.as_dict() for v in review_queue(user=request.user, limit=limit)]
    except PermissionDenied as exc:  # a role that does not decide linkage
        return Status(403, {"detail": str(exc)})


@router.post(
    "/review/{item_id}/decision",
    response={201: DecisionOut, **_ERRORS},
    summary="Decide a review item",
)
def review_decision(request: HttpRequest, item_id: str, body: DecisionIn) -> Any:
    try:
        item = review_item_get(item_id=item_id, user=request.user, act=True)
        decision = review_decide(
            item=item, same=body.same_person, actor=Actor.of(request.user), reason=body.reason
        )
    except (IdentityError, PermissionDenied) as exc:
        return _fail(exc)
    return Status(201, _decision_out(decision))


@router.post(
    "/decisions/{decision_id}/unmerge",
    response={201: DecisionOut, **_ERRORS},
    summary="Undo a merge",
)
def decision_unmerge(request: HttpRequest, decision_id: str, body: UnmergeIn) -> Any:
    try:
        decision = person_unmerge(
            decision=decision_get(decision_id=decision_id, user=request.user, act=True),
            actor=Actor.of(request.user),
            reason=body.reason,
        )
    except (IdentityError, PermissionDenied) as exc:
        return _fail(exc)
    return Status(201, _decision_out(decision))
