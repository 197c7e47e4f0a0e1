"""Who may open whose record, and on what basis (the rules of docs/security.md)."""

from __future__ import annotations

import pytest

from jigsaw.access.models import AuditEntry, Team
from jigsaw.access.need_to_know import (
    Basis,
    Extent,
    NoAccess,
    access_to,
    person_scope,
    require_access,
    viewer_of,
)
from jigsaw.access.services import break_glass_open
from jigsaw.casework.models import Contact
from jigsaw.casework.services import allocation_set, contact_decide

pytestmark = pytest.mark.django_db

EVERYONE = {"peter", "tracey", "steven", "anna", "liam", "maya"}


def visible(world, user_key: str) -> set[str]:
    viewer = viewer_of(world.user(user_key))
    return {key for key, pid in world.people.items() if access_to(viewer, pid) is not None}


@pytest.mark.parametrize(
    ("user_key", "expected"),
    [
        ("sw_a", {"peter", "tracey", "steven"}),  # his child, and the adults named with him
        ("sw_a2", {"peter", "tracey", "steven"}),  # the same team
        ("sw_b", {"anna"}),
        ("tm_a", {"peter", "tracey", "steven"}),
        ("tm_b", {"anna"}),
        ("hos", EVERYONE),
        ("director", EVERYONE),
        ("inspector", EVERYONE),
        ("mash", {"maya"}),  # the contact in triage
        ("nmuh", {"peter", "tracey", "liam"}),  # people the hospital holds records of
        ("nmuh_lead", {"peter", "tracey", "liam"}),
        ("school", {"anna", "maya"}),
        ("analyst", set()),
        ("sysadmin", set()),
    ],
)
def test_each_role_sees_only_the_people_it_needs_to(world, user_key, expected):
    assert visible(world, user_key) == expected
    scope = person_scope(viewer_of(world.user(user_key)))
    listed = (
        set(world.people)
        if scope.ids is None
        else {k for k, pid in world.people.items() if pid in scope}
    )
    assert listed == expected


@pytest.mark.parametrize(
    "user_key", ["sw_a", "sw_b", "tm_a", "hos", "mash", "nmuh", "school", "analyst"]
)
def test_asking_about_a_few_people_gives_what_asking_about_everyone_gives(world, user_key):
    user = world.user(user_key)
    whole = person_scope(viewer_of(user))
    for keys in ({"peter"}, {"tracey", "steven"}, {"anna", "liam", "maya"}, set(world.people)):
        among = {world.people[k] for k in keys}
        few = person_scope(viewer_of(user), among=among)
        assert {p: few.get(p) for p in among} == {p: whole.get(p) for p in among}, keys


def test_the_basis_says_why(world):
    sw = viewer_of(world.user("sw_a"))
    assert access_to(sw, world.people["peter"]).basis is Basis.ALLOCATION
    assert access_to(sw, world.people["steven"]).basis is Basis.CONNECTED
    assert access_to(viewer_of(world.user("sw_a2")), world.people["peter"]).basis is Basis.TEAM
    assert (
        access_to(viewer_of(world.user("tm_a")), world.people["peter"]).basis is Basis.MANAGED_TEAM
    )
    hospital = access_to(viewer_of(world.user("nmuh")), world.people["peter"])
    assert (hospital.basis, hospital.extent, hospital.agency_code) == (
        Basis.INVOLVEMENT,
        Extent.AGENCY,
        "NMUH",
    )


def test_an_agency_sees_its_own_events_and_restricted_ones_only_if_its_role_allows(world):
    hospital = access_to(viewer_of(world.user("nmuh")), world.people["tracey"])
    assert hospital.sees_event(agency="NMUH", details={})
    assert not hospital.sees_event(agency="MPS", details={})
    assert not hospital.sees_event(agency="NMUH", details={"restriction": "sexual_health"})
    worker = access_to(viewer_of(world.user("sw_a")), world.people["tracey"])
    assert worker.sees_event(agency="MPS", details={})
    assert not worker.sees_event(agency="NMUH", details={"restriction": "sexual_health"})
    manager = access_to(viewer_of(world.user("tm_a")), world.people["tracey"])
    assert manager.sees_event(agency="NMUH", details={"restriction": "sexual_health"})


