"""Acknowledge, record an action, close with a reason; escalation by the tick."""

from __future__ import annotations

from typing import Any

import pytest

from jigsaw.records.tests.factories import EventObj
from jigsaw.risk.models import FlagRevision
from jigsaw.risk.services import (
    FlagError,
    flag_acknowledge,
    flag_action_record,
    flag_close,
    flags_replay,
    flags_tick,
)
from jigsaw.risk.tests.helpers import AGENCIES, bruise, child, one, send, stored, utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def raised(clock) -> None:
    clock.set(utc("2008-01-15T12:00:00"))  # a Tuesday
    send(*AGENCIES, child(), bruise("A1", "2008-01-15T10:00:00Z", "2008-01-15T10:30:00Z"))


@pytest.mark.usefixtures("raised")
def test_acknowledge_record_an_action_and_close_with_a_reason() -> None:
    flag = stored("injury-non-mobile")
    flag_acknowledge(flag=flag, user=None, name="Sam Taylor")
    assert one("injury-non-mobile").state == "acknowledged"
    flag_action_record(flag=flag, user=None, name="Sam Taylor", text="Paediatric exam booked.")
    with pytest.raises(FlagError):
        flag_close(flag=flag, user=None, name="Sam Taylor", reason="", text="done")
    with pytest.raises(FlagError):
        flag_close(flag=flag, user=None, name="Sam Taylor", reason="action_taken", text=" ")
    with pytest.raises(FlagError):  # only Jigsaw records history as historical
        flag_close(flag=flag, user=None, name="Sam Taylor", reason="historical", text="old")
    with pytest.raises(FlagError):  # a named person
        flag_acknowledge(flag=flag, user=None)
    flag_close(flag=flag, user=None, name="Sam Taylor", reason="action_taken", text="Seen.")
    view = one("injury-non-mobile")
    assert view.state == "closed"
    assert [a.kind for a in view.actions] == ["acknowledged", "action_recorded", "closed"]
    assert view.actions[-1].actor == "Sam Taylor"


@pytest.mark.usefixtures("raised")
def test_a_closed_flag_is_not_reopened_by_the_same_episode(clock) -> None:
    flag = stored("injury-non-mobile")
    flag_close(flag=flag, user=None, name="Sam Taylor", reason="action_taken", text="Seen.")
    clock.set(utc("2008-01-15T18:00:00"))
    send(bruise("A2", "2008-01-15T16:00:00Z", "2008-01-15T17:00:00Z", site="ear"))
    view = one("injury-non-mobile")
    assert view.state == "closed"
    assert len(view.evidence) == 1
    assert FlagRevision.objects.filter(flag=flag).count() == 1


@pytest.mark.usefixtures("raised")
def test_unacknowledged_flags_escalate_to_the_team_manager_then_head_of_service(clock) -> None:
    flags_tick()
    assert one("injury-non-mobile").escalation == ""
    clock.set(utc("2008-01-16T09:00:00"))  # past the end of the 15th
    flags_tick()
    view = one("injury-non-mobile")
    assert view.escalation == "team_manager"
    assert view.state == "open"
    clock.set(utc("2008-01-16T22:00:00"))  # within the further working day
    flags_tick()
    assert one("injury-non-mobile").escalation == "team_manager"
    clock.set(utc("2008-01-17T09:00:00"))
    flags_tick()
    flags_tick()
    view = one("injury-non-mobile")
    assert view.escalation == "head_of_service"
    levels = [a.level for a in view.actions if a.kind == "escalated"]
    assert levels == ["team_manager", "head_of_service"]


@pytest.mark.usefixtures("raised")
def test_acknowledged_flags_do_not_escalate(clock) -> None:
    for flag in (stored("injury-non-mobile"), stored("bruise-high-risk-site")):
        flag_acknowledge(flag=flag, user=None, name="Sam Taylor")
    clock.set(utc("2008-01-20T09:00:00"))
    flags_tick()
    assert one("injury-non-mobile").escalation == ""


def test_a_bank_holiday_in_the_window_is_not_a_working_day(clock) -> None:
    # Friday 23 May 2008; Monday 26 May is the spring bank holiday.
    clock.set(utc("2008-05-23T12:00:00"))
    ear = bruise("A1", "2008-05-23T10:00:00Z", "2008-05-23T10:30:00Z", site="ear", mobile=True)
    send(*AGENCIES, child(dob="2006-06-01"), ear)
    view = one("bruise-high-risk-site")
    assert view.severity == "high"
    assert view.due_by == utc("2008-05-27T22:59:59.999999")  # the end of Tuesday, UK time
    clock.set(utc("2008-05-27T12:00:00"))
    flags_tick()
    assert one("bruise-high-risk-site").escalation == ""
    clock.set(utc("2008-05-28T09:00:00"))
    flags_tick()
    assert one("bruise-high-risk-site").escalation == "team_manager"


