from __future__ import annotations

from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError

from jigsaw.core.dates import DateFormatError, parse_instant
from jigsaw.identity.selectors import record_get, record_person
from jigsaw.records.selectors import RecordNotFound, parse_record_ref
from jigsaw.risk.presenters import flag_lines
from jigsaw.risk.selectors import flags_as_of, flags_list


class Command(BaseCommand):
    help = "The risk flags, most urgent first (optionally for one child, as known on a date)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--as-of",
            metavar="DATE",
            help="as live running would have shown them then (a date alone: the end of that day)",
        )
        parser.add_argument("--child", metavar="AGENCY:LOCAL_ID", help="one child's flags")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(
        self, *args: Any, as_of: str | None, child: str | None, json: bool, **options: Any
    ) -> None:
        try:
            moment = parse_instant(as_of, end_of_day=True) if as_of else None
            person = None
            if child:
                agency, local_id = parse_record_ref(child)
                record = record_get(agency=agency, local_id=local_id, user=None)
                person = record_person(record=record, user=None, as_of=moment)
                if person is None:
                    raise CommandError(f"{child} was not linked to a person by then")
        except (ValueError, DateFormatError, RecordNotFound) as exc:
            raise CommandError(str(exc)) from exc
        if moment is not None:
            views = flags_as_of(user=None, as_of=moment, person=person)
        else:
            views = flags_list(user=None, person=person)
        if json:
            out = [v.as_dict() for v in views]
            self.stdout.write(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())
            return
        self.stdout.write("\n".join(flag_lines(views)) if views else "No flags.")
