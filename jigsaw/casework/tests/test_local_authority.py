"""Jigsaw records practitioners' work as the local authority, through the one ingest."""

from __future__ import annotations

from datetime import date

import pytest

from jigsaw.access.models import AuditEntry
from jigsaw.casework.local_authority import (
    Particulars,
    event_write,
    particulars,
    person_new,
    person_record_for,
    social_care_agency,
)
from jigsaw.identity.linking import current_links
from jigsaw.records.models import EventVersion, PersonRecord, Submission
from jigsaw.risk.selectors import flags_list

pytestmark = pytest.mark.django_db


def test_the_world_writes_as_its_one_social_care_agency(world):
    assert social_care_agency() == "CSC"


def test_with_no_social_care_agency_jigsaw_registers_its_own(db, clock):
    assert social_care_agency() == "JIGSAW"
    assert social_care_agency() == "JIGSAW"  # once


def test_the_local_authoritys_record_is_reused_or_made_and_pinned(world):
    # Peter has a CSC record already; Liam is known only to the hospital.
    assert person_record_for(world.person("peter"), by=world.user("sw_a")).local_id == "C1"
    record = person_record_for(world.person("liam"), by=None)
    assert (record.agency.code, record.local_id) == ("CSC", f"JGS-P{world.people['liam']}")
    link = current_links([record.pk])[record.pk]
    assert link.person == world.people["liam"]
    assert link.pinned
    again = person_record_for(world.person("liam"), by=None)
    assert again.pk == record.pk
    assert particulars(world.person("liam")).family_name == "Brown"


def test_an_event_goes_through_the_ingest_and_is_evaluated(world, clock):
    before = len(flags_list(user=None, state="open"))
    event_id = event_write(
        person=world.person("peter"),
        type="home_visit",
        occurred_at=clock.now(),
        details={"child_seen": True, "seen_alone": False, "purpose": "statutory visit"},
        by=world.user("sw_a"),
    )
    version = EventVersion.objects.get(event__event_id=event_id)
    assert version.event.agency.code == "CSC"
    assert version.author_name == "sw.a"
    assert Submission.objects.filter(channel="web", source="web:sw.a").exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.INGEST).exists()
    assert len(flags_list(user=None, state="open")) >= before


def test_a_new_person_at_the_front_door_is_linked_like_any_record(world):
    newcomer = person_new(Particulars(given_name="Ola", family_name="Nowak", sex="F"), by=None)
    assert newcomer.pk not in world.people.values()
    # Someone already known (same NHS number and date of birth) is found, not duplicated.
    known = person_new(
        Particulars(
            given_name="Anna",
            family_name="Jones",
            sex="F",
            nhs_number="9434765048",
            date_of_birth=date(2001, 7, 19),
        ),
        by=None,
    )
    assert known.pk == world.people["anna"]
    assert PersonRecord.objects.filter(local_id__startswith="JGS-").count() == 2