# A flag whose condition stops holding stays open for a person to close: the catalogue has a
# named person record every decision and close every flag with a reason.


def _conference(event_id: str, occurred: str, outcome: str = "plan") -> Any:
    return EventObj(
        agency="CSC", event_id=event_id, type="cp_conference", occurred_at=occurred,
        recorded_at=occurred, subjects=[{"local_id": "C-1", "role": "child"}],
        details={"conference": "initial", "outcome": outcome},
    )  # fmt: skip


def _visit(event_id: str, occurred: str) -> Any:
    return EventObj(
        agency="CSC", event_id=event_id, type="home_visit", occurred_at=occurred,
        recorded_at=occurred, subjects=[{"local_id": "C-1", "role": "child"}],
        details={"child_seen": True, "seen_alone": True},
    )  # fmt: skip


def _referral(event_id: str, occurred: str) -> Any:
    return EventObj(
        agency="NMUH", event_id=event_id, type="concern_raised", occurred_at=occurred,
        recorded_at=occurred, subjects=[{"local_id": "H-1", "role": "child"}],
        details={"category": "physical", "referred_to_social_care": True},
    )  # fmt: skip


def _decision(event_id: str, occurred: str) -> Any:
    return EventObj(
        agency="CSC", event_id=event_id, type="referral_decision", occurred_at=occurred,
        recorded_at=occurred, subjects=[{"local_id": "C-1", "role": "child"}],
        details={"decision": "assessment"},
    )  # fmt: skip


def test_a_visit_made_late_leaves_the_not_seen_flag_open(clock) -> None:
    clock.set(utc("2008-01-07T12:00:00"))  # a Monday
    send(*AGENCIES, child(dob="2006-06-01"), child(agency="CSC", local_id="C-1", dob="2006-06-01"),
         _conference("CP1", "2008-01-07T10:00:00Z"))  # fmt: skip
    clock.set(utc("2008-01-23T12:00:00"))  # 10 working days have gone without a visit
    flags_tick()
    raised = one("child-not-seen")
    assert raised.state == "open"
    clock.set(utc("2008-01-24T12:00:00"))
    send(_visit("V1", "2008-01-24T10:00:00Z"))
    flags_tick()
    view = one("child-not-seen")
    # Still open, saying what it said, and nothing recorded by Jigsaw but the escalations that
    # an unacknowledged flag past its due date gets.
    assert view.state == "open"
    assert (view.severity, view.evidence, view.reason) == (
        raised.severity, raised.evidence, raised.reason,
    )  # fmt: skip
    assert {a.kind for a in view.actions} == {"escalated"}
    assert FlagRevision.objects.filter(flag=stored("child-not-seen")).count() == 1
    # The person who checks it closes it, with the reason.
    flag_close(flag=stored("child-not-seen"), user=None, name="Sam Taylor",
               reason="action_taken", text="Visited on 24 Jan; seen alone.")  # fmt: skip
    assert one("child-not-seen").state == "closed"


def test_a_decision_recorded_late_leaves_the_overdue_flag_open_and_escalating(clock) -> None:
    clock.set(utc("2008-01-07T12:00:00"))  # a Monday
    send(*AGENCIES, child(dob="2006-06-01"), child(agency="CSC", local_id="C-1", dob="2006-06-01"),
         _referral("R1", "2008-01-07T10:00:00Z"))  # fmt: skip
    clock.set(utc("2008-01-09T09:00:00"))  # the decision was due by the end of the 8th
    flags_tick()
    assert one("referral-decision-overdue").state == "open"
    send(_decision("D1", "2008-01-09T08:00:00Z"))
    clock.set(utc("2008-01-11T09:00:00"))
    flags_tick()
    view = one("referral-decision-overdue")
    assert view.state == "open"
    assert not [a for a in view.actions if a.kind == "closed"]
    # Nobody has acknowledged it: it still reaches the head of service.
    assert view.escalation == "head_of_service"
    # Replaying the history raises nothing new and closes nothing.
    report = flags_replay()
    assert (report.flags_raised, report.revisions, report.historical) == (0, 0, 0)
    assert one("referral-decision-overdue").state == "open"
