"""Who lives with a child, by whose say; adults social care does not know about."""

from __future__ import annotations

import pytest

from jigsaw.core.dates import parse_instant
from jigsaw.identity.households import address_normalise
from jigsaw.identity.models import Person
from jigsaw.identity.selectors import adults_unknown_to_social_care, household_of
from jigsaw.identity.tests.helpers import AGENCIES, home, person, person_of, send
from jigsaw.records.tests.factories import EventObj

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def test_addresses_are_normalised_to_postcode_unit_and_first_line() -> None:
    a = address_normalise(line1="Flat 47, Ashley Court", line2="St Ann's Road", postcode="n151lg")
    b = address_normalise(line1="47 Ashley Ct", postcode="N15 1LG")
    assert a == b
    assert str(a) == "47 ashley ct, N15 1LG"
    assert address_normalise(line1="Ashley Court", line2="12 High Road", postcode="N15 1LG")
    assert address_normalise(line1="", postcode="N15 1LG") is None  # a postcode is not a home
    assert address_normalise(line1="12 High Road", postcode="nowhere") is None
    # NHS placeholders (no fixed abode, not known) say where a person is not
    assert address_normalise(line1="1 No Fixed Abode", postcode="ZZ99 3VZ") is None
    assert address_normalise(line1="12 High Road", postcode="ZZ99 3WZ") is None


def test_people_of_no_fixed_abode_are_not_one_household() -> None:
    nfa = home("1 No Fixed Abode", "ZZ99 3VZ")
    send(
        *AGENCIES,
        person("CSC", "C1", "Amara", "Okafor", "2005-05-14", sex="F", **nfa),
        person("POL", "P1", "Dritan", "Hoxha", "1979-03-03", **nfa),
    )
    h = household_of(person=Person.objects.get(pk=person_of("CSC:C1")), user=None)
    assert h.members == []


@pytest.fixture
def household() -> Person:
    h = home("12 Acacia Road", "N17 6AB", "2005-01-01")
    send(
        *AGENCIES,
        person("CSC", "C1", "Amara", "Okafor", "2005-05-14", sex="F", **h),
        person("CSC", "C2", "Grace", "Okafor", "1980-08-30", sex="F", **h),
        person("GP", "G1", "Amara", "Okafor", "2005-05-14", sex="F", **h),
        person("GP", "G2", "Grace", "Okafor", "1980-08-30", sex="F", **h),
        # The police know a partner who moved in; nobody else does.
        person("POL", "P1", "Amara", "Okafor", "2005-05-14", sex="F", **h),
        person("POL", "P2", "Tomasz", "Nowak", "1978-11-02", **home("3 Mill Lane", "E8 1AA")),
        EventObj(agency="POL", event_id="HC-1", type="household_change",
                 occurred_at="2007-03-01T20:00:00Z", recorded_at="2007-03-02T09:00:00Z",
                 details={"change": "joined", "relationship": "partner_of_parent"},
                 subjects=[{"local_id": "P2", "role": "household_member"},
                           {"local_id": "P1", "role": "child"}]),
        # Someone else in the street (another house) is not in the household.
        person("GP", "G9", "Eve", "Adams", "1970-01-01", sex="F",
               **home("14 Acacia Road", "N17 6AB")),
    )  # fmt: skip
    return Person.objects.get(pk=person_of("CSC:C1"))


def test_household_lists_each_member_with_every_source(household: Person) -> None:
    h = household_of(person=household, user=None)
    by_name = {m.name: m for m in h.members}
    assert set(by_name) == {"Grace Okafor", "Tomasz Nowak"}
    grace = by_name["Grace Okafor"]
    assert sorted(s.agency for s in grace.sources) == ["CSC", "GP"]
    assert grace.adult
    assert grace.known_to_social_care
    assert str(grace.since) == "2005-01-01"
    tomasz = by_name["Tomasz Nowak"]
    assert [(s.agency, s.kind, s.relationship) for s in tomasz.sources] == [
        ("POL", "household_change", "partner_of_parent")
    ]
    assert h.addresses == {"12 acacia rd, N17 6AB": ["CSC", "GP", "POL"]}


