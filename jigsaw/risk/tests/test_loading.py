"""The loader's in-memory households against identity's own, moment by moment, on a generated
local authority: the same contexts, so the same findings."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from jigsaw.records.hooks import bulk_load
from jigsaw.records.services import batch_ingest, jsonl_source
from jigsaw.risk.config import risk_settings
from jigsaw.risk.engine import EvaluationContext, Event, evaluate
from jigsaw.risk.loading import Snapshot
from jigsaw.risk.services import all_persons, timeline_instants
from jigsaw.risk.tests.reference_household import reference_context

pytestmark = pytest.mark.django_db


def _event(e: Event) -> tuple[Any, ...]:
    return (
        e.agency, e.agency_name, e.sector, e.event_id, e.type, e.occurred_at, e.recorded_at,
        dict(e.details), e.role, e.others,
    )  # fmt: skip


def _member(m: Any) -> tuple[Any, ...]:
    return (
        m.person_id, m.name, m.relationship, m.adult, m.since, m.until, m.sources,
        m.known_to_social_care,
    )  # fmt: skip


def plain(context: EvaluationContext) -> tuple[Any, ...]:
    return (
        context.child,
        context.now,
        [_event(e) for e in context.events],
        [(*_member(m), [_event(e) for e in m.events]) for m in context.household],
    )


def _findings(context: EvaluationContext) -> list[tuple[Any, ...]]:
    cfg = risk_settings()
    return [
        (f.key, f.severity, f.raised_at, f.due_by, f.reason, f.action, list(f.evidence))
        for f in evaluate(context, cfg.rules)
    ]


@pytest.fixture
def generated(tmp_path: Path) -> datetime:
    from jigsaw.synth.generator import generate

    generate(children=80, seed=7, out=tmp_path)
    with bulk_load():
        for path in sorted(tmp_path.glob("*.jsonl")):
            report = batch_ingest(
                source=jsonl_source(path), channel="file", source_name=str(path), sha256="0" * 64
            )
            assert report.accepted, report.errors[:3]
    from jigsaw.records.models import EventVersion

    return max(EventVersion.objects.values_list("recorded_at", flat=True))


def test_in_memory_households_are_identitys_households(generated: datetime) -> None:
    until = generated
    persons = sorted(all_persons(until=until))
    snapshot = Snapshot(persons, until)
    compared = with_household = 0
    for person in persons:
        instants = timeline_instants(snapshot, person)
        for at in instants[::10] + instants[-1:]:
            if not snapshot.records_of(person, at):
                continue
            mine, theirs = snapshot.context(person, at), reference_context(snapshot, person, at)
            assert plain(mine) == plain(theirs), (person, at)
            assert _findings(mine) == _findings(theirs), (person, at)
            compared += 1
            with_household += bool(theirs.household)
    assert compared > 200
    assert with_household > compared // 2
