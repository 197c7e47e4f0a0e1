from __future__ import annotations

import time
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError

from jigsaw.core.clock import clock
from jigsaw.core.dates import DateFormatError, parse_instant
from jigsaw.risk.services import flags_replay


class Command(BaseCommand):
    help = "Re-evaluate the whole recorded history in the order it became known, keeping flags."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--until", metavar="DATE", help="replay up to then (a date alone: the end of that day)"
        )
        parser.add_argument("--json", action="store_true", help="print the counts as JSON")

    def handle(self, *args: Any, until: str | None, json: bool, **options: Any) -> None:
        try:
            moment = parse_instant(until, end_of_day=True) if until else clock.now()
        except DateFormatError as exc:
            raise CommandError(str(exc)) from exc
        started = time.perf_counter()
        with clock.frozen(moment):
            report = flags_replay(until=moment)
        seconds = time.perf_counter() - started
        if json:
            self.stdout.write(orjson.dumps({**report.as_dict(), "seconds": seconds}).decode())
        else:
            self.stdout.write(
                f"replayed {report.events} events for {report.children} children in "
                f"{seconds:.1f} s: {report.flags_raised} flags raised, {report.revisions} revised,"
                f" {report.historical} historical"
            )
