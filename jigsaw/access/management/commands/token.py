from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jigsaw.access.models import ApiToken
from jigsaw.access.services import TokenError, token_create, token_revoke


class Command(BaseCommand):
    help = "Issue, list or revoke an agency system's API token."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="issue a token; the secret is printed once")
        add.add_argument("agency", metavar="AGENCY")
        add.add_argument("--name", default="", help="what the token is for")
        add.add_argument(
            "--scope",
            dest="scopes",
            action="append",
            choices=ApiToken.Scope.values,
            metavar="SCOPE",
            help="what the token may do, repeatable: send (send batches; the default), "
            "read_flags (read the flags of children the agency holds records of)",
        )
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix", metavar="PREFIX")
        sub.add_parser("list", help="list tokens (never their secrets)")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "add":
            scopes = list(dict.fromkeys(options["scopes"] or [ApiToken.Scope.SEND]))
            issued = token_create(
                agency_code=options["agency"], name=options["name"], scopes=scopes
            )
            self.stdout.write(f"token for {options['agency']} (prefix {issued.token.prefix}):")
            self.stdout.write(issued.secret)
        elif action == "revoke":
            try:
                token = token_revoke(prefix=options["prefix"])
            except TokenError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"revoked {token.prefix} ({token.agency_code})")
        else:
            for token in ApiToken.objects.order_by("agency_code", "created_at"):
                state = "revoked" if token.revoked_at else "live"
                used = token.last_used_at.isoformat() if token.last_used_at else "never used"
                self.stdout.write(
                    f"{token.prefix}  {token.agency_code:<10} {state:<8} {used}  {token.name}"
                )
