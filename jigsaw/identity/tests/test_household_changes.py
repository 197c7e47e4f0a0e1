"""A replay rebuilds a child's household only at `HouseholdRows.change_times` (or when the
clock passes its `same_until`): between two of these moments, the household must not change."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jigsaw.identity.households import Household, HouseholdRows
from jigsaw.identity.models import Person
from jigsaw.records.tests.factories import EventObj
from jigsaw.synth.tests.helpers import load_generated

from .helpers import AGENCIES, home, person, person_of, send

pytestmark = pytest.mark.django_db

TICK = timedelta(microseconds=1)


def _seen(h: Household) -> dict[str, Any]:
    found = h.as_dict()
    del found["as_of"]
    return found


def _steady_between_change_times(rows: HouseholdRows, person: int) -> int:
    """Checks the person's household at each change time against just before the next one;
    returns how many stretches were checked."""
    times = sorted(rows.change_times(person))
    checked = 0
    for start, end in zip(times, [*times[1:], rows.until + TICK], strict=True):
        first = rows.household(person, start)
        last = end - TICK
        if first.same_until is not None and first.same_until < last:
            last = first.same_until  # the clock alone changes it then
        assert _seen(rows.household(person, last)) == _seen(first), (person, start, last)
        checked += 1
    return checked


def test_a_household_changes_only_at_its_change_times(tmp_path: Path) -> None:
    from jigsaw.synth.noise import NoiseConfig

    noise = NoiseConfig(late_record_rate=0.2, correction_rate=0.1, duplicate_rate=0.05)
    until = load_generated(tmp_path, children=80, seed=5, noise=noise)
    everyone = sorted(Person.objects.values_list("pk", flat=True))
    rows = HouseholdRows.load(person_ids=everyone, until=until, everyone=True)
    assert sum(_steady_between_change_times(rows, p) for p in everyone) > 1000


def _visit(event_id: str, at: str, *others: str) -> EventObj:
    return EventObj(
        agency="CSC", event_id=event_id, type="home_visit", occurred_at=at, recorded_at=at,
        details={"child_seen": True},
        subjects=[{"local_id": "C1", "role": "child"},
                  *({"local_id": o, "role": "parent"} for o in others)],
    )  # fmt: skip


@pytest.mark.usefixtures("clock")
def test_a_visit_naming_no_one_new_is_not_a_change_time() -> None:
    h = home("12 Acacia Road", "N17 6AB", "2005-01-01")
    send(
        *AGENCIES,
        person("CSC", "C1", "Amara", "Okafor", "2005-05-14", sex="F", **h),
        person("CSC", "C2", "Grace", "Okafor", "1980-08-30", sex="F", **h),
        person("POL", "P2", "Tomasz", "Nowak", "1978-11-02", **h),
        person("CSC", "C3", "Tomasz", "Nowak", "1978-11-02", **home("3 Mill Lane", "E8 1AA")),
        _visit("HV-1", "2007-01-10T10:00:00Z", "C2"),
        _visit("HV-2", "2007-02-10T10:00:00Z", "C2"),  # the same people again
        _visit("HV-3", "2007-03-10T10:00:00Z"),  # the child alone
        _visit("HV-4", "2007-04-10T10:00:00Z", "C2", "C3"),  # someone new
    )
    rows = HouseholdRows.load(
        person_ids=Person.objects.values_list("pk", flat=True),
        until=datetime.fromisoformat("2008-01-01T00:00:00+00:00"),
    )
    child = person_of("CSC:C1")
    times = {t.isoformat() for t in rows.change_times(child)}
    assert "2007-01-10T10:00:00+00:00" in times
    assert "2007-02-10T10:00:00+00:00" not in times
    assert "2007-03-10T10:00:00+00:00" not in times
    assert "2007-04-10T10:00:00+00:00" in times
    _steady_between_change_times(rows, child)
