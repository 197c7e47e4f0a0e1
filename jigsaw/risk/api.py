"""Flags API: list and read flags, acknowledge, record an action, close with a reason.

Reads are open to signed-in staff (session) and to agency systems whose token holds
`read_flags`; changes to staff only. The selectors apply need-to-know and write the audit
entries: a flag the caller may not see answers 404 exactly as a missing one does, a role or
token that sees no flags 403, and a read-only reader's change 403.
"""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from jigsaw.access.api_auth import AgencyFlagsToken, StaffSession
from jigsaw.risk.selectors import FlagNotFound, flag_change, flag_detail, flags_list
from jigsaw.risk.services import (
    FlagClosed,
    FlagError,
    flag_acknowledge,
    flag_action_record,
    flag_close,
)

router = Router(tags=["flags"], auth=StaffSession())
_READERS = [StaffSession(), AgencyFlagsToken()]


class Problem(Schema):
    detail: str


class RecordRef(Schema):
    agency: str
    local_id: str


class ChildOut(Schema):
    person: int
    records: list[RecordRef]


class EvidenceOut(Schema):
    agency: str
    event_id: str
    type: str  # "" when the event is in a restricted category the caller may not see
    occurred_at: str
    restricted: bool = False


class ActionOut(Schema):
    kind: str
    at: str
    actor: str
    text: str
    close_reason: str
    level: str


class FlagOut(Schema):
    id: int | None
    key: str
    rule: str
    title: str
    severity: str
    child: ChildOut
    raised_at: str
    evidence: list[EvidenceOut]
    reason: str
    action: str
    owner: str
    due_by: str
    state: str
    escalation: str | None
    actions: list[ActionOut]


class FlagFilters(Schema):
    state: Literal["open", "acknowledged", "closed"] | None = None
    severity: Literal["immediate", "high", "medium"] | None = None
    rule: str | None = None
    person: int | None = None


class AcknowledgeIn(Schema):
    name: str = ""


class ActionIn(Schema):
    text: str
    name: str = ""


class CloseIn(Schema):
    reason: Literal[
        "action_taken", "no_further_action_needed", "duplicate", "raised_in_error", "transferred"
    ]
    text: str
    name: str = ""


_ERRORS: dict[int, Any] = {403: Problem, 404: Problem, 409: Problem, 422: Problem}


def _caller(request: HttpRequest) -> Any:
    """Who authenticated: a member of staff, or (reads only) an agency system's token."""
    return request.auth  # type: ignore[attr-defined]


def _fail(exc: Exception) -> Status:
    if isinstance(exc, FlagNotFound):
        return Status(404, {"detail": str(exc)})
    if isinstance(exc, PermissionDenied):
        return Status(403, {"detail": str(exc)})
    return Status(409, {"detail": str(exc)})


@router.get(
    "/flags",
    auth=_READERS,
    response={200: list[FlagOut], **_ERRORS},
    summary="Flags, most urgent first",
)
def flags_read(request: HttpRequest, filters: Query[FlagFilters]) -> Any:
    try:
        views = flags_list(
            user=_caller(request),
            state=filters.state,
            severity=filters.severity,
            rule=filters.rule,
            person=filters.person,
        )
    except PermissionDenied as exc:
        return _fail(exc)
    return [v.as_dict() for v in views]


@router.get("/flags/{flag_id}", auth=_READERS, response={200: FlagOut, **_ERRORS}, summary="A flag")
def flag_read(request: HttpRequest, flag_id: int) -> Any:
    try:
        return flag_detail(flag_id=flag_id, user=_caller(request)).as_dict()
    except (FlagNotFound, PermissionDenied) as exc:
        return _fail(exc)


def _act(request: HttpRequest, flag_id: int, write: Any) -> Any:
    try:
        return flag_change(flag_id=flag_id, user=_caller(request), change=write).as_dict()
    except (FlagNotFound, PermissionDenied) as exc:
        return _fail(exc)
    except FlagError as exc:
        return Status(409 if isinstance(exc, FlagClosed) else 422, {"detail": str(exc)})


@router.post(
    "/flags/{flag_id}/acknowledge", response={200: FlagOut, **_ERRORS}, summary="Acknowledge"
)
def flag_acknowledge_post(request: HttpRequest, flag_id: int, body: AcknowledgeIn) -> Any:
    return _act(
        request, flag_id, lambda f: flag_acknowledge(flag=f, user=_caller(request), name=body.name)
    )


@router.post("/flags/{flag_id}/action", response={200: FlagOut, **_ERRORS}, summary="Record")
def flag_action_post(request: HttpRequest, flag_id: int, body: ActionIn) -> Any:
    return _act(
        request,
        flag_id,
        lambda f: flag_action_record(flag=f, user=_caller(request), text=body.text, name=body.name),
    )


@router.post("/flags/{flag_id}/close", response={200: FlagOut, **_ERRORS}, summary="Close")
def flag_close_post(request: HttpRequest, flag_id: int, body: CloseIn) -> Any:
    return _act(
        request,
        flag_id,
        lambda f: flag_close(
            flag=f, user=_caller(request), reason=body.reason, text=body.text, name=body.name
        ),
    )
