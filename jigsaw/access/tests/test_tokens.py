"""Agency API tokens: issued once, kept as a hash, revocable, last use recorded."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from jigsaw.access.models import ApiToken
from jigsaw.access.services import (
    TOKEN_PREFIX,
    TokenError,
    token_authenticate,
    token_create,
    token_revoke,
)
from jigsaw.core.tests.helpers import NOW, FrozenClock
from jigsaw.records.models import Agency

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

Cli = Callable[..., tuple[int, str, str]]


def test_token_create_keeps_only_a_hash() -> None:
    issued = token_create(agency_code="NMUH", name="PAS feed")
    token = ApiToken.objects.get()
    assert issued.secret.startswith(f"{TOKEN_PREFIX}{token.prefix}_")
    assert len(issued.secret) > 40
    assert token.secret_hash == hashlib.sha256(issued.secret.encode()).hexdigest()
    assert issued.secret not in str(vars(token).values())
    assert (token.agency_code, token.name, token.scopes) == ("NMUH", "PAS feed", ["send"])
    assert (token.created_at, token.revoked_at, token.last_used_at) == (NOW, None, None)


def test_each_token_is_different() -> None:
    first, second = token_create(agency_code="NMUH"), token_create(agency_code="NMUH")
    assert first.secret != second.secret
    assert first.token.prefix != second.token.prefix


def test_authenticate_returns_the_live_token_and_marks_it_used(clock: FrozenClock) -> None:
    issued = token_create(agency_code="NMUH")
    clock.advance(hours=3)
    token = token_authenticate(secret=issued.secret)
    assert token is not None
    assert token.pk == issued.token.pk
    assert ApiToken.objects.get().last_used_at == NOW + timedelta(hours=3)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: s + "x",
        lambda s: s[:-2],
        lambda s: s.replace(TOKEN_PREFIX, "abc_", 1),
        lambda s: TOKEN_PREFIX + "ffffffff_" + s.split("_", 2)[2],
        lambda s: "",
    ],
)
def test_authenticate_refuses_a_wrong_secret(mangle: Callable[[str], str]) -> None:
    issued = token_create(agency_code="NMUH")
    assert token_authenticate(secret=mangle(issued.secret)) is None
    assert ApiToken.objects.get().last_used_at is None


def test_revoked_token_no_longer_authenticates(clock: FrozenClock) -> None:
    issued = token_create(agency_code="NMUH")
    clock.advance(days=1)
    revoked = token_revoke(prefix=issued.token.prefix)
    assert revoked.revoked_at == NOW + timedelta(days=1)
    assert token_authenticate(secret=issued.secret) is None


def test_revoking_twice_keeps_the_first_time(clock: FrozenClock) -> None:
    issued = token_create(agency_code="NMUH")
    token_revoke(prefix=issued.token.prefix)
    clock.advance(days=1)
    assert token_revoke(prefix=issued.token.prefix).revoked_at == NOW


def test_revoking_an_unknown_prefix_is_an_error() -> None:
    with pytest.raises(TokenError, match="no token with prefix 'nope'"):
        token_revoke(prefix="nope")


# --- jigsaw token add / revoke / list -----------------------------------------------------------


def test_token_add_prints_the_secret_once(jigsaw_cli: Cli) -> None:
    code, out, _ = jigsaw_cli("token", "add", "NMUH", "--name", "PAS feed")
    assert code == 0
    token = ApiToken.objects.get()
    heading, secret = out.splitlines()
    assert heading == f"token for NMUH (prefix {token.prefix}):"
    assert token_authenticate(secret=secret) is not None
    assert token.name == "PAS feed"


def test_token_revoke_and_list(jigsaw_cli: Cli, clock: FrozenClock) -> None:
    live = token_create(agency_code="NMUH", name="PAS feed")
    gone = token_create(agency_code="MET", name="old feed")
    token_authenticate(secret=live.secret)
    code, out, _ = jigsaw_cli("token", "revoke", gone.token.prefix)
    assert (code, out) == (0, f"revoked {gone.token.prefix} (MET)\n")
    code, out, _ = jigsaw_cli("token", "list")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 2
    met, nmuh = lines
    assert met.split() == [gone.token.prefix, "MET", "revoked", "never", "used", "old", "feed"]
    assert nmuh.split() == [live.token.prefix, "NMUH", "live", NOW.isoformat(), "PAS", "feed"]
    assert live.secret not in out


def test_token_revoke_of_an_unknown_prefix_fails() -> None:
    with pytest.raises(CommandError, match="no token with prefix 'nope'"):
        call_command("token", "revoke", "nope", stdout=io.StringIO())


def test_token_command_needs_an_action(jigsaw_cli: Cli) -> None:
    code, _, err = jigsaw_cli("token")
    assert code != 0
    assert "action" in err or "required" in err


def test_token_add_takes_scopes(jigsaw_cli: Cli) -> None:
    code, _, _ = jigsaw_cli("token", "add", "NMUH", "--scope", "read_flags")
    assert code == 0
    code, _, _ = jigsaw_cli(
        "token", "add", "MPS", "--scope", "send", "--scope", "read_flags", "--scope", "send"
    )
    assert code == 0
    scopes = dict(ApiToken.objects.values_list("agency_code", "scopes"))
    assert scopes == {"NMUH": ["read_flags"], "MPS": ["send", "read_flags"]}


def test_token_add_refuses_an_unknown_scope(jigsaw_cli: Cli) -> None:
    code, _, err = jigsaw_cli("token", "add", "NMUH", "--scope", "everything")
    assert code != 0
    assert "everything" in err
    assert not ApiToken.objects.exists()


# --- what each scope lets a token do ----------------------------------------------------------


def _bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_a_read_flags_token_cannot_send_batches(client: Client) -> None:
    secret = token_create(agency_code="NMUH", scopes=[ApiToken.Scope.READ_FLAGS]).secret
    batch = b'[{"kind": "agency", "code": "NMUH", "name": "North Middlesex", "sector": "health"}]'
    response = client.post(
        "/api/v1/batches", batch, content_type="application/json", **_bearer(secret)
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["message"] == "this token may not send batches"
    assert not Agency.objects.exists()


def test_a_send_token_cannot_read_flags_and_a_read_flags_token_can(client: Client) -> None:
    send_only = token_create(agency_code="NMUH").secret
    reader = token_create(agency_code="NMUH", scopes=[ApiToken.Scope.READ_FLAGS]).secret
    refused = client.get("/api/v1/flags", **_bearer(send_only))
    assert refused.status_code == 403
    assert refused.json() == {"detail": "this token may not read flags"}
    assert client.get("/api/v1/flags", **_bearer(reader)).status_code == 200
    assert client.get("/api/v1/flags", **_bearer(reader + "x")).status_code == 401
