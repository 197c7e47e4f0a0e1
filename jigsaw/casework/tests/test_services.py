"""Allocations and front-door contacts: append-only, audited, known from when recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jigsaw.access.models import AuditEntry, Team
from jigsaw.casework.models import Allocation, Contact
from jigsaw.casework.selectors import allocation_of, persons_allocated_to, persons_in_triage
from jigsaw.casework.services import (
    CaseworkError,
    allocation_set,
    contact_decide,
    contact_record,
)
from jigsaw.core.append_only import AppendOnlyError

pytestmark = pytest.mark.django_db


def test_a_worker_holds_a_case_only_through_their_own_team(world):
    with pytest.raises(CaseworkError, match="not a member of Team B"):
        allocation_set(person=world.person("liam"), team=Team.objects.get(name="Team B"),
                       worker=world.user("sw_a"))  # fmt: skip
    with pytest.raises(CaseworkError, match="through a team"):
        allocation_set(person=world.person("liam"), team=None, worker=world.user("sw_a"))
    assert allocation_of(person_id=world.people["liam"], at=world.now()) is None


def test_allocation_is_known_from_when_it_was_recorded(world, clock):
    before = clock.now()
    clock.advance(days=1)
    # Backdated: the case was taken on a week ago, but Jigsaw was only told today.
    allocation_set(person=world.person("liam"), team=Team.objects.get(name="Team B"),
                   started_at=before - timedelta(days=6))  # fmt: skip
    assert allocation_of(person_id=world.people["liam"], at=before) is None
    held = allocation_of(person_id=world.people["liam"], at=clock.now())
    assert held is not None
    assert held.team.name == "Team B"
    assert world.people["liam"] in persons_allocated_to(team_ids=[held.team_id], at=clock.now())


def test_closing_a_case_appends_and_keeps_history(world, clock):
    clock.advance(minutes=1)
    allocation_set(person=world.person("peter"), team=None, reason="case closed", by=None)
    assert allocation_of(person_id=world.people["peter"], at=clock.now()) is None
    assert Allocation.objects.filter(person=world.person("peter")).count() == 2
    with pytest.raises(AppendOnlyError):
        Allocation.objects.filter(person=world.person("peter")).delete()
    entries = AuditEntry.objects.filter(object_type="allocation")
    assert entries.count() == 3  # Peter, Anna, and the close


def test_a_contact_needs_a_summary_and_a_person(world):
    with pytest.raises(CaseworkError, match="summary"):
        contact_record(summary="  ", persons=[(world.person("liam"), "child")])
    with pytest.raises(CaseworkError, match="persons"):
        contact_record(summary="Worried", persons=[])
    assert Contact.objects.count() == 1  # the world's own


def test_a_contact_is_decided_once_with_a_reason(world):
    contact = Contact.objects.get()
    with pytest.raises(CaseworkError, match="decision: choose one of"):
        contact_decide(contact=contact, decision="ignore", reason="x")
    with pytest.raises(CaseworkError, match="reason"):
        contact_decide(contact=contact, decision="assessment", reason="")
    contact_decide(contact=contact, decision="assessment", reason="Needs assessment",
                   by=world.user("mash"))  # fmt: skip
    with pytest.raises(CaseworkError, match="already been decided"):
        contact_decide(contact=contact, decision="early_help", reason="Second thoughts")
    assert world.people["maya"] in persons_in_triage(at=world.now())
    decided = AuditEntry.objects.filter(object_type="contact", detail__decision="assessment")
    assert decided.get().person_ids == [str(world.people["maya"])]


def test_a_form_acts_once_however_often_it_is_sent(world):
    from jigsaw.casework.services import form_key, once

    key, calls = form_key(), []

    def act():
        calls.append(1)
        return {"next": f"/contacts/{len(calls)}"}

    first = once(key=key, user=world.user("mash"), form="contact", act=act)
    again = once(key=key, user=world.user("mash"), form="contact", act=act)
    assert first == ({"next": "/contacts/1"}, True)
    assert again == ({"next": "/contacts/1"}, False)
    assert len(calls) == 1
    assert once(key=form_key(), user=world.user("mash"), form="contact", act=act)[1]
    assert len(calls) == 2


def test_a_failed_form_leaves_no_receipt_so_it_can_be_sent_again(world):
    from jigsaw.casework.models import FormReceipt
    from jigsaw.casework.services import form_key, once

    key = form_key()

    def fail():
        raise CaseworkError("summary: say what the contact is about")

    with pytest.raises(CaseworkError):
        once(key=key, user=world.user("mash"), form="contact", act=fail)
    assert not FormReceipt.objects.exists()
    assert once(key=key, user=world.user("mash"), form="contact", act=lambda: {"ok": 1})[1]
