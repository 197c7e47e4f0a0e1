"""Property: whatever sequence of (re)sends, what is visible "as known on" any moment is exactly
what a simple model of supersession says."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jigsaw.core.clock import clock
from jigsaw.core.dates import parse_instant
from jigsaw.core.tests.helpers import NOW
from jigsaw.records.models import Event, EventVersion, PersonRecord
from jigsaw.records.selectors import records_chronology
from jigsaw.records.tests.factories import EventObj, base_objects, errors_of, ingest

EVENT_IDS = ["E-1", "E-2", "E-3"]
CATEGORIES = ["physical", "neglect", "emotional"]
ROLES = ["child", "victim"]
OCCURRED = "2007-01-01T09:00:00Z"
# recorded_at values an agency might send (None: Jigsaw's receipt time stands in).
RECORDED = [None, "2007-02-01T10:00:00Z", "2007-03-01T10:00:00Z", "2007-06-01", "2007-06-01T12:00"]


@dataclass
class Version:
    number: int
    content: tuple[str, str]
    recorded_at: datetime


@dataclass
class Reference:
    """Versions of each event as a plain list. A send that says nothing new adds nothing: the
    current content again, or an exact replay (same content, same recorded_at) of an old version.
    The current version is the one recorded last (ties: the later version)."""

    versions: dict[str, list[Version]] = field(default_factory=dict)

    def send(self, event_id: str, content: tuple[str, str], recorded_at: datetime) -> str:
        versions = self.versions.setdefault(event_id, [])
        if versions:
            current = max(versions, key=lambda v: (v.recorded_at, v.number))
            replay = any(v.content == content and v.recorded_at == recorded_at for v in versions)
            if current.content == content or replay:
                return "unchanged"
        versions.append(Version(len(versions) + 1, content, recorded_at))
        return "superseded" if len(versions) > 1 else "new"

    def as_of(self, moment: datetime) -> dict[str, tuple[int, int, tuple[str, str]]]:
        """event id -> (version shown, versions known, content)."""
        out = {}
        for event_id, versions in self.versions.items():
            known = [v for v in versions if v.recorded_at <= moment]
            if known:
                latest = max(known, key=lambda v: (v.recorded_at, v.number))
                out[event_id] = (latest.number, len(known), latest.content)
        return out


send_strategy = st.tuples(
    st.sampled_from(EVENT_IDS),
    st.sampled_from(CATEGORIES),
    st.sampled_from(ROLES),
    st.sampled_from(RECORDED),
)
# A batch sends each event at most once, and may end with an object naming a person nobody
# sent (found only once the batch was read, after the rest was written): then the whole batch
# must leave no trace. A history is several batches.
batches_strategy = st.lists(
    st.tuples(
        st.lists(send_strategy, min_size=1, max_size=3, unique_by=lambda s: s[0]),
        st.booleans(),
    ),
    min_size=1,
    max_size=6,
)


class _Rollback(Exception):
    pass


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batches=batches_strategy)
def test_visible_versions_match_the_reference_model(batches: list[list[Any]]) -> None:
    try:
        with transaction.atomic():
            _check(batches)
            raise _Rollback  # each example starts from an empty store
    except _Rollback:
        pass


def _check(batches: list[tuple[list[tuple[str, str, str, str | None]], bool]]) -> None:
    reference = Reference()
    moments: set[datetime] = set()
    with clock.frozen(NOW):
        assert ingest(base_objects()).accepted
    for index, (batch, poisoned) in enumerate(batches):
        received_at = NOW + timedelta(minutes=index + 1)
        objs = []
        expected = {"new": 0, "unchanged": 0, "superseded": 0}
        for event_id, category, role, recorded in batch:
            recorded_at = parse_instant(recorded, end_of_day=False) if recorded else received_at
            if not poisoned:
                moments.add(recorded_at)
                outcome = reference.send(event_id, (category, role), recorded_at)
                expected[outcome] += 1
            objs.append(
                EventObj(
                    event_id=event_id,
                    occurred_at=OCCURRED,
                    recorded_at=recorded,
                    subjects=[{"local_id": "H-1", "role": role}],
                    details={"category": category},
                )
            )
        if poisoned:
            objs.append(EventObj(subjects=[{"local_id": "NOBODY", "role": "child"}]))
        with clock.frozen(received_at):
            report = ingest(objs)
        if poisoned:
            assert errors_of(report) == [
                (
                    len(objs),
                    "subjects[0].local_id",
                    "person 'NOBODY' of agency 'NMUH' is not known: send the person first",
                )
            ]
            assert report.by_kind["event"] == {"new": 0, "unchanged": 0, "superseded": 0}
            continue
        assert report.accepted, errors_of(report)
        assert report.by_kind["event"] == expected

    assert Event.objects.count() == len(reference.versions)
    assert EventVersion.objects.count() == sum(len(v) for v in reference.versions.values())
    record = PersonRecord.objects.get(local_id="H-1")
    probes = {NOW + timedelta(days=1), parse_instant("2007-01-15", end_of_day=False)}
    for moment in moments:
        probes |= {moment - timedelta(microseconds=1), moment, moment + timedelta(seconds=1)}
    for moment in sorted(probes):
        shown = {
            e.event_id: (e.version, e.versions_known, (e.details["category"], e.role))
            for e in records_chronology(record_ids=[record.pk], as_of=moment)
        }
        assert shown == reference.as_of(moment), moment
