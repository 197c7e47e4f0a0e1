from __future__ import annotations

from argparse import ArgumentParser
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from jigsaw.access.roles import Role, Sector
from jigsaw.access.selectors import staff_profile_by_username
from jigsaw.access.services import demo_otpauth_uri, user_create
from jigsaw.casework.selectors import (
    demo_casework_done,
    demo_children_by_recent_work,
    demo_hospital,
)
from jigsaw.casework.services import allocation_set, contact_record
from jigsaw.core.clock import clock
from jigsaw.records.hooks import bulk_load
from jigsaw.records.services import batch_ingest, file_sha256, jsonl_source

# Demo logins: synthetic people, for a synthetic local authority, on this machine only.
DEMO_PASSWORD = "jigsaw-demo-2026"
DEMO_TEAM = "Northfield Assessment Team"
CP_TEAM = "Northfield Child Protection Team"
HOSPITAL = "the hospital"  # the demo health practitioner's agency: the LA's first hospital
DEMO_USERS: list[tuple[str, str, str, str, str, dict[str, Any]]] = [
    # username, first name, last name, role, team, other profile fields
    ("social.worker", "Sam", "Okafor", Role.SOCIAL_WORKER, DEMO_TEAM, {}),
    ("social.worker2", "Alex", "Morgan", Role.SOCIAL_WORKER, DEMO_TEAM, {}),
    ("team.manager", "Priya", "Shah", Role.TEAM_MANAGER, DEMO_TEAM, {}),
    ("cp.worker", "Jo", "Adeyemi", Role.SOCIAL_WORKER, CP_TEAM, {}),
    ("cp.manager", "Ruth", "Evans", Role.TEAM_MANAGER, CP_TEAM, {}),
    ("mash.practitioner", "Tom", "Reilly", Role.MASH_PRACTITIONER, "Northfield MASH", {}),
    ("head.of.service", "Grace", "Mensah", Role.HEAD_OF_SERVICE, "", {}),
    ("health.practitioner", "Lena", "Novak", Role.AGENCY_PRACTITIONER, "",
     {"agency_code": HOSPITAL, "sector": Sector.HEALTH}),
    ("analyst", "Ravi", "Patel", Role.ANALYST, "", {}),
    ("inspector", "Helen", "Ward", Role.INSPECTOR, "", {"expires_in": timedelta(days=90)}),
    ("sysadmin", "Chris", "Lee", Role.SYSTEM_ADMINISTRATOR, "", {}),
]  # fmt: skip
# The children each demo social worker holds: a full caseload, busiest cases first.
CASELOAD = 20
CASE_HOLDERS = ("social.worker", "social.worker2", "cp.worker")
DEMO_CONTACTS = 3  # contacts left in triage at the front door


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
        self._casework()

    @transaction.atomic
    def _users(self) -> None:
        self.stdout.write(
            "\nDemo logins (synthetic data only). Sign-in asks for a code from an authenticator "
            "app:\nadd each account to any TOTP app (NHS, Microsoft, Google, 1Password...) from "
            "its otpauth:// link\nor secret, or print the current code with "
            "`jigsaw user code USERNAME`."
        )
        hospital = demo_hospital()
        for username, first, last, role, team, extra in DEMO_USERS:
            options = dict(extra)
            if "expires_in" in options:
                options["expires_at"] = clock.now() + options.pop("expires_in")
            if options.get("agency_code") == HOSPITAL:
                options["agency_code"] = hospital
            if staff_profile_by_username(username=username) is None:
                user_create(
                    username=username,
                    role=role,
                    team=team,
                    first_name=first,
                    last_name=last,
                    password=DEMO_PASSWORD,
                    is_demo=True,
                    **options,
                )
            where = ", ".join(filter(None, [str(role), team or options.get("agency_code", "")]))
            self.stdout.write(f"  {username:<20} password: {DEMO_PASSWORD}  ({where})")
            self.stdout.write(f"  {'':<20} {demo_otpauth_uri(username=username)}")

    def _casework(self) -> None:
        """Give each demo social worker a caseload and leave some contacts at the front door."""
        if demo_casework_done():
            return
        children = demo_children_by_recent_work()
        holders = [staff_profile_by_username(username=name) for name in CASE_HOLDERS]
        for n, profile in enumerate(holders):
            assert profile is not None
            for person in children[n * CASELOAD : (n + 1) * CASELOAD]:
                allocation_set(
                    person=person,
                    team=profile.team,
                    worker=profile.user,
                    started_at=clock.now() - timedelta(days=30 + person.pk % 200),
                    reason="allocated for the demo",
                )
        mash = staff_profile_by_username(username="mash.practitioner")
        assert mash is not None
        for person in children[len(holders) * CASELOAD :][:DEMO_CONTACTS]:
            contact_record(
                summary="Nursery worried: the child arrived with a bruise and was withdrawn.",
                persons=[(person, "child")],
                source_name="Nursery manager",
                by=mash.user,
            )
        self.stdout.write(
            f"\nAllocated {CASELOAD} children to each of {', '.join(CASE_HOLDERS)}; "
            f"{DEMO_CONTACTS} contacts wait in triage at the MASH."
        )
