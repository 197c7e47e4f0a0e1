"""Agency API tokens: issued once, stored as a hash, revocable, with last use recorded."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.db import transaction

from jigsaw.access.models import ApiToken
from jigsaw.core.clock import clock

TOKEN_PREFIX = "jgs_"


class TokenError(Exception):
    pass


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(
    *, agency_code: str, name: str = "", scopes: list[str] | None = None
) -> IssuedToken:
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        agency_code=agency_code,
        name=name,
        prefix=prefix,
        secret_hash=_hash(secret),
        scopes=scopes or [ApiToken.Scope.SEND],
        created_at=clock.now(),
    )
    return IssuedToken(token=token, secret=secret)


def token_revoke(*, prefix: str) -> ApiToken:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(prefix=prefix).first()
        if token is None:
            raise TokenError(f"no token with prefix '{prefix}'")
        if token.revoked_at is None:
            token.revoked_at = clock.now()
            token.save(update_fields=["revoked_at"])
    return token


def token_authenticate(*, secret: str) -> ApiToken | None:
    """The live token for `secret`, or None. Marks it used."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    prefix = secret[len(TOKEN_PREFIX) :].split("_", 1)[0]
    token = ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(secret)):
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=clock.now())
    return token
