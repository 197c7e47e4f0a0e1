from __future__ import annotations

from argparse import ArgumentParser
from datetime import datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jigsaw.access.roles import Role, Sector
from jigsaw.access.selectors import staff_list
from jigsaw.access.services import (
    AccountError,
    demo_code,
    user_create,
    user_disable,
    user_unlock,
)
from jigsaw.core.clock import clock
from jigsaw.core.dates import UK


def _end_of(value: str) -> datetime:
    """--expires DATE: the account works until the end of that day, UK time."""
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()  # noqa: DTZ007 - a date, zoned below
    except ValueError as exc:
        raise CommandError(f"--expires: '{value}' is not a date like 2026-03-31") from exc
    return datetime.combine(day, time.max, tzinfo=UK)


class Command(BaseCommand):
    help = "Add, list, disable or unlock staff accounts (and print a demo account's code)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser(
            "add", help="add an account; prints a one-time password and the two-factor secret"
        )
        add.add_argument("username", metavar="USERNAME")
        add.add_argument("--role", required=True, choices=Role.values)
        add.add_argument("--team", default="", help="the team's name (made if new)")
        add.add_argument("--agency", default="", help="agency code (agency staff)")
        add.add_argument("--sector", default="", choices=["", *Sector.values])
        add.add_argument("--expires", default="", metavar="DATE", help="last day (inspectors)")
        add.add_argument("--first-name", default="")
        add.add_argument("--last-name", default="")
        sub.add_parser("list", help="list accounts with role, team and state")
        for name, text in [
            ("disable", "stop an account working, at once"),
            ("unlock", "clear the failed attempts that locked an account"),
            ("code", "print a demo account's current two-factor code (demo accounts only)"),
        ]:
            sub.add_parser(name, help=text).add_argument("username", metavar="USERNAME")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            getattr(self, f"_{action}")(**options)
        except AccountError as exc:
            raise CommandError(str(exc)) from exc

    def _add(self, **options: Any) -> None:
        account = user_create(
            username=options["username"],
            role=options["role"],
            team=options["team"],
            agency_code=options["agency"],
            sector=options["sector"],
            expires_at=_end_of(options["expires"]) if options["expires"] else None,
            first_name=options["first_name"],
            last_name=options["last_name"],
        )
        self.stdout.write(f"added {account.user.username} ({options['role']})")
        self.stdout.write(f"one-time password (to be changed at first sign-in): {account.password}")
        self.stdout.write("two-factor: add this to an authenticator app (or make a QR code of it):")
        self.stdout.write(account.otpauth_uri)

    def _list(self, **options: Any) -> None:
        now = clock.now()
        for profile in staff_list():
            state = "active" if profile.usable_at(now) else "disabled/expired"
            team = profile.team.name if profile.team else "-"
            until = f" until {profile.expires_at:%Y-%m-%d}" if profile.expires_at else ""
            self.stdout.write(
                f"{profile.user.username:<24} {profile.role:<26} {team:<28} "
                f"{profile.agency_code or '-':<8} {state}{until}"
            )

    def _disable(self, *, username: str, **options: Any) -> None:
        user_disable(username=username)
        self.stdout.write(f"disabled {username}")

    def _unlock(self, *, username: str, **options: Any) -> None:
        cleared = user_unlock(username=username)
        self.stdout.write(f"unlocked {username} ({cleared} failed-attempt records cleared)")

    def _code(self, *, username: str, **options: Any) -> None:
        self.stdout.write(demo_code(username=username))
