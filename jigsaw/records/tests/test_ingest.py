"""Ingest: files, all or nothing, and idempotent resends."""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jigsaw.core.tests.helpers import NOW, FrozenClock
from jigsaw.records.models import (
    AgencyVersion,
    Event,
    EventSubject,
    EventVersion,
    PersonRecord,
    PersonVersion,
    Submission,
)
from jigsaw.records.selectors import records_chronology
from jigsaw.records.services import MAX_REPORTED_ERRORS
from jigsaw.records.tests.factories import (
    AgencyObj,
    EventObj,
    PersonObj,
    base_objects,
    errors_of,
    ingest,
    jsonl_bytes,
    row_counts,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

WriteFile = Callable[..., Path]


def good_batch() -> list[dict[str, Any]]:
    return [
        *base_objects("H-1", "H-2"),
        EventObj(event_id="E-1"),
        EventObj(
            event_id="E-2",
            type="ae_attendance",
            subjects=[{"local_id": "H-1", "role": "child"}, {"local_id": "H-2", "role": "parent"}],
            details={"injuries": [{"kind": "bruise", "site": "L cheek"}], "delay_hours": 30},
        ),
    ]


def run_ingest(*paths: Path, json: bool = False) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("ingest", *map(str, paths), json=json, stdout=out, stderr=err)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


def versions_and_identities() -> dict[str, int]:
    counts = row_counts()
    del counts[Submission._meta.label]
    return counts


# --- files ------------------------------------------------------------------------------------


def test_good_file_is_stored_and_counted(jsonl_file: WriteFile) -> None:
    path = jsonl_file(good_batch())
    code, out, err = run_ingest(path)
    assert (code, err) == (0, "")
    assert out == f"{path}: accepted: 5 new, 0 unchanged, 0 superseded\n"
    assert PersonRecord.objects.count() == 2
    assert EventVersion.objects.count() == 2
    assert EventSubject.objects.count() == 3
    submission = Submission.objects.get()
    assert (submission.channel, submission.source, submission.received_at) == (
        "file",
        str(path),
        NOW,
    )
    assert (submission.new, submission.unchanged, submission.superseded) == (5, 0, 0)
    assert len(submission.sha256) == 64
    # Every version names the submission it came in.
    assert {v.submission_id for v in EventVersion.objects.all()} == {submission.id}


def test_json_report(jsonl_file: WriteFile) -> None:
    path = jsonl_file(good_batch())
    code, out, _ = run_ingest(path, json=True)
    report = orjson.loads(out)
    assert code == 0
    assert report["file"] == str(path)
    assert report["accepted"] is True
    assert (report["new"], report["unchanged"], report["superseded"]) == (5, 0, 0)
    assert report["by_kind"]["person"] == {"new": 2, "unchanged": 0, "superseded": 0}
    assert report["errors"] == []
    assert report["submission"] == str(Submission.objects.get().id)


def test_json_report_of_a_rejected_file(jsonl_file: WriteFile) -> None:
    path = jsonl_file([*good_batch(), PersonObj(local_id="H-9", sex="male")])
    code, out, _ = run_ingest(path, json=True)
    report = orjson.loads(out)
    assert code == 1
    assert report["accepted"] is False
    assert (report["new"], report["submission"], report["error_count"]) == (0, None, 1)
    assert report["errors"] == [
        {"position": 6, "path": "sex", "message": "Input should be 'M', 'F', 'X' or 'U'"}
    ]


def test_gzip_file(jsonl_file: WriteFile) -> None:
    path = jsonl_file(good_batch(), name="batch.jsonl.gz")
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    code, out, _ = run_ingest(path)
    assert code == 0
    assert "5 new" in out
    assert EventVersion.objects.count() == 2


def test_file_that_is_not_gzip_after_all_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "batch.jsonl.gz"
    path.write_bytes(jsonl_bytes(good_batch()))
    code, out, err = run_ingest(path)
    assert (code, out) == (1, "")
    assert err.startswith(f"{path}: rejected, nothing stored: cannot be read: Not a gzipped file")


def test_truncated_gzip_file_stores_nothing(tmp_path: Path) -> None:
    data = gzip.compress(jsonl_bytes(good_batch() * 50))
    path = tmp_path / "batch.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    before = row_counts()
    code, _, err = run_ingest(path)
    assert code == 1
    assert "cannot be read: Compressed file ended" in err
    assert row_counts() == before


def test_windows_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "batch.jsonl"
    path.write_bytes(jsonl_bytes(good_batch()).replace(b"\n", b"\r\n"))
    code, out, _ = run_ingest(path)
    assert code == 0
    assert "5 new" in out


def test_empty_lines_are_skipped_and_line_numbers_kept(jsonl_file: WriteFile) -> None:
    lines: list[Any] = ["", *base_objects(), "   ", "", EventObj(event_id="E-1", type="nope")]
    path = jsonl_file(lines)
    code, _, err = run_ingest(path)
    assert code == 1
    assert "  line 6: type: 'nope' is not an event type of exchange format v1" in err
    assert Event.objects.count() == 0


def test_empty_lines_only_is_an_empty_batch(jsonl_file: WriteFile) -> None:
    code, out, _ = run_ingest(jsonl_file(["", "  "]))
    assert code == 0
    assert "0 new" in out


def test_one_bad_line_among_good_ones_stores_nothing(jsonl_file: WriteFile) -> None:
    lines: list[Any] = good_batch()
    lines.insert(2, PersonObj(local_id="H-3", nhs_number="9434765918"))
    path = jsonl_file(lines)
    before = row_counts()
    code, out, err = run_ingest(path)
    assert code == 1
    assert out == ""
    assert row_counts() == before
    assert err.splitlines() == [
        f"{path}: rejected, nothing stored: 1 error(s)",
        "  line 3: nhs_number: '9434765918' fails the modulus 11 check",
    ]


def test_every_bad_line_is_reported(jsonl_file: WriteFile) -> None:
    lines: list[Any] = [
        *good_batch(),
        "{not json",
        "[1, 2]",
        '"a string"',
        "42",
        EventObj(event_id="E-9", details={}),
    ]
    path = jsonl_file(lines)
    before = row_counts()
    code, _, err = run_ingest(path)
    assert code == 1
    assert row_counts() == before
    errors = err.splitlines()
    assert errors[0] == f"{path}: rejected, nothing stored: 5 error(s)"
    assert errors[1].startswith("  line 6: (line): invalid JSON: ")
    assert errors[2:] == [
        "  line 7: (object): must be a JSON object",
        "  line 8: (object): must be a JSON object",
        "  line 9: (object): must be a JSON object",
        "  line 10: details.category: is required",
    ]


def test_invalid_utf8_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"kind": "agency", "code": "X", "name": "Caf\xe9", "sector": "other"}\n')
    code, _, err = run_ingest(path)
    assert code == 1
    assert "line 1: (line): invalid JSON" in err