def test_a_partner_known_only_to_the_police_is_an_adult_unknown_to_social_care(
    household: Person,
) -> None:
    [unknown] = adults_unknown_to_social_care(person=household, user=None)
    assert (unknown.name, unknown.relationship) == ("Tomasz Nowak", "partner_of_parent")
    # Before the police recorded it, nobody knew.
    before = parse_instant("2007-03-01", end_of_day=True)
    assert adults_unknown_to_social_care(person=household, user=None, as_of=before) == []


def test_a_member_who_left_is_no_longer_in_the_household(household: Person) -> None:
    send(
        EventObj(agency="POL", event_id="HC-2", type="household_change",
                 occurred_at="2007-09-01T20:00:00Z", recorded_at="2007-09-02T09:00:00Z",
                 details={"change": "left", "relationship": "partner_of_parent"},
                 subjects=[{"local_id": "P2", "role": "household_member"},
                           {"local_id": "P1", "role": "child"}]),
    )  # fmt: skip
    names = [m.name for m in household_of(person=household, user=None).members]
    assert names == ["Grace Okafor"]


def test_social_care_naming_the_adult_with_the_child_makes_them_known(household: Person) -> None:
    send(
        person("CSC", "C3", "Tomasz", "Nowak", "1978-11-02", **home("3 Mill Lane", "E8 1AA")),
        EventObj(agency="CSC", event_id="HV-1", type="home_visit",
                 details={"child_seen": True},
                 subjects=[{"local_id": "C1", "role": "child"},
                           {"local_id": "C3", "role": "partner_of_parent"}]),
    )  # fmt: skip
    assert adults_unknown_to_social_care(person=household, user=None) == []


def test_rows_read_once_give_each_persons_household_at_any_moment(household: Person) -> None:
    from jigsaw.identity.households import HouseholdRows, household_build

    everyone = sorted(Person.objects.values_list("pk", flat=True))
    end = parse_instant("2008-01-01", end_of_day=True)
    rows = HouseholdRows.load(person_ids=everyone, until=end)
    for moment in ("2007-01-01", "2007-03-01", "2007-03-02", "2007-12-31"):
        at = parse_instant(moment, end_of_day=True)
        for pk in everyone:
            assert (
                rows.household(pk, at).as_dict()
                == household_build(person_id=pk, as_of=at).as_dict()
            ), (pk, moment)


def test_where_a_source_came_from_and_when_it_was_recorded(household: Person) -> None:
    h = household_of(person=household, user=None)
    tomasz = next(m for m in h.members if m.name == "Tomasz Nowak")
    [change] = tomasz.sources
    assert (change.reference, change.recorded_at) == ("HC-1", parse_instant(
        "2007-03-02T09:00:00Z", end_of_day=False
    ))  # fmt: skip
    grace = next(m for m in h.members if m.name == "Grace Okafor")
    assert {s.reference for s in grace.sources} == {"C2", "G2"}
    assert len(grace.record_ids) == 2


def test_a_household_says_when_the_clock_alone_will_change_it() -> None:
    h = home("12 Acacia Road", "N17 6AB", "2005-01-01")
    send(
        *AGENCIES,
        person("GP", "G1", "Amara", "Okafor", "2005-05-14", sex="F", **h),
        # A sibling who turns 18 on 1 Mar 2008, so becomes one of the adults then.
        person("GP", "G3", "Kemi", "Okafor", "1990-03-01", sex="F", **h),
    )
    from jigsaw.identity.households import household_build

    child = person_of("GP:G1")
    before = household_build(person_id=child, as_of=parse_instant("2008-01-01", end_of_day=True))
    assert [m.adult for m in before.members] == [False]
    assert before.same_until == parse_instant("2008-02-29", end_of_day=True)
    after = household_build(person_id=child, as_of=parse_instant("2008-03-01", end_of_day=False))
    assert [m.adult for m in after.members] == [True]
    assert after.same_until is None
