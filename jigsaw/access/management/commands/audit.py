from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jigsaw.access.audit import audit_verify
from jigsaw.access.presenters import audit_line
from jigsaw.access.selectors import (
    audit_for_manager,
    audit_for_person,
    audit_recent,
    staff_profile_by_username,
    teams_managed_by,
)
from jigsaw.access.subject_access import NoSuchPerson, subject_access_export


class Command(BaseCommand):
    help = (
        "Verify the audit trail's hash chain, show who has seen a person's records, or export "
        "everything held about a person (subject access)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="check every entry's hash; exit 1 at the first broken one")
        show = sub.add_parser("show", help="list entries, newest first")
        show.add_argument("--person", metavar="ID", help="only entries about this person")
        show.add_argument(
            "--manager",
            metavar="USERNAME",
            help="only what the staff of the teams this manager runs have done",
        )
        show.add_argument("--limit", type=int, default=50)
        export = sub.add_parser(
            "export", help="subject access: everything held about a person, as JSON"
        )
        export.add_argument("person", metavar="PERSON_ID", type=int)
        export.add_argument("--out", type=Path, help="write to this file (default: stdout)")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "verify":
            report = audit_verify()
            if not report.ok:
                raise CommandError(
                    f"audit {report.part} broken at entry {report.broken_seq}: {report.problem} "
                    f"({report.checked} entries before it are intact)"
                )
            self.stdout.write(
                f"audit chain intact: {report.checked} entries, each with its index of people; "
                f"head {report.head}"
            )
            return
        if action == "export":
            try:
                data = subject_access_export(person_id=options["person"])
            except NoSuchPerson as exc:
                raise CommandError(str(exc)) from None
            text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
            if options["out"]:
                options["out"].write_text(text + "\n", encoding="utf-8")
                self.stdout.write(
                    f"wrote {options['out']}: {len(data['records'])} records, "
                    f"{len(data['events'])} events, {len(data['flags'])} flags, "
                    f"{len(data['access_log'])} audit entries"
                )
            else:
                self.stdout.write(text)
            return
        if options["manager"]:
            entries = audit_for_manager(
                manager=self._manager(options["manager"]), person_id=options["person"]
            )
        elif options["person"]:
            entries = audit_for_person(person_id=options["person"])
        else:
            entries = audit_recent()
        shown = 0
        for entry in entries[: options["limit"]]:
            self.stdout.write(audit_line(entry))
            shown += 1
        if not shown:
            self.stdout.write("no audit entries")

    def _manager(self, username: str) -> Any:
        profile = staff_profile_by_username(username=username)
        if profile is None:
            raise CommandError(f"there is no account '{username}'")
        if not teams_managed_by(user=profile.user).exists():
            raise CommandError(f"'{username}' manages no team")
        return profile.user