def test_files_are_each_all_or_nothing(jsonl_file: WriteFile) -> None:
    good = jsonl_file(good_batch(), name="good.jsonl")
    bad = jsonl_file([PersonObj(agency="NOPE")], name="bad.jsonl")
    code, out, err = run_ingest(good, bad)
    assert code == 1
    assert f"{good}: accepted: 5 new" in out
    assert f"{bad}: rejected, nothing stored: 1 error(s)" in err
    assert "line 1: agency: agency 'NOPE' is not known: send its agency object first" in err
    assert Submission.objects.count() == 1
    assert PersonRecord.objects.count() == 2


def test_missing_file_is_a_command_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        call_command("ingest", str(tmp_path / "absent.jsonl"))


def test_errors_reported_are_capped(jsonl_file: WriteFile) -> None:
    lines = ["{"] * (MAX_REPORTED_ERRORS + 5)
    code, _, err = run_ingest(jsonl_file(lines))
    assert code == 1
    assert f"rejected, nothing stored: {MAX_REPORTED_ERRORS + 5} error(s)" in err
    assert err.rstrip().endswith("… and 5 more")


def test_batch_spanning_many_write_chunks(
    monkeypatch: pytest.MonkeyPatch, jsonl_file: WriteFile
) -> None:
    import jigsaw.records.services as services

    monkeypatch.setattr(services, "CHUNK", 3)
    people = [f"H-{n}" for n in range(7)]
    events = [
        EventObj(event_id=f"E-{n}", subjects=[{"local_id": people[n % 7], "role": "child"}])
        for n in range(10)
    ]
    batch = [*base_objects(*people), *events, events[0]]  # and one identical repeat
    report = ingest(batch)
    assert report.accepted, errors_of(report)
    assert report.by_kind["person"]["new"] == 7
    assert report.by_kind["event"] == {"new": 10, "unchanged": 1, "superseded": 0}
    assert EventVersion.objects.count() == EventSubject.objects.count() == 10
    again = ingest(batch)
    assert (again.new, again.unchanged, again.superseded) == (0, len(batch), 0)


# --- all or nothing, through the service --------------------------------------------------------


