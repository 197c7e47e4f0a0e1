"""Flags API: list and read flags, acknowledge, record an action, close with a reason.

Open to signed-in staff (session). Reads go through selectors that take the acting user.
"""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.security import django_auth_is_staff

from jigsaw.risk.selectors import FlagNotFound, flag_detail, flag_get, flags_list
from jigsaw.risk.services import (
    FlagClosed,
    FlagError,
    flag_acknowledge,
    flag_action_record,
    flag_close,
)

router = Router(tags=["flags"], auth=django_auth_is_staff)


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
    type: str
    occurred_at: str


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


def _fail(exc: Exception) -> Status:
    if isinstance(exc, FlagNotFound):
        return Status(404, {"detail": str(exc)})
    if isinstance(exc, PermissionDenied):
        return Status(403, {"detail": str(exc)})
    return Status(409, {"detail": str(exc)})


@router.get("/flags", response={200: list[FlagOut], **_ERRORS}, summary="Flags, most urgent first")
def flags_read(request: HttpRequest, filters: Query[FlagFilters]) -> Any:
    try:
        views = flags_list(
            user=request.user,
            state=filters.state,
            severity=filters.severity,
            rule=filters.rule,
            person=filters.person,
        )
    except PermissionDenied as exc:
        return _fail(exc)
    return [v.as_dict() for v in views]


@router.get("/flags/{flag_id}", response={200: FlagOut, **_ERRORS}, summary="A flag")
def flag_read(request: HttpRequest, flag_id: int) -> Any:
    try:
        return flag_detail(flag_id=flag_id, user=request.user).as_dict()
    except (FlagNotFound, PermissionDenied) as exc:
        return _fail(exc)


def _act(request: HttpRequest, flag_id: int, write: Any) -> Any:
    try:
        flag = flag_get(flag_id=flag_id, user=request.user)
        write(flag)
        return flag_detail(flag_id=flag_id, user=request.user).as_dict()
    except (FlagNotFound, PermissionDenied) as exc:
        return _fail(exc)
    except FlagError as exc:
        return Status(409 if isinstance(exc, FlagClosed) else 422, {"detail": str(exc)})


@router.post(
    "/flags/{flag_id}/acknowledge", response={200: FlagOut, **_ERRORS}, summary="Acknowledge"
)
def flag_acknowledge_post(request: HttpRequest, flag_id: int, body: AcknowledgeIn) -> Any:
    return _act(
        request, flag_id, lambda f: flag_acknowledge(flag=f, user=request.user, name=body.name)
    )


@router.post("/flags/{flag_id}/action", response={200: FlagOut, **_ERRORS}, summary="Record")
def flag_action_post(request: HttpRequest, flag_id: int, body: ActionIn) -> Any:
    return _act(
        request,
        flag_id,
        lambda f: flag_action_record(flag=f, user=request.user, text=body.text, name=body.name),
    )


@router.post("/flags/{flag_id}/close", response={200: FlagOut, **_ERRORS}, summary="Close")
def flag_close_post(request: HttpRequest, flag_id: int, body: CloseIn) -> Any:
    return _act(
        request,
        flag_id,
        lambda f: flag_close(
            flag=f, user=request.user, reason=body.reason, text=body.text, name=body.name
        ),
    )
