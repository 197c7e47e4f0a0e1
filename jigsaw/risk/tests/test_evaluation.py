"""Ingest-driven flags: raised once, joined by new evidence, never duplicated."""

from __future__ import annotations

import pytest

from jigsaw.core.workdays import end_of_uk_day
from jigsaw.risk.models import Flag, FlagRevision
from jigsaw.risk.tests.helpers import AGENCIES, bruise, child, child_person, flags, one, send, utc

pytestmark = pytest.mark.django_db


def test_a_non_mobile_infants_bruise_raises_an_immediate_flag(clock) -> None:
    clock.set(utc("2008-01-15T12:00:00"))
    send(*AGENCIES, child(), bruise("A1", "2008-01-15T10:00:00Z", "2008-01-15T10:30:00Z"))
    flag = one("injury-non-mobile")
    assert flag.severity == "immediate"
    assert flag.state == "open"
    assert flag.escalation == ""
    assert "3-month-old" in flag.reason
    assert "Bruise to the cheek" in flag.reason
    assert flag.evidence == [
        {"agency": "NMUH", "event_id": "A1", "type": "ae_attendance",
         "occurred_at": "2008-01-15T10:00:00+00:00"},
    ]  # fmt: skip
    assert flag.due_by == end_of_uk_day(utc("2008-01-15T00:00:00").date())
    assert flag.owner == "health_practitioner"
    assert flag.person == child_person()
    assert flag.records == [{"agency": "NMUH", "local_id": "H-1"}]


def test_new_evidence_joins_the_flag_and_raises_its_severity(clock) -> None:
    clock.set(utc("2008-01-15T12:00:00"))
    send(*AGENCIES, child(dob="2006-06-01"), bruise("A1", "2007-12-01T10:00:00Z",
         "2007-12-01T11:00:00Z", site="arm", mobile=True))  # fmt: skip
    send(bruise("A2", "2008-01-02T10:00:00Z", "2008-01-02T11:00:00Z", site="arm", mobile=True))
    first = one("repeated-injury")
    assert first.severity == "high"
    assert len(first.evidence) == 2
    # The same day, social care reports the same bruise: one occasion, more evidence.
    send(
        AGENCIES[1],
        child(agency="CSC", local_id="C-1", dob="2006-06-01"),
        bruise("S1", "2008-01-02T15:00:00Z", "2008-01-03T09:00:00Z", agency="CSC",
               local_id="C-1", site="arm", mobile=True),
    )  # fmt: skip
    assert len(one("repeated-injury").evidence) == 3
    send(bruise("A3", "2008-01-14T10:00:00Z", "2008-01-14T11:00:00Z", site="arm", mobile=True))
    after = one("repeated-injury")
    assert after.key == first.key
    assert after.id == first.id
    assert after.severity == "immediate"
    assert len(after.evidence) == 4
    assert FlagRevision.objects.filter(flag_id=after.id).count() == 3


def test_resending_a_batch_raises_nothing_new(clock) -> None:
    clock.set(utc("2008-01-15T12:00:00"))
    batch = [*AGENCIES, child(), bruise("A1", "2008-01-15T10:00:00Z", "2008-01-15T10:30:00Z")]
    send(*batch)
    counts = (Flag.objects.count(), FlagRevision.objects.count())
    send(*batch)
    assert (Flag.objects.count(), FlagRevision.objects.count()) == counts
    assert len({f.key for f in flags()}) == len(flags())


def test_adults_are_not_evaluated(clock) -> None:
    clock.set(utc("2008-01-15T12:00:00"))
    send(*AGENCIES, child(dob="1980-01-01"),
         bruise("A1", "2008-01-15T10:00:00Z", "2008-01-15T10:30:00Z"))  # fmt: skip
    assert flags() == []


def test_old_history_loaded_late_is_recorded_as_historical(clock) -> None:
    clock.set(utc("2008-06-15T12:00:00"))
    send(*AGENCIES, child(), bruise("A1", "2008-01-15T10:00:00Z", "2008-01-15T10:30:00Z"))
    flag = one("injury-non-mobile")
    assert flag.state == "closed"
    assert flag.actions[0].close_reason == "historical"
    assert flag.escalation == ""
