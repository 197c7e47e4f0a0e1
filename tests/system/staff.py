"""Staff accounts of other roles for the browser tests (the server's own are Team A's social
workers), with a password and an authenticator secret the tests know."""

from __future__ import annotations

import hashlib
from typing import Any

from tests.conftest import PASSWORD, Account

ADD_ACCOUNT = """
from django_otp.plugins.otp_totp.models import TOTPDevice
from jigsaw.access.services import user_create

made = user_create(username={username!r}, role={role!r}, team={team!r}, password={password!r},
                   first_name={first!r}, last_name={last!r})
TOTPDevice.objects.filter(user=made.user).update(key={key!r})
"""


def add_account(server: Any, username: str, *, role: str, team: str, name: str) -> Account:
    """A new account on the server (the first team manager of a team becomes its manager)."""
    secret = hashlib.sha1(username.encode()).digest()  # 20 bytes, as TOTP's keys are
    first, _, last = name.partition(" ")
    server.shell(
        ADD_ACCOUNT.format(username=username, role=role, team=team, password=PASSWORD,
                           first=first, last=last, key=secret.hex())
    )  # fmt: skip
    return Account(username, PASSWORD, secret)
