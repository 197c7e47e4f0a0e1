from __future__ import annotations

from typing import Any

import orjson
from django.core.management.base import BaseCommand

from jigsaw.risk.services import flags_tick


class Command(BaseCommand):
    help = "One pass of the risk rules at the current clock: time-based flags and escalations."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="print the counts as JSON")

    def handle(self, *args: Any, json: bool, **options: Any) -> None:
        report = flags_tick()
        if json:
            self.stdout.write(orjson.dumps(report.as_dict()).decode())
        else:
            self.stdout.write(
                f"{report.children} children evaluated: {report.flags_raised} flags raised, "
                f"{report.revisions} revised, {report.escalations} escalations"
            )
