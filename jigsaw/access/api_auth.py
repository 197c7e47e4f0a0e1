"""How API callers authenticate: agency systems with a bearer token, staff with their session.

A token is bound to one agency and carries scopes (`ApiToken.Scope`): `send` to send batches,
`read_flags` to read the flags of children the agency holds records of.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth

from jigsaw.access.audit import audit_record, current_token
from jigsaw.access.models import ApiToken, AuditEntry
from jigsaw.access.services import token_authenticate


class AgencyToken(HttpBearer):
    """`Authorization: Bearer <token>`: an agency system's token.

    Any live token authenticates here; the batch endpoint itself refuses a token without the
    `send` scope, so its refusal comes in the exchange format's error shape (403) like its
    other refusals.
    """

    openapi_description = "An agency system's API token (jigsaw token add AGENCY)."

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = token_authenticate(secret=token)
        if found is not None:
            # What this request then writes (an ingest) is audited as done with this token.
            current_token.set(found)
        return found

    def __call__(self, request: HttpRequest) -> Any:
        return super().__call__(request)


class AgencyFlagsToken(AgencyToken):
    """An agency system's token holding `read_flags`. A live token without it is refused (403),
    not treated as absent (401): it is known, just not allowed."""

    openapi_description = (
        "An agency system's API token with the read_flags scope "
        "(jigsaw token add AGENCY --scope read_flags)."
    )

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = super().authenticate(request, token)
        if found is not None and ApiToken.Scope.READ_FLAGS not in found.scopes:
            audit_record(
                action=AuditEntry.Action.REFUSED,
                username=f"token:{found.prefix}",
                object_type="flags",
                basis="token",
                detail={"agency": found.agency_code, "why": "token without read_flags"},
            )
            raise HttpError(403, "this token may not read flags")
        return found


MUST_CHANGE_PASSWORD = (
    "Change your password before using the API: you signed in with a one-time password. "
    "Choose your own on the Change your password page, then try again."
)


class StaffSession(SessionAuth):
    """A member of staff's browser session. The access middleware has already ended any session
    that is locked, expired, disabled or not through two-factor sign-in, so what reaches here
    is a fully signed-in user with a role. The middleware lets `/api/` through to be
    authenticated here, so the one check it makes for pages only (a one-time password still to
    be changed) is made here too: such a session may not use the API (403)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        profile = getattr(user, "staff_profile", None) if user is not None else None
        if profile is None:
            return None
        if profile.must_change_password:
            audit_record(
                action=AuditEntry.Action.REFUSED,
                user=user,
                object_type="api",
                object_id=request.path,
                detail={"why": "one-time password not yet changed"},
            )
            raise HttpError(403, MUST_CHANGE_PASSWORD)
        return user
