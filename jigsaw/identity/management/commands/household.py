from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError

from jigsaw.core.dates import DateFormatError, parse_instant
from jigsaw.identity.presenters import household_lines
from jigsaw.identity.selectors import household_of, person_get, record_get, record_person
from jigsaw.identity.services import IdentityError
from jigsaw.records.selectors import RecordNotFound, parse_record_ref


class Command(BaseCommand):
    help = "Who lives with the person of an agency record, since when, by which agency's say."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("record", metavar="AGENCY:LOCAL_ID")
        parser.add_argument(
            "--as-of", metavar="DATE", help="as known on then (a date alone: the end of that day)"
        )
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(
        self, *args: Any, record: str, as_of: str | None, json: bool, **options: Any
    ) -> None:
        try:
            agency, local_id = parse_record_ref(record)
            moment = parse_instant(as_of, end_of_day=True) if as_of else None
            found = record_get(agency=agency, local_id=local_id, user=None)
            person_id = record_person(record=found, user=None, as_of=moment)
            if person_id is None:
                raise IdentityError(f"{record} was not linked to a person by then")
            person = person_get(person_id=person_id, user=None)
            household = household_of(person=person, user=None, as_of=moment)
        except (ValueError, DateFormatError, RecordNotFound) as exc:
            raise CommandError(str(exc)) from exc
        if json:
            self.stdout.write(
                orjson.dumps(household.as_dict(), option=orjson.OPT_INDENT_2).decode()
            )
            return
        self.stdout.write("\n".join(household_lines(household)))