def test_nothing_is_written_when_one_object_is_bad() -> None:
    before = row_counts()
    report = ingest([*good_batch(), EventObj(event_id="E-3", occurred_at="2007-13-01")])
    assert not report.accepted
    assert errors_of(report) == [
        (6, "occurred_at", "'2007-13-01' is not a date in the form YYYY-MM-DD")
    ]
    assert report.submission_id is None
    assert (report.new, report.unchanged, report.superseded) == (0, 0, 0)
    assert row_counts() == before


def test_nothing_is_written_when_the_write_fails_halfway(monkeypatch: pytest.MonkeyPatch) -> None:
    import jigsaw.records.services as services

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(services._Writer, "events", fail)
    before = row_counts()
    with pytest.raises(RuntimeError, match="disk full"):
        ingest(good_batch())
    assert row_counts() == before


# --- idempotency --------------------------------------------------------------------------------


def test_resending_the_same_file_changes_nothing(jsonl_file: WriteFile) -> None:
    path = jsonl_file(good_batch())
    assert run_ingest(path)[0] == 0
    before = versions_and_identities()
    code, out, _ = run_ingest(path)
    assert code == 0
    assert out == f"{path}: accepted: 0 new, 5 unchanged, 0 superseded\n"
    assert versions_and_identities() == before
    # The resend itself is recorded as a submission, with its counts.
    latest = Submission.objects.order_by("-new", "unchanged").last()
    assert latest is not None
    assert (latest.new, latest.unchanged, latest.superseded) == (0, 5, 0)


def test_resend_with_only_recorded_at_changed_is_unchanged() -> None:
    assert ingest(good_batch()).accepted
    before = versions_and_identities()
    resend = [{**obj, "recorded_at": "2007-12-01T09:00:00Z"} for obj in good_batch()]
    report = ingest(resend)
    assert report.accepted, errors_of(report)
    assert (report.new, report.unchanged, report.superseded) == (0, 5, 0)
    assert versions_and_identities() == before
    # What was first recorded stands.
    assert {str(v.recorded_at.date()) for v in EventVersion.objects.all()} == {"2007-04-09"}


def test_changed_event_supersedes_and_keeps_the_original(clock: FrozenClock) -> None:
    assert ingest(good_batch()).accepted
    original = EventVersion.objects.get(event__event_id="E-1")
    clock.advance(days=1)
    corrected = EventObj(
        event_id="E-1",
        details={"category": "emotional"},
        recorded_at="2007-05-01T10:00:00Z",
        subjects=[{"local_id": "H-1", "role": "child"}, {"local_id": "H-2", "role": "parent"}],
    )
    report = ingest([corrected])
    assert report.accepted
    assert report.by_kind["event"] == {"new": 0, "unchanged": 0, "superseded": 1}
    assert Event.objects.filter(event_id="E-1").count() == 1
    versions = list(EventVersion.objects.filter(event__event_id="E-1").order_by("version"))
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].pk == original.pk
    assert versions[0].details == {"category": "physical"}
    assert versions[1].details == {"category": "emotional"}
    assert versions[1].received_at == clock.now()
    assert sorted(versions[1].subjects.values_list("record__local_id", "role")) == [
        ("H-1", "child"),
        ("H-2", "parent"),
    ]
    assert list(versions[0].subjects.values_list("record__local_id", flat=True)) == ["H-1"]


def test_changing_back_is_another_version() -> None:
    first = EventObj(event_id="E-1")
    second = EventObj(event_id="E-1", details={"category": "neglect"})
    back = EventObj(event_id="E-1", recorded_at="2007-05-01T09:00:00Z")
    for batch in ([*base_objects(), first], [second], [back]):
        assert ingest(batch).accepted
    versions = EventVersion.objects.filter(event__event_id="E-1").order_by("version")
    assert [(v.version, v.details["category"]) for v in versions] == [
        (1, "physical"),
        (2, "neglect"),
        (3, "physical"),
    ]


def test_a_file_of_history_sent_again_stores_nothing_new() -> None:
    """Replaying versions already held (same content, same recorded_at) is not a change back."""
    history = [
        *base_objects(),
        EventObj(event_id="E-1", recorded_at="2007-04-09T15:00:00Z"),
        EventObj(
            event_id="E-1", details={"category": "neglect"}, recorded_at="2007-04-10T09:00:00Z"
        ),
    ]
    assert ingest(history).accepted
    report = ingest(history)
    assert report.accepted
    assert report.by_kind["event"] == {"new": 0, "unchanged": 2, "superseded": 0}
    assert EventVersion.objects.filter(event__event_id="E-1").count() == 2


