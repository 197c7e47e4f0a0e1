from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from jigsaw.access.audit import current_token
from jigsaw.access.models import ApiToken
from jigsaw.access.services import token_authenticate


class AgencyToken(HttpBearer):
    """`Authorization: Bearer <token>`: an agency system's token."""

    openapi_description = "An agency system's API token (jigsaw token add AGENCY)."

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = token_authenticate(secret=token)
        if found is not None:
            # What this request then writes (an ingest) is audited as done with this token.
            current_token.set(found)
        return found

    def __call__(self, request: HttpRequest) -> Any:
        return super().__call__(request)


class StaffSession(SessionAuth):
    """A member of staff's browser session. The access middleware has already ended any session
    that is locked, expired, disabled or not through two-factor sign-in, so what reaches here
    is a fully signed-in user with a role."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None or getattr(user, "staff_profile", None) is None:
            return None
        return user
