from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from jigsaw.access.models import ApiToken
from jigsaw.access.services import token_authenticate


class AgencyToken(HttpBearer):
    """`Authorization: Bearer <token>`: an agency system's token."""

    openapi_description = "An agency system's API token (jigsaw token add AGENCY)."

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return token_authenticate(secret=token)

    def __call__(self, request: HttpRequest) -> Any:
        return super().__call__(request)