def test_reallocation_moves_access_with_the_case(world, clock):
    peter = world.person("peter")
    allocation_set(person=peter, team=Team.objects.get(name="Team B"), worker=world.user("sw_b"))
    clock.advance(minutes=1)
    assert "peter" not in visible(world, "sw_a")
    assert "peter" in visible(world, "sw_b")
    allocation_set(person=peter, team=None, reason="case closed")
    clock.advance(minutes=1)
    assert "peter" not in visible(world, "sw_b")


def test_a_decided_contact_leaves_triage_after_a_day(world, clock):
    contact = Contact.objects.get()
    contact_decide(contact=contact, decision="assessment", reason="Needs assessment",
                   by=world.user("mash"))  # fmt: skip
    clock.advance(hours=23)
    assert "maya" in visible(world, "mash")
    clock.advance(hours=2)
    assert "maya" not in visible(world, "mash")


def test_break_glass_opens_one_record_for_a_while(world, clock):
    user = world.user("sw_b")
    liam = world.people["liam"]
    assert access_to(viewer_of(user), liam) is None
    break_glass_open(user=user, person_id=str(liam), reason="Called by the hospital out of hours")
    access = access_to(viewer_of(user), liam)
    assert access.basis is Basis.BREAK_GLASS
    assert "out of hours" in access.reason
    assert liam in person_scope(viewer_of(user))
    clock.advance(hours=5)
    assert access_to(viewer_of(user), liam) is None


def test_refusals_are_audited_and_say_nothing(world):
    viewer = viewer_of(world.user("sw_b"))
    with pytest.raises(NoAccess) as refused:
        require_access(viewer, world.people["liam"])
    with pytest.raises(NoAccess) as missing:
        require_access(viewer, 999999)
    assert str(refused.value).replace(str(world.people["liam"]), "N") == str(missing.value).replace(
        "999999", "N"
    )
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.REFUSED, user_id=viewer.user.pk)
    assert entries.count() == 2


def test_read_only_roles_cannot_act(world):
    with pytest.raises(NoAccess):
        require_access(viewer_of(world.user("inspector")), world.people["peter"], act=True)
    with pytest.raises(NoAccess):
        require_access(viewer_of(world.user("director")), world.people["peter"], act=True)
    assert require_access(viewer_of(world.user("sw_a")), world.people["peter"], act=True)


def test_an_ended_account_is_refused(world, clock):
    clock.advance(days=31)
    user = world.user("inspector")
    with pytest.raises(NoAccess):
        viewer_of(user)


def test_the_operator_sees_everything():
    viewer = viewer_of(None)
    assert access_to(viewer, 1).basis is Basis.OPERATOR


def test_a_case_follows_its_child_through_a_merge_and_back(world, clock):
    from jigsaw.identity.services import Actor, person_merge, person_unmerge
    from jigsaw.records.tests.factories import PersonObj, ingest

    # A second record of Peter that did not link (no NHS number, an old surname): a duplicate.
    ingest([PersonObj(agency="SCH", local_id="S9", given_name="Pete", family_name="Barker",
                      date_of_birth="2006-01-03", recorded_at="2008-01-10T10:00:00Z")])  # fmt: skip
    from jigsaw.identity.linking import current_links

    dup_person = next(iter(current_links([_record("SCH:S9")]).values())).person
    assert dup_person != world.people["peter"]
    clock.advance(minutes=1)
    merge = person_merge(person_a=world.person("peter"), person_b=_person(dup_person),
                         actor=Actor(name="operator"), reason="Same child")  # fmt: skip
    clock.advance(minutes=1)
    sw = viewer_of(world.user("sw_a"))
    assert access_to(sw, dup_person).basis is Basis.ALLOCATION
    assert dup_person in person_scope(sw)
    assert "tracey" in visible(world, "sw_a")  # the adults named with him follow too
    person_unmerge(decision=merge, actor=Actor(name="operator"), reason="Not the same")
    clock.advance(minutes=1)
    assert access_to(viewer_of(world.user("sw_a")), dup_person) is None
    assert access_to(viewer_of(world.user("sw_a")), world.people["peter"]).basis is (
        Basis.ALLOCATION
    )


def _record(ref: str) -> int:
    from jigsaw.records.models import PersonRecord

    agency, local_id = ref.split(":")
    return PersonRecord.objects.get(agency__code=agency, local_id=local_id).pk


def _person(pk: int):
    from jigsaw.identity.models import Person

    return Person.objects.get(pk=pk)
