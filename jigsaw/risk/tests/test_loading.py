"""The loader's contexts against ones worked out the slow way, moment by moment, on a generated
local authority: the same children, events and households, so the same findings. Households
come from identity's one builder whether its rows are read for one person (`household_build`)
or for everyone at once (the loader); both are checked against an independent, query-per-moment
implementation of the same rules (reference_household.py)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from jigsaw.identity.households import HouseholdRows, household_build
from jigsaw.risk.config import risk_settings
from jigsaw.risk.engine import EvaluationContext, Event, evaluate
from jigsaw.risk.loading import Snapshot
from jigsaw.risk.services import all_persons, timeline_instants
from jigsaw.risk.tests.reference_household import reference_context, reference_members
from jigsaw.synth.tests.helpers import load_generated

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


def _identity(members: Any) -> list[tuple[Any, ...]]:
    """What identity says of each member, whichever builder."""
    said = [
        (
            m.person_id, m.name, m.relationship, m.adult, m.known_to_social_care, m.since,
            list(m.record_ids),
            [(s.agency, s.sector, s.record, s.kind, s.since, s.relationship, s.reference,
              s.recorded_at) for s in m.sources],
        )
        for m in members
    ]  # fmt: skip
    return sorted(said, key=repr)


@pytest.fixture
def generated(tmp_path: Path) -> datetime:
    return load_generated(tmp_path, children=80, seed=7)


def test_in_memory_contexts_are_those_worked_out_moment_by_moment(generated: datetime) -> None:
    until = generated
    persons = sorted(all_persons(until=until))
    snapshot = Snapshot(persons, until)
    everyone = Snapshot(persons, until, everyone=True)
    compared = with_household = 0
    for person in persons:
        instants = timeline_instants(snapshot, person)
        for at in instants[::10] + instants[-1:]:
            if not snapshot.records_of(person, at):
                continue
            mine, theirs = snapshot.context(person, at), reference_context(snapshot, person, at)
            assert plain(mine) == plain(theirs), (person, at)
            assert plain(everyone.context(person, at)) == plain(theirs), (person, at)
            assert _findings(mine) == _findings(theirs), (person, at)
            compared += 1
            with_household += bool(theirs.household)
    assert compared > 200
    assert with_household > compared // 2


def test_identitys_builder_gives_the_same_households_from_any_rows(generated: datetime) -> None:
    until = generated
    persons = sorted(all_persons(until=until))
    rows = HouseholdRows.load(person_ids=persons, until=until)
    compared = members = 0
    for person in persons[::3]:
        for at in Snapshot([person], until).instants(person)[::15]:
            expected = _identity(reference_members(person, at))
            assert _identity(household_build(person_id=person, as_of=at).members) == expected
            assert _identity(rows.household(person, at).members) == expected
            compared += 1
            members += len(expected)
    assert compared > 50
    assert members > compared
