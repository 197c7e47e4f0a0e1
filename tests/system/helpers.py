"""Helpers for the browser tests: staff accounts of other roles (the server's own are Team A's
social workers), and axe checks on pages whose radios reveal questions."""

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


# GOV.UK Frontend marks a radio that reveals a question with `aria-expanded`, which ARIA does not
# allow on radios; axe reports it as critical. The Design System keeps it on purpose (screen
# readers announce it; alphagov/govuk-frontend#979, a documented known issue), so on pages with
# such radios it is set aside while axe runs, and every other check still applies.
SET_ASIDE = """() => document.querySelectorAll('.govuk-radios__input[aria-expanded]').forEach(i => {
  i.dataset.expanded = i.getAttribute('aria-expanded'); i.removeAttribute('aria-expanded'); })"""
PUT_BACK = """() => document.querySelectorAll('.govuk-radios__input[data-expanded]').forEach(i => {
  i.setAttribute('aria-expanded', i.dataset.expanded); delete i.dataset.expanded; })"""


def check_with_reveals(ui: Any, label: str) -> None:
    ui.page.evaluate(SET_ASIDE)
    try:
        ui.check(label)
    finally:
        ui.page.evaluate(PUT_BACK)
