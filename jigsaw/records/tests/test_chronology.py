"""Chronologies "as known on" a moment: recorded_at decides what was known."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jigsaw.core.dates import parse_instant
from jigsaw.core.tests.helpers import NOW, FrozenClock
from jigsaw.records.models import PersonRecord
from jigsaw.records.selectors import (
    RecordNotFound,
    agency_get,
    agency_person_versions,
    agency_summaries,
    latest_recorded_at,
    parse_record_ref,
    person_version_as_of,
    record_chronology,
    records_chronology,
)
from jigsaw.records.tests.factories import (
    AgencyObj,
    EventObj,
    PersonObj,
    base_objects,
    errors_of,
    ingest,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

Cli = Callable[..., tuple[int, str, str]]


def send(*objs: dict[str, Any]) -> None:
    report = ingest(objs)
    assert report.accepted, errors_of(report)


def at(text: str) -> datetime:
    return parse_instant(text, end_of_day=False)


def as_known_on(text: str, ref: str = "NMUH:H-1") -> list[tuple[str, int, str]]:
    """(event id, version, category or type) of each chronology entry as of `text`."""
    agency, local_id = parse_record_ref(ref)
    moment = parse_instant(text, end_of_day=True)
    return [
        (e.event_id, e.version, e.details.get("category", e.type))
        for e in record_chronology(agency=agency, local_id=local_id, as_of=moment)
    ]


@pytest.fixture
def corrected() -> None:
    """E-1 recorded on 9 April as physical, corrected on 1 May to emotional."""
    send(*base_objects(), EventObj(event_id="E-1", recorded_at="2007-04-09T15:00:00Z"))
    send(
        EventObj(
            event_id="E-1", details={"category": "emotional"}, recorded_at="2007-05-01T10:00:00Z"
        )
    )


@pytest.mark.usefixtures("corrected")
def test_before_the_correction_was_recorded_the_original_is_shown() -> None:
    assert as_known_on("2007-04-20") == [("E-1", 1, "physical")]
    assert as_known_on("2007-05-01T09:59:59Z") == [("E-1", 1, "physical")]


@pytest.mark.usefixtures("corrected")
def test_after_the_correction_was_recorded_the_correction_is_shown() -> None:
    assert as_known_on("2007-05-01T10:00:00Z") == [("E-1", 2, "emotional")]
    [entry] = record_chronology(agency="NMUH", local_id="H-1")
    assert (entry.version, entry.versions_known) == (2, 2)


@pytest.mark.usefixtures("corrected")
def test_before_anything_was_recorded_nothing_is_known() -> None:
    assert as_known_on("2007-04-09T14:59:59Z") == []


def test_event_recorded_after_as_of_is_not_seen_even_if_it_occurred_earlier() -> None:
    send(
        *base_objects(),
        EventObj(
            event_id="EARLY", occurred_at="2007-01-01T10:00:00Z", recorded_at="2007-06-01T10:00:00Z"
        ),
        EventObj(
            event_id="LATE", occurred_at="2007-03-01T10:00:00Z", recorded_at="2007-03-01T11:00:00Z"
        ),
    )
    assert as_known_on("2007-04-01") == [("LATE", 1, "physical")]
    # Once known, it takes its place by when it happened.
    assert as_known_on("2007-06-01") == [("EARLY", 1, "physical"), ("LATE", 1, "physical")]


def test_as_of_a_date_alone_is_the_end_of_that_uk_day(jigsaw_cli: Cli) -> None:
    send(
        *base_objects(),
        # 23:30 on 1 July in London (BST) is 22:30 UTC: known "on 1 July".
        EventObj(
            event_id="LATE-EVENING", occurred_at="2007-07-01T20:00", recorded_at="2007-07-01T23:30"
        ),
        # 00:30 on 2 July in London is still 1 July in UTC: not known on 1 July.
        EventObj(
            event_id="AFTER-MIDNIGHT",
            occurred_at="2007-07-01T20:00",
            recorded_at="2007-07-02T00:30",
        ),
    )
    code, out, _ = jigsaw_cli("chronology", "NMUH:H-1", "--as-of", "2007-07-01", "--json")
    assert code == 0
    assert [e["event_id"] for e in orjson.loads(out)] == ["LATE-EVENING"]
    code, out, _ = jigsaw_cli("chronology", "NMUH:H-1", "--as-of", "2007-07-02", "--json")
    assert [e["event_id"] for e in orjson.loads(out)] == ["LATE-EVENING", "AFTER-MIDNIGHT"]


def a_parent() -> dict[str, Any]:
    """H-2: another person than H-1 (the default person objects are all one Peter Smith)."""
    return PersonObj(local_id="H-2", given_name="Mary", date_of_birth="1980-05-05", sex="F")


def test_chronology_json_from_the_command_line(jigsaw_cli: Cli) -> None:
    send(
        *base_objects("H-1"),
        a_parent(),
        EventObj(
            event_id="AE-88123",
            type="ae_attendance",
            occurred_at="2006-12-11T20:15:00Z",
            recorded_at="2006-12-11T23:40:00Z",
            subjects=[{"local_id": "H-1", "role": "child"}, {"local_id": "H-2", "role": "parent"}],
            author={"name": "Dr A. Example", "role": "paediatric registrar"},
            details={"injuries": [{"kind": "bruise", "site": "face"}], "ward": "Paeds A"},
            narrative="Free text as the professional wrote it.",
        ),
        EventObj(
            event_id="C-2", occurred_at="2007-02-01T10:00:00Z", recorded_at="2007-02-01T11:00:00Z"
        ),
    )
    send(
        EventObj(
            event_id="C-2",
            details={"category": "neglect"},
            occurred_at="2007-02-01T10:00:00Z",
            recorded_at="2007-03-01T09:00:00Z",
        )
    )
    code, out, err = jigsaw_cli("chronology", "NMUH:H-1", "--as-of", "2007-02-15", "--json")
    assert (code, err) == (0, "")
    entries = orjson.loads(out)
    # Each entry names the person the record is linked to (a different one for H-2).
    [person] = {entry.pop("person") for entry in entries}
    assert person
    assert entries == [
        {
            "agency": "NMUH",
            "event_id": "AE-88123",
            "version": 1,
            "versions_known": 1,
            "type": "ae_attendance",
            "occurred_at": "2006-12-11T20:15:00+00:00",
            "recorded_at": "2006-12-11T23:40:00+00:00",
            "role": "child",
            "details": {"injuries": [{"kind": "bruise", "site": "face"}], "ward": "Paeds A"},
            "narrative": "Free text as the professional wrote it.",
            "author": {"name": "Dr A. Example", "role": "paediatric registrar"},
            "subjects": [
                {"local_id": "H-1", "role": "child"},
                {"local_id": "H-2", "role": "parent"},
            ],
            "record": "NMUH:H-1",
        },
        {
            "agency": "NMUH",
            "event_id": "C-2",
            "version": 1,
            "versions_known": 1,
            "type": "concern_raised",
            "occurred_at": "2007-02-01T10:00:00+00:00",
            "recorded_at": "2007-02-01T11:00:00+00:00",
            "role": "child",
            "details": {"category": "physical"},
            "narrative": "",
            "author": {"name": "", "role": ""},
            "subjects": [{"local_id": "H-1", "role": "child"}],
            "record": "NMUH:H-1",
        },
    ]
    _, out, _ = jigsaw_cli("chronology", "NMUH:H-2", "--json")
    [entry] = orjson.loads(out)
    assert (entry["event_id"], entry["role"]) == ("AE-88123", "parent")
    assert entry["person"] != person


def test_chronology_text_from_the_command_line(jigsaw_cli: Cli) -> None:
    when = {"occurred_at": "2007-07-01T00:30", "recorded_at": "2007-07-01T09:00"}
    send(*base_objects(), EventObj(event_id="E-1", **when))
    send(EventObj(event_id="E-1", details={"category": "neglect"}, **when))
    code, out, _ = jigsaw_cli("chronology", "NMUH:H-1")
    assert code == 0
    [line] = out.splitlines()
    # The UK date (00:30 BST on 1 July is 30 June in UTC).
    assert line.startswith("2007-07-01  NMUH     concern_raised")
    assert line.endswith("neglect concern (corrected, version 2)")
    code, out, _ = jigsaw_cli("chronology", "NMUH:H-1", "--as-of", "2007-01-01")
    assert out == "No events known.\n"


def test_chronology_json_through_call_command(capsys: pytest.CaptureFixture[str]) -> None:
    import io

    send(*base_objects(), EventObj(event_id="E-1"))
    out = io.StringIO()
    call_command("chronology", "NMUH:H-1", "--json", stdout=out)
    assert [e["event_id"] for e in orjson.loads(out.getvalue())] == ["E-1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["NMUH-H-1"], "is not of the form AGENCY:LOCAL_ID"),
        (["NMUH:"], "is not of the form AGENCY:LOCAL_ID"),
        (["NMUH:H-404"], "no person record 'H-404' from agency 'NMUH'"),
        (["NMUH:H-1", "--as-of", "2007-02-30"], "is not a date in the form YYYY-MM-DD"),
        (["NMUH:H-1", "--as-of", "soon"], "is not an ISO 8601 date-time"),
    ],
)
def test_chronology_command_errors(args: list[str], message: str) -> None:
    send(*base_objects())
    with pytest.raises(CommandError, match=message):
        call_command("chronology", *args)


def test_chronology_command_errors_exit_non_zero(jigsaw_cli: Cli) -> None:
    code, _, err = jigsaw_cli("chronology", "NMUH:H-404")
    assert code == 1
    assert "no person record 'H-404' from agency 'NMUH'" in err


def test_local_ids_may_contain_colons() -> None:
    assert parse_record_ref("NMUH:H:1") == ("NMUH", "H:1")
    send(*base_objects("H:1"), EventObj(subjects=[{"local_id": "H:1", "role": "child"}]))
    assert len(as_known_on("2008-01-01", "NMUH:H:1")) == 1


def test_unknown_record_is_not_found() -> None:
    with pytest.raises(RecordNotFound):
        record_chronology(agency="NMUH", local_id="H-1")


def test_chronology_is_in_the_order_things_happened() -> None:
    send(
        *base_objects(),
        EventObj(
            event_id="B", occurred_at="2007-02-01T10:00:00Z", recorded_at="2007-06-01T10:00:00Z"
        ),
        EventObj(
            event_id="C", occurred_at="2007-03-01T10:00:00Z", recorded_at="2007-03-01T10:00:00Z"
        ),
        EventObj(
            event_id="A", occurred_at="2007-01-01T10:00:00Z", recorded_at="2007-07-01T10:00:00Z"
        ),
    )
    assert [e[0] for e in as_known_on("2008-01-01")] == ["A", "B", "C"]


def test_event_whose_correction_no_longer_names_the_record_is_left_out() -> None:
    send(*base_objects("H-1"), a_parent(), EventObj(event_id="E-1"))
    send(
        EventObj(
            event_id="E-1",
            subjects=[{"local_id": "H-2", "role": "child"}],
            recorded_at="2007-05-01T10:00:00Z",
        )
    )
    assert as_known_on("2007-04-30") == [("E-1", 1, "physical")]
    assert as_known_on("2007-05-01") == []
    assert as_known_on("2007-05-01", "NMUH:H-2") == [("E-1", 2, "physical")]


def test_chronology_of_several_records() -> None:
    send(
        *base_objects("H-1", "H-2"),
        *base_objects("P-1", code="MET", sector="police"),
        EventObj(event_id="E-1", occurred_at="2007-02-01T10:00:00Z"),
        EventObj(
            event_id="E-2",
            agency="MET",
            type="police_incident",
            occurred_at="2007-03-01T10:00:00Z",
            recorded_at="2007-03-01T11:00:00Z",
            subjects=[{"local_id": "P-1", "role": "victim"}],
            details={"incident_type": "domestic_abuse", "children_present": True},
        ),
        EventObj(event_id="E-3", subjects=[{"local_id": "H-2", "role": "child"}]),
    )
    ids = list(
        PersonRecord.objects.filter(local_id__in=["H-1", "P-1"]).values_list("pk", flat=True)
    )
    entries = records_chronology(record_ids=ids)
    assert [(e.agency, e.event_id, e.role) for e in entries] == [
        ("NMUH", "E-1", "child"),
        ("MET", "E-2", "victim"),
    ]


def test_chronology_defaults_to_the_clocks_now(clock: FrozenClock) -> None:
    clock.set(datetime(2007, 4, 9, 14, 30, tzinfo=UTC))
    send(
        *base_objects(),
        EventObj(event_id="E-1", recorded_at=None, occurred_at="2007-04-09T14:00:00Z"),
    )
    clock.set(datetime(2007, 4, 9, 14, 29, tzinfo=UTC))
    assert record_chronology(agency="NMUH", local_id="H-1") == []
    clock.set(NOW)
    assert len(record_chronology(agency="NMUH", local_id="H-1")) == 1


def test_chronology_reads_a_fixed_number_of_queries() -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            record_chronology(agency="NMUH", local_id="H-1")
        return len(captured)

    send(*base_objects("H-1", "H-2"), EventObj(event_id="E-0"))
    few = queries()
    send(
        *(
            EventObj(
                event_id=f"E-{n}",
                subjects=[
                    {"local_id": "H-1", "role": "child"},
                    {"local_id": "H-2", "role": "parent"},
                ],
            )
            for n in range(1, 12)
        )
    )
    send(*(EventObj(event_id=f"E-{n}", details={"category": "neglect"}) for n in range(1, 6)))
    assert len(record_chronology(agency="NMUH", local_id="H-1")) == 12
    assert queries() == few


def test_person_as_known_on() -> None:
    send(
        AgencyObj(),
        PersonObj(local_id="H-1", family_name="Smith", recorded_at="2006-12-11T21:05:00Z"),
    )
    send(PersonObj(local_id="H-1", family_name="Smyth", recorded_at="2007-02-01T09:00:00Z"))
    record = PersonRecord.objects.get(local_id="H-1")
    assert person_version_as_of(record=record, as_of=at("2006-12-01")) is None
    found = person_version_as_of(record=record, as_of=at("2007-01-01"))
    assert found is not None
    assert found.family_name == "Smith"
    found = person_version_as_of(record=record)
    assert found is not None
    assert (found.version, found.family_name) == (2, "Smyth")


def test_agency_summaries_as_known_on() -> None:
    send(
        *base_objects("H-1", "H-2"),
        EventObj(event_id="E-1"),
        EventObj(event_id="E-2", recorded_at="2007-09-01T10:00:00Z"),
    )
    send(
        AgencyObj(code="MET", sector="police", recorded_at="2007-12-01T00:00:00Z"),
    )
    [nmuh] = agency_summaries(as_of=at("2007-05-01"))
    assert (nmuh.code, nmuh.sector, nmuh.person_records, nmuh.events) == ("NMUH", "health", 2, 1)
    summaries = agency_summaries()
    assert [(s.code, s.events) for s in summaries] == [("MET", 0), ("NMUH", 2)]


def test_agency_lookups_and_the_latest_recorded_event() -> None:
    assert latest_recorded_at() is None
    send(
        *base_objects("H-1", "H-2"),
        EventObj(event_id="E-1", recorded_at="2007-09-01T10:00:00Z"),
        EventObj(event_id="E-2", recorded_at="2007-05-01T10:00:00Z"),
    )
    send(PersonObj(local_id="H-2", given_name="Paul", recorded_at="2007-08-01T10:00:00Z"))
    assert latest_recorded_at() == at("2007-09-01T10:00:00Z")
    found = agency_get(code="NMUH")
    assert found is not None
    assert (found.person_records, found.events) == (2, 2)
    assert agency_get(code="NOPE") is None
    earlier = agency_person_versions(code="NMUH", as_of=at("2007-01-01"))
    assert sorted((v.record.local_id, v.given_name) for v in earlier) == [
        ("H-1", "Peter"),
        ("H-2", "Peter"),
    ]
    now = agency_person_versions(code="NMUH")
    assert sorted((v.record.local_id, v.version, v.given_name) for v in now) == [
        ("H-1", 1, "Peter"),
        ("H-2", 2, "Paul"),
    ]
