"""Analytics API: pseudonymised flags for analysts, heads of service and directors.

Staff use it with their signed-in session. Every extract is audited by the selector.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Router, Schema, Status

from jigsaw.access.api_auth import StaffSession
from jigsaw.oversight.selectors import flags_extract

router = Router(tags=["analytics"], auth=StaffSession())


class Problem(Schema):
    detail: str


class FlagRowOut(Schema):
    child: str
    rule: str
    severity: str
    state: str
    raised_month: str
    age_band: str
    evidence_sectors: list[str]


@router.get(
    "/analytics/flags",
    response={200: list[FlagRowOut], 403: Problem},
    summary="Every flag, pseudonymised",
    description=(
        "One row per flag: the child as a keyed pseudonym (the same in every extract), rule, "
        "severity, state, the month raised (YYYY-MM), the child's age band then (0, 1-4, 5-9, "
        "10-15, 16-17, or unknown) and the sectors of the agencies whose records were the "
        "evidence. No names, dates of birth, addresses, NHS numbers, narratives or ids. For "
        "analysts, heads of service and directors."
    ),
)
def analytics_flags(request: HttpRequest) -> Any:
    try:
        rows = flags_extract(user=request.auth)  # type: ignore[attr-defined]
    except PermissionDenied as exc:
        return Status(403, {"detail": str(exc)})
    return [row.as_dict() for row in rows]
