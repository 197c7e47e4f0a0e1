from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from jigsaw.access.roles import Role
from jigsaw.access.selectors import staff_profile_by_username
from jigsaw.access.services import demo_otpauth_uri, user_create
from jigsaw.records.hooks import bulk_load
from jigsaw.records.services import batch_ingest, file_sha256, jsonl_source

# Demo logins: synthetic people, for a synthetic local authority, on this machine only.
DEMO_PASSWORD = "jigsaw-demo-2026"
DEMO_TEAM = "Northfield Assessment Team"
DEMO_USERS = [
    # username, first name, last name, role, team
    ("social.worker", "Sam", "Okafor", Role.SOCIAL_WORKER, DEMO_TEAM),
    ("team.manager", "Priya", "Shah", Role.TEAM_MANAGER, DEMO_TEAM),
    ("mash.practitioner", "Tom", "Reilly", Role.MASH_PRACTITIONER, "Northfield MASH"),
]


class Command(BaseCommand):
    help = "Load a synthetic local authority and demo logins (never use on real data)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--children", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=2007)
        parser.add_argument("--out", type=Path, default=Path("demo-data"))

    def handle(self, *args: Any, children: int, seed: int, out: Path, **options: Any) -> None:
        call_command(
            "synth",
            "--children",
            str(children),
            "--seed",
            str(seed),
            "--out",
            str(out),
            stdout=self.stdout,
        )
        with bulk_load():  # link and evaluate once, after every file is stored
            for path in sorted(out.glob("*.jsonl")):
                report = batch_ingest(
                    source=jsonl_source(path),
                    channel="file",
                    source_name=str(path),
                    sha256=file_sha256(path),
                )
                if not report.accepted:
                    first = report.errors[0] if report.errors else None
                    raise CommandError(
                        f"{path}: rejected ({report.error_count} errors; first: {first})"
                    )
                self.stdout.write(f"{path.name}: {report.new} new, {report.unchanged} unchanged")
        self._users()

    @transaction.atomic
    def _users(self) -> None:
        self.stdout.write(
            "\nDemo logins (synthetic data only). Sign-in asks for a code from an authenticator "
            "app:\nadd each account to any TOTP app (NHS, Microsoft, Google, 1Password...) from "
            "its otpauth:// link\nor secret, or print the current code with "
            "`jigsaw user code USERNAME`."
        )
        for username, first, last, role, team in DEMO_USERS:
            if staff_profile_by_username(username=username) is None:
                user_create(
                    username=username,
                    role=role,
                    team=team,
                    first_name=first,
                    last_name=last,
                    password=DEMO_PASSWORD,
                    is_demo=True,
                )
            self.stdout.write(f"  {username:<20} password: {DEMO_PASSWORD}  ({role}, {team})")
            self.stdout.write(f"  {'':<20} {demo_otpauth_uri(username=username)}")
