"""Break-glass: a stated reason, a few hours, the child's team manager told, listed for review."""

from __future__ import annotations

import pytest

from jigsaw.access.models import AuditEntry, Notification, Team
from jigsaw.access.roles import Role
from jigsaw.access.selectors import break_glass_active, break_glass_for_review
from jigsaw.access.services import BreakGlassError, break_glass_open, break_glass_review
from jigsaw.access.tests.helpers import staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

REASON = "Child brought to A&E out of hours; allocated worker unavailable"


@pytest.fixture
def manager():
    manager = staff("priya.shah", role=Role.TEAM_MANAGER)
    Team.objects.filter(name="Northfield Team A").update(manager=manager)
    return manager


@pytest.fixture
def worker(manager):
    return staff("sam.taylor")


def test_a_reason_is_required(worker) -> None:
    with pytest.raises(BreakGlassError, match="Give the reason"):
        break_glass_open(user=worker, person_id="P1", reason="  ")


def test_roles_without_break_glass_cannot_use_it() -> None:
    analyst = staff("data.analyst", role=Role.ANALYST, team="")
    with pytest.raises(BreakGlassError, match="cannot use break-glass"):
        break_glass_open(user=analyst, person_id="P1", reason=REASON)


def test_break_glass_opens_for_four_hours_then_lapses(worker, clock) -> None:
    grant = break_glass_open(user=worker, person_id="P1", reason=REASON)

    assert break_glass_active(user=worker, person_id="P1") == grant
    assert break_glass_active(user=worker, person_id="P2") is None
    clock.advance(hours=3, minutes=59)
    assert break_glass_active(user=worker, person_id="P1") == grant
    clock.advance(minutes=1)
    assert break_glass_active(user=worker, person_id="P1") is None


def test_the_team_manager_is_told_and_it_is_audited(worker, manager) -> None:
    grant = break_glass_open(user=worker, person_id="P1", reason=REASON)

    note = Notification.objects.get()
    assert (note.recipient, note.kind, note.break_glass) == (manager, "break_glass", grant)
    assert REASON in note.message
    entry = AuditEntry.objects.get(action="break_glass")
    assert (entry.person_ids, entry.basis, entry.reason) == (["P1"], "break_glass", REASON)


def test_the_childs_team_manager_is_told_when_named(worker, manager) -> None:
    other = staff("other.manager", role=Role.TEAM_MANAGER, team="Team B")

    break_glass_open(user=worker, person_id="P1", reason=REASON, team_manager=other)

    assert Notification.objects.get().recipient == other


def test_grants_are_listed_for_review_until_reviewed(worker, manager) -> None:
    grant = break_glass_open(user=worker, person_id="P1", reason=REASON)
    stranger = staff("someone.else", role=Role.TEAM_MANAGER, team="Team C")

    assert list(break_glass_for_review()) == [grant]
    assert list(break_glass_for_review(reviewer=manager)) == [grant]
    assert list(break_glass_for_review(reviewer=stranger)) == []

    break_glass_review(grant=grant, reviewer=manager, note="Appropriate")

    assert list(break_glass_for_review()) == []