def test_a_correction_recorded_earlier_than_the_current_version_does_not_displace_it() -> None:
    """As known on any date, the version recorded last by then is the one shown."""
    assert ingest([*base_objects(), EventObj(event_id="E-1", recorded_at="2007-04-10T09:00:00Z")])
    late_news = EventObj(
        event_id="E-1", details={"category": "neglect"}, recorded_at="2007-04-09T16:00:00Z"
    )
    assert ingest([late_news]).accepted
    (entry,) = records_chronology(
        record_ids=list(PersonRecord.objects.values_list("id", flat=True)), as_of=None
    )
    assert (entry.version, entry.details["category"], entry.versions_known) == (1, "physical", 2)


def test_changed_person_is_a_new_version() -> None:
    assert ingest(good_batch()).accepted
    moved = PersonObj(
        local_id="H-1",
        address={"line1": "3 New Street", "postcode": "N1 1AA"},
        recorded_at="2007-06-01T09:00:00Z",
    )
    report = ingest([moved])
    assert report.by_kind["person"] == {"new": 0, "unchanged": 0, "superseded": 1}
    versions = list(PersonVersion.objects.filter(record__local_id="H-1").order_by("version"))
    assert [(v.version, v.postcode) for v in versions] == [(1, ""), (2, "N1 1AA")]
    assert PersonRecord.objects.filter(local_id="H-1").count() == 1


def test_changed_agency_is_a_new_version() -> None:
    assert ingest([AgencyObj(code="NMUH", name="North Mid")]).accepted
    report = ingest([AgencyObj(code="NMUH", name="North Middlesex University Hospital")])
    assert report.by_kind["agency"] == {"new": 0, "unchanged": 0, "superseded": 1}
    assert list(AgencyVersion.objects.order_by("version").values_list("version", "name")) == [
        (1, "North Mid"),
        (2, "North Middlesex University Hospital"),
    ]


def test_duplicate_in_one_batch_with_the_same_content_is_counted_once() -> None:
    event = EventObj(event_id="E-1")
    report = ingest([*base_objects(), event, event, PersonObj(local_id="H-1")])
    assert report.accepted, errors_of(report)
    assert report.by_kind["event"] == {"new": 1, "unchanged": 1, "superseded": 0}
    assert report.by_kind["person"] == {"new": 1, "unchanged": 1, "superseded": 0}
    assert EventVersion.objects.count() == 1
    assert PersonVersion.objects.count() == 1


def test_duplicate_in_one_batch_with_different_content_names_both_positions() -> None:
    before = row_counts()
    report = ingest(
        [
            *base_objects(),
            EventObj(event_id="E-1"),
            EventObj(event_id="E-1", details={"category": "neglect"}),
            PersonObj(local_id="H-1", given_name="Pete"),
        ]
    )
    assert errors_of(report) == [
        (
            4,
            "event_id",
            "repeats event_id 'E-1' of position 3 with different content and no later recorded_at",
        ),
        (
            5,
            "local_id",
            "repeats local_id 'H-1' of position 2 with different content and no later recorded_at",
        ),
    ]
    assert row_counts() == before


def test_two_versions_in_one_batch_are_history_when_recorded_in_order(clock) -> None:
    """A bulk export may carry a record's history: later versions, later recorded_at."""
    report = ingest(
        [
            *base_objects(),
            EventObj(event_id="E-1", recorded_at="2008-01-02T10:00:00Z"),
            EventObj(
                event_id="E-1",
                details={"category": "neglect"},
                recorded_at="2008-01-03T10:00:00Z",
            ),
        ]
    )
    assert report.accepted, errors_of(report)
    assert (report.by_kind["event"]["new"], report.by_kind["event"]["superseded"]) == (1, 1)
    versions = EventVersion.objects.filter(event__event_id="E-1").order_by("version")
    assert [v.details.get("category") for v in versions] == [
        EventObj(event_id="E-1").get("details", {}).get("category"),
        "neglect",
    ]


def test_a_version_recorded_earlier_than_its_predecessor_in_a_batch_is_refused(clock) -> None:
    report = ingest(
        [
            *base_objects(),
            EventObj(event_id="E-1", recorded_at="2008-01-03T10:00:00Z"),
            EventObj(
                event_id="E-1",
                details={"category": "neglect"},
                recorded_at="2008-01-02T10:00:00Z",
            ),
        ]
    )
    assert not report.accepted
    assert errors_of(report)[0][1] == "event_id"


def test_same_event_id_from_two_agencies_is_two_events() -> None:
    batch = [
        *base_objects(),
        *base_objects(code="MET", sector="police"),
        EventObj(event_id="X-1"),
        EventObj(event_id="X-1", agency="MET"),
    ]
    report = ingest(batch)
    assert report.accepted, errors_of(report)
    assert report.by_kind["event"]["new"] == 2
    assert Event.objects.filter(event_id="X-1").count() == 2
