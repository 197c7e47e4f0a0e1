"""As known on a date, replay, and the command line's JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jigsaw.records.tests.factories import EventObj
from jigsaw.risk.models import Flag, FlagRevision
from jigsaw.risk.selectors import flags_as_of, flags_list
from jigsaw.risk.services import flags_replay, flags_tick
from jigsaw.risk.tests.helpers import AGENCIES, bruise, child, send, utc

pytestmark = pytest.mark.django_db


def referral(event_id: str, occurred: str, recorded: str) -> Any:
    return EventObj(
        agency="NMUH", event_id=event_id, type="concern_raised", occurred_at=occurred,
        recorded_at=recorded, subjects=[{"local_id": "H-1", "role": "child"}],
        details={"category": "physical", "referred_to_social_care": True},
    )  # fmt: skip


def decision(event_id: str, occurred: str, recorded: str) -> Any:
    return EventObj(
        agency="CSC", event_id=event_id, type="referral_decision", occurred_at=occurred,
        recorded_at=recorded, subjects=[{"local_id": "C-1", "role": "child"}],
        details={"decision": "assessment"},
    )  # fmt: skip


def live(clock) -> None:
    """A fortnight run live: batches as they arrive, and the worker's ticks between them."""
    clock.set(utc("2008-01-07T12:00:00"))  # a Monday
    send(*AGENCIES, child(dob="2006-06-01"), child(agency="CSC", local_id="C-1", dob="2006-06-01"),
         referral("R1", "2008-01-07T10:00:00Z", "2008-01-07T11:00:00Z"))  # fmt: skip
    clock.set(utc("2008-01-09T09:00:00"))  # the decision was due by the end of the 8th
    flags_tick()
    clock.set(utc("2008-01-10T12:00:00"))
    send(decision("D1", "2008-01-10T10:00:00Z", "2008-01-10T11:00:00Z"))
    clock.set(utc("2008-01-12T12:00:00"))
    # A bruise seen on the 8th but only recorded on the 12th.
    send(bruise("A1", "2008-01-08T10:00:00Z", "2008-01-12T11:00:00Z", site="ear", mobile=True))
    clock.set(utc("2008-01-14T12:00:00"))
    send(bruise("A2", "2008-01-14T10:00:00Z", "2008-01-14T11:00:00Z", site="arm", mobile=True))
    flags_tick()


def summary(views: list[Any]) -> set[tuple[Any, ...]]:
    return {
        (v.key, v.rule, v.severity, v.raised_at, v.due_by, json.dumps(v.evidence, sort_keys=True))
        for v in views
    }


def test_as_of_before_a_late_recorded_event_does_not_see_it(clock) -> None:
    live(clock)
    before = flags_as_of(user=None, as_of=utc("2008-01-11T23:00:00"))
    assert "bruise-high-risk-site" not in {v.rule for v in before}
    assert {v.rule for v in before} == {"referral-decision-overdue"}
    after = flags_as_of(user=None, as_of=utc("2008-01-12T23:00:00"))
    assert "bruise-high-risk-site" in {v.rule for v in after}


def test_replay_gives_what_live_running_gave(clock) -> None:
    live(clock)
    stored = summary(flags_list(user=None))
    assert {v[1] for v in stored} >= {"referral-decision-overdue", "bruise-high-risk-site"}
    counts = (Flag.objects.count(), FlagRevision.objects.count())
    report = flags_replay()
    assert (report.flags_raised, report.revisions) == (0, 0)
    assert (Flag.objects.count(), FlagRevision.objects.count()) == counts
    # As known at the end, computed afresh from the timeline, it is what was stored.
    assert summary(flags_as_of(user=None, as_of=clock.now())) == stored


def test_replay_from_scratch_is_deterministic(clock) -> None:
    live(clock)
    first = summary(flags_as_of(user=None, as_of=clock.now()))
    second = summary(flags_as_of(user=None, as_of=clock.now()))
    assert first == second
    assert flags_replay().flags_raised == 0


def test_flags_json_shape(clock, jigsaw_cli) -> None:
    live(clock)
    code, out, err = jigsaw_cli("flags", "--json", "--child", "NMUH:H-1")
    assert code == 0, err
    flags = json.loads(out)
    assert flags
    flag = flags[0]
    assert set(flag) >= {
        "id", "rule", "severity", "child", "raised_at", "evidence", "reason", "action", "owner",
        "due_by", "state", "escalation",
    }  # fmt: skip
    assert flag["severity"] in {"immediate", "high", "medium"}
    assert {"agency": "NMUH", "local_id": "H-1"} in flag["child"]["records"]
    assert set(flag["evidence"][0]) == {"agency", "event_id", "type", "occurred_at"}
    code, out, _ = jigsaw_cli("flags", "--json", "--as-of", "2008-01-11")
    assert code == 0
    assert "bruise-high-risk-site" not in out
    code, out, _ = jigsaw_cli("flags")
    assert code == 0
    assert "referral-decision-overdue" in out
    code, out, _ = jigsaw_cli("tick")
    assert code == 0
    code, out, _ = jigsaw_cli("worker", "--once")
    assert code == 0
    assert out.startswith("tick:")
    code, out, _ = jigsaw_cli("replay")
    assert code == 0
    assert "0 flags raised" in out
