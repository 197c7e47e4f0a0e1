from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError

from jigsaw.access.need_to_know import viewer_of
from jigsaw.core.dates import DateFormatError, parse_instant, uk_date
from jigsaw.records.presenters import event_summary
from jigsaw.records.selectors import RecordNotFound, chronology_for, parse_record_ref


class Command(BaseCommand):
    help = (
        "List the events about a person, from every agency's records linked to this one, in "
        "time order, as known on a date."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("record", metavar="AGENCY:LOCAL_ID")
        parser.add_argument(
            "--as-of",
            metavar="DATE",
            help="only what was recorded by then (a date alone: the end of that day, UK time)",
        )
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(
        self, *args: Any, record: str, as_of: str | None, json: bool, **options: Any
    ) -> None:
        try:
            agency, local_id = parse_record_ref(record)
            moment = parse_instant(as_of, end_of_day=True) if as_of else None
            # The operator on the server sees everything; the read is audited all the same.
            seen = chronology_for(viewer_of(None), agency=agency, local_id=local_id, as_of=moment)
        except (ValueError, DateFormatError, RecordNotFound) as exc:
            raise CommandError(str(exc)) from exc
        related, entries = seen.related, seen.entries
        if json:
            self.stdout.write(
                orjson.dumps(
                    [{**e.as_dict(), "person": related.person} for e in entries],
                    option=orjson.OPT_INDENT_2,
                ).decode()
            )
            return
        if not entries:
            self.stdout.write("No events known.")
        for entry in entries:
            corrected = f" (corrected, version {entry.version})" if entry.versions_known > 1 else ""
            self.stdout.write(
                f"{uk_date(entry.occurred_at).isoformat()}  {entry.agency:<8} {entry.type:<28} "
                f"{event_summary(entry.type, entry.details)}{corrected}"
            )
