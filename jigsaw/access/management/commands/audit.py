from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jigsaw.access.audit import audit_verify
from jigsaw.access.presenters import audit_line
from jigsaw.access.selectors import audit_for_person, audit_recent


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain, or show who has seen a person's records."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="check every entry's hash; exit 1 at the first broken one")
        show = sub.add_parser("show", help="list entries, newest first")
        show.add_argument("--person", metavar="ID", help="only entries about this person")
        show.add_argument("--limit", type=int, default=50)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "verify":
            report = audit_verify()
            if not report.ok:
                raise CommandError(
                    f"audit chain broken at entry {report.broken_seq}: {report.problem} "
                    f"({report.checked} entries before it are intact)"
                )
            self.stdout.write(f"audit chain intact: {report.checked} entries; head {report.head}")
            return
        entries = (
            audit_for_person(person_id=options["person"]) if options["person"] else audit_recent()
        )
        shown = 0
        for entry in entries[: options["limit"]]:
            self.stdout.write(audit_line(entry))
            shown += 1
        if not shown:
            self.stdout.write("no audit entries")
