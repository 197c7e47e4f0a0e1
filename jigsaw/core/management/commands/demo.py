from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from jigsaw.records.services import batch_ingest, file_sha256, jsonl_source

# Demo logins: synthetic people, for a synthetic local authority, on this machine only.
DEMO_PASSWORD = "jigsaw-demo-2026"
DEMO_USERS = [
    ("social.worker", "Sam", "Okafor"),
    ("team.manager", "Priya", "Shah"),
    ("mash.practitioner", "Tom", "Reilly"),
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
        User = get_user_model()
        self.stdout.write("\nDemo logins (synthetic data only):")
        for username, first, last in DEMO_USERS:
            user, _ = User.objects.get_or_create(
                username=username, defaults={"first_name": first, "last_name": last}
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            self.stdout.write(f"  {username:<20} password: {DEMO_PASSWORD}")
