"""A first load of a whole local authority's files: no step may put one query parameter per
record or person, since at a national council's size (a million person records) that overflows
the database's limit on parameters (SQLite's 32,766; PostgreSQL's 65,535)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from jigsaw.identity.linking import current_links
from jigsaw.records.models import PersonRecord
from jigsaw.risk.models import Flag

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# Above the 2,000 values the loaders read a chunk at a time; below what a 1,000-child local
# authority puts in one list (6,751 person records, about 1,900 persons).
LIMIT = 2100


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite lets a test lower the limit")
def test_a_bulk_load_keeps_every_query_within_the_parameter_limit(tmp_path: Path) -> None:
    from jigsaw.synth.generator import generate

    generate(children=1000, seed=3, out=tmp_path)
    files = sorted(tmp_path.glob("*.jsonl"))
    connection.ensure_connection()
    raw = connection.connection
    previous = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, LIMIT)
    try:
        call_command("ingest", *map(str, files))
        # Too many children to evaluate inside the load: the replay and a tick do.
        call_command("replay")
        call_command("tick")
        assert raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) == LIMIT  # same connection
    finally:
        raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, previous)
    records = PersonRecord.objects.count()
    assert records > LIMIT
    assert len(current_links()) == records  # every record linked
    assert Flag.objects.exists()  # and the children evaluated
