"""Acknowledge, record an action, close with a reason; escalation by the tick."""

from __future__ import annotations

import pytest

from jigsaw.risk.models import FlagRevision
from jigsaw.risk.services import (
    FlagError,
    flag_acknowledge,
    flag_action_record,
    flag_close,
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
