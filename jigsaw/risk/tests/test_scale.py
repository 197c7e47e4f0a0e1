"""A whole authority's flags: no read or write of them may put one query parameter per flag or
person, since a large authority's thousands overflow the database's limit on parameters."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from jigsaw.core.clock import clock
from jigsaw.identity.models import Person
from jigsaw.risk.models import Flag, FlagAction, FlagRevision
from jigsaw.risk.services import _Writer, escalations_run, risk_settings

pytestmark = pytest.mark.django_db

# Above the 2,000 values read a chunk at a time, below the flags made here.
LIMIT = 2100
FLAGS = 2300


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite lets a test lower the limit")
def test_every_flag_of_an_authority_is_read_and_escalated_within_the_parameter_limit() -> None:
    now = clock.now()
    past = now - timedelta(days=20)
    persons = Person.objects.bulk_create([Person(created_at=past) for _ in range(FLAGS)])
    flags = Flag.objects.bulk_create(
        [
            Flag(key=f"R1:{p.pk}:1", rule_id="R1", person=p, title="Injury to a baby",
                 basis="basis", raised_at=past, known_at=past)
            for p in persons
        ]
    )  # fmt: skip
    FlagRevision.objects.bulk_create(
        [
            FlagRevision(flag=f, number=1, severity="high", evidence=[], reason="why",
                         action="act", owner="social_worker", due_by=past, known_at=past)
            for f in flags
        ]
    )  # fmt: skip
    connection.ensure_connection()
    raw = connection.connection
    previous = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, LIMIT)
    try:
        writer = _Writer(risk_settings())
        writer.load([p.pk for p in persons])
        escalated = escalations_run(now=now)
        out = StringIO()
        call_command("flags", "--json", stdout=out)
        assert raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) == LIMIT  # same connection
    finally:
        raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, previous)
    assert len(writer.known) == FLAGS
    assert escalated >= FLAGS
    assert FlagAction.objects.filter(kind=FlagAction.Kind.ESCALATED).count() == escalated
    listed = json.loads(out.getvalue())
    assert len(listed) == FLAGS
    assert all(flag["escalation"] for flag in listed)
