"""Agency-facing API: send a batch, read the format's JSON Schema."""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router, Schema, Status

from jigsaw.access.api_auth import AgencyToken
from jigsaw.access.models import ApiToken
from jigsaw.records.exchange import exchange_json_schema
from jigsaw.records.services import batch_ingest, body_source

router = Router(tags=["exchange"])


class BatchError(Schema):
    position: int
    path: str
    message: str


class KindCounts(Schema):
    new: int
    unchanged: int
    superseded: int


class BatchAccepted(Schema):
    accepted: bool
    submission: str
    new: int
    unchanged: int
    superseded: int
    by_kind: dict[str, KindCounts]


class BatchRejected(Schema):
    accepted: bool
    error_count: int
    errors: list[BatchError]


_BODY = {
    "requestBody": {
        "required": True,
        "description": "Exchange format v1 objects: a JSON array, one object, or JSON Lines.",
        "content": {
            "application/json": {"schema": {"type": "array", "items": {"$ref": "/api/v1/schema"}}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


@router.post(
    "/batches",
    auth=AgencyToken(),
    response={201: BatchAccepted, 403: BatchRejected, 422: BatchRejected},
    openapi_extra=_BODY,
    summary="Send a batch of agencies, person records and events",
)
def batch_post(request: HttpRequest) -> Any:
    """All or nothing: any invalid object rejects the batch with every error (422).
    Resending is safe: unchanged objects are counted, not duplicated; changed ones supersede."""
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    if ApiToken.Scope.SEND not in token.scopes:
        return Status(
            403,
            {
                "accepted": False,
                "error_count": 1,
                "errors": [
                    {"position": 0, "path": "(token)", "message": "this token may not send batches"}
                ],
            },
        )
    body = request.body
    if not body.strip():
        return Status(
            422,
            {
                "accepted": False,
                "error_count": 1,
                "errors": [{"position": 0, "path": "(body)", "message": "the body is empty"}],
            },
        )
    source, _ = body_source(body)
    report = batch_ingest(
        source=source,
        channel="api",
        source_name=token.agency_code,
        sha256=hashlib.sha256(body).hexdigest(),
        as_agency=token.agency_code,
    )
    if report.forbidden:
        return Status(
            403,
            {
                "accepted": False,
                "error_count": len(report.forbidden),
                "errors": [
                    {"position": e.position, "path": e.path, "message": e.message}
                    for e in report.forbidden
                ],
            },
        )
    if not report.accepted:
        return Status(422, report.as_dict())
    return Status(201, report.as_dict())


@router.get("/schema", summary="JSON Schema of exchange format v1", response=dict[str, Any])
def schema_get(request: HttpRequest) -> HttpResponse:
    return JsonResponse(exchange_json_schema(), json_dumps_params={"indent": 2})
