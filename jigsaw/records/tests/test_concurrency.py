"""Batches for different agencies are stored side by side on PostgreSQL; one agency's take turns."""

from __future__ import annotations

import os
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection

from jigsaw.records import services
from jigsaw.records.models import EventVersion
from jigsaw.records.tests.factories import EventObj, PersonObj, base_objects, ingest

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="parallel ingest and agency locks are PostgreSQL's",
)


def _admin_url(name: str) -> str:
    return os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def scratch_database() -> Iterator[str]:
    """A database of its own: the command's worker processes cannot see a test's transaction."""
    name = "jigsaw_parallel_ingest_test"
    with psycopg.connect(_admin_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield _admin_url(name)
    with psycopg.connect(_admin_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _jigsaw(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "jigsaw.config.settings.base",
    }
    return subprocess.run(
        [sys.executable, "-m", "jigsaw.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_jobs_store_several_agencies_files_at_once(
    scratch_database: str, jsonl_file: Callable[..., Path]
) -> None:
    files = []
    for code in ("AAA", "BBB", "CCC"):
        batch: list[Any] = [
            *base_objects(code=code),
            *(EventObj(agency=code, event_id=f"{code}-{n}") for n in range(50)),
        ]
        files.append(str(jsonl_file(batch, name=f"{code}.jsonl")))
    assert _jigsaw(scratch_database, "migrate", "--verbosity", "0").returncode == 0

    done = _jigsaw(scratch_database, "ingest", "--jobs", "2", *files)

    assert done.returncode == 0, done.stderr
    assert done.stdout.count("accepted") == 3
    with psycopg.connect(scratch_database) as conn:
        (events,) = conn.execute("SELECT count(*) FROM records_eventversion").fetchone()
    assert events == 150
    again = _jigsaw(scratch_database, "ingest", "--jobs", "2", *files)
    assert again.returncode == 0
    assert again.stdout.count("0 new") == 3


@pytest.mark.django_db
def test_a_batch_gives_up_on_a_second_agency_another_batch_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(services, "AGENCY_LOCK_WAIT_SECONDS", 0.5)
    name = connection.settings_dict["NAME"]
    with psycopg.connect(_admin_url(name)) as other:  # another batch, busy with agency BBB
        other.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)",
            [services._AGENCY_LOCKS, zlib.crc32(b"BBB") & 0x7FFFFFFF],
        )
        with pytest.raises(services.AgencyBusy, match="BBB"):
            ingest([*base_objects(code="AAA"), *base_objects(code="BBB")])
    assert not EventVersion.objects.exists()


@pytest.mark.django_db
def test_one_agencys_batch_is_not_held_up_by_another_agencys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(services, "AGENCY_LOCK_WAIT_SECONDS", 0.5)
    name = connection.settings_dict["NAME"]
    with psycopg.connect(_admin_url(name)) as other:
        other.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)",
            [services._AGENCY_LOCKS, zlib.crc32(b"BBB") & 0x7FFFFFFF],
        )
        report = ingest([*base_objects(code="AAA"), PersonObj(agency="AAA", local_id="H-9")])
    assert report.accepted
