"""Linking at ingest: every record gets a person; the household is never merged."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from jigsaw.config.settings.base import env_weight
from jigsaw.core.dates import parse_instant
from jigsaw.identity import linking, services
from jigsaw.identity.linking import _State, index_cache, stored_model
from jigsaw.identity.matching import Query
from jigsaw.identity.models import Link, LinkMethod, Person, ReviewItem
from jigsaw.identity.selectors import person_chronology, related_records
from jigsaw.identity.services import records_link
from jigsaw.identity.tests.helpers import (
    AGENCIES,
    family,
    home,
    person,
    person_of,
    persons,
    record_id,
    send,
)
from jigsaw.records.selectors import record_chronology
from jigsaw.records.tests.factories import EventObj

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


BRADLEY = home("115 Bradley Street", "N10 4LA")


def at(text: str):
    return parse_instant(text, end_of_day=True)


def test_every_record_is_linked_to_exactly_one_person() -> None:
    send(*family())
    links = persons()
    assert len(links) == 9
    assert Person.objects.count() == len(set(links.values()))


def test_twins_and_siblings_in_one_household_are_never_auto_merged() -> None:
    send(*family())
    p = persons()
    assert p["GP:G1"] == p["SCH:S1"]  # the same twin at two agencies
    assert p["GP:G2"] == p["SCH:S2"]
    assert p["GP:G1"] != p["GP:G2"]  # the twins
    assert p["GP:G3"] != p["SCH:S3"]  # sisters a month apart
    assert p["GP:G1"] != p["GP:G3"]


KHAN = home("7 Elm Road", "E8 2QT")


def _khan(ref: str, given: str, sex: str = "M") -> Any:
    agency, local_id = ref.split(":")
    return person(agency, local_id, given, "Khan", "2005-04-02", sex=sex, **KHAN)


@pytest.fixture(params=["one at a time", "in one pass"])
def linking_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Small batches are matched against the person index; big ones go through the batch
    engine. Both must keep twins apart."""
    if request.param == "in one pass":
        monkeypatch.setattr(services, "BATCH_MIN", 1)
    return str(request.param)


@pytest.mark.parametrize(("one", "other"), [("Mohammed", "Muhammad"), ("Chloe", "Khloe")])
def test_twins_with_variant_names_are_never_auto_merged(
    linking_mode: str, one: str, other: str
) -> None:
    send(*AGENCIES, _khan("GP:G1", one), _khan("GP:G2", other))
    assert person_of("GP:G1") != person_of("GP:G2")  # one agency, two records: two children
    send(_khan("SCH:S1", other))
    assert person_of("SCH:S1") == person_of("GP:G2")
    assert person_of("SCH:S1") != person_of("GP:G1")
    reviewed = {(i.record_a_id, i.record_b_id) for i in ReviewItem.objects.all()}
    assert {frozenset(pair) for pair in reviewed} >= {
        frozenset((record_id("GP:G1"), record_id("SCH:S1")))
    }


def test_variant_names_across_agencies_go_to_review_when_a_sibling_shares_the_birthday(
    linking_mode: str,
) -> None:
    send(
        *AGENCIES,
        _khan("GP:G1", "Mohammed"),
        _khan("POL:P1", "Aisha", sex="F"),
        _khan("SCH:S1", "Muhammad"),
    )
    assert person_of("SCH:S1") != person_of("GP:G1")
    pairs = {frozenset((i.record_a_id, i.record_b_id)) for i in ReviewItem.objects.all()}
    assert frozenset((record_id("GP:G1"), record_id("SCH:S1"))) in pairs


def test_the_thresholds_a_local_authority_sets_are_the_ones_used(linking_mode: str) -> None:
    send(*family())
    # At the default thresholds the same child from a fourth agency links at once.
    send(person("CSC", "C1", "Chidi", "Okafor", "2005-06-01", **home()))
    assert person_of("CSC:C1") == person_of("GP:G1")
    # Raised above any weight this pair can reach, it goes to a person instead.
    with override_settings(JIGSAW_LINK_AUTO_THRESHOLD=60.0):
        send(person("CSC", "C2", "Chidi", "Okafor", "2005-06-01", **home()))
    assert person_of("CSC:C2") not in {person_of("GP:G1"), person_of("CSC:C1")}
    assert ReviewItem.objects.filter(record_b_id=record_id("CSC:C2")).exists() or (
        ReviewItem.objects.filter(record_a_id=record_id("CSC:C2")).exists()
    )
    # And with the review floor raised as well, nobody is asked.
    with override_settings(JIGSAW_LINK_AUTO_THRESHOLD=60.0, JIGSAW_LINK_REVIEW_THRESHOLD=59.0):
        send(person("CSC", "C3", "Chidi", "Okafor", "2005-06-01", **home()))
    assert person_of("CSC:C3") not in {person_of("GP:G1"), person_of("CSC:C2")}
    c3 = record_id("CSC:C3")
    assert not ReviewItem.objects.filter(record_a_id=c3).exists()
    assert not ReviewItem.objects.filter(record_b_id=c3).exists()


def test_thresholds_from_the_environment_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIGSAW_LINK_AUTO_THRESHOLD", " 7.5 ")
    assert env_weight("JIGSAW_LINK_AUTO_THRESHOLD") == 7.5
    monkeypatch.setenv("JIGSAW_LINK_AUTO_THRESHOLD", "")
    assert env_weight("JIGSAW_LINK_AUTO_THRESHOLD") is None
    for bad in ("six", "nan", "inf"):
        monkeypatch.setenv("JIGSAW_LINK_AUTO_THRESHOLD", bad)
        with pytest.raises(ImproperlyConfigured, match="JIGSAW_LINK_AUTO_THRESHOLD must be"):
            env_weight("JIGSAW_LINK_AUTO_THRESHOLD")
    with (
        override_settings(JIGSAW_LINK_REVIEW_THRESHOLD=10.0),
        pytest.raises(ImproperlyConfigured, match=r"review threshold \(10\) is above"),
    ):
        stored_model()


def test_a_parent_and_child_of_one_name_are_told_apart() -> None:
    send(*family())
    p = persons()
    assert p["GP:G4"] == p["POL:P1"]  # the father, at the GP and with the police
    assert p["POL:P2"] != p["GP:G4"]  # his son, of the same name


def test_records_sent_one_at_a_time_link_through_the_person_index() -> None:
    send(*family()[:6])
    report = records_link(record_ids=[])
    assert report.records == 0
    send(person("CSC", "C1", "Chidi", "Okafor", "2005-06-01", **home()))
    assert person_of("CSC:C1") == person_of("GP:G1")
    link = Link.objects.filter(record_id=record_id("CSC:C1")).latest("id")
    assert link.method == LinkMethod.PROBABILISTIC
    assert link.weight is not None
    assert link.weight > 6


def test_a_record_whose_version_came_in_below_the_high_water_mark_is_read_by_its_link() -> None:
    """Batches of two agencies can commit out of id order: the index learns of such a record
    from its link and reads it by id, once."""
    send(*family()[:6])  # the agencies, and twins at the GP
    s = index_cache.refresh(stored_model())
    # The next record is stored and linked where this index does not see it (another
    # process), and its version id falls below what this index has already read.
    index_cache.state = _State()
    send(person("CSC", "C1", "Chidi", "Okafor", "2005-06-01", **home()))
    index_cache.state = s
    s.version_seen += 1000
    late = record_id("CSC:C1")
    assert late not in s.current

    assert index_cache.refresh(stored_model()) is s
    assert s.current[late].record_id == late
    assert s.person_of[late] == person_of("CSC:C1")
    assert not s.unindexed
    found = person_search_hits(s, "Chidi", "Okafor")
    assert person_of("CSC:C1") in found
    with CaptureQueriesContext(connection) as nothing_new:
        index_cache.refresh(stored_model())
    read_by_id = '"records_personversion"."record_id" IN'
    assert not any(read_by_id in q["sql"] for q in nothing_new.captured_queries)


def person_search_hits(s: Any, given: str, family: str) -> set[int]:
    assert s.index is not None
    hits = s.index.search(Query(given_name=given, family_name=family), limit=10)
    return {int(h.person_id) for h in hits if h.person_id is not None}


def test_the_same_child_from_four_agencies_is_one_person_with_one_chronology() -> None:
    send(
        *AGENCIES,
        person("GP", "G1", "Katherine", "Smith-Jones", "2004-03-09", sex="F",
               nhs_number="4010232137", **home("5 Mill Lane", "E8 1AA")),
        EventObj(agency="GP", event_id="GP-E", subjects=[{"local_id": "G1", "role": "child"}]),
    )  # fmt: skip
    send(
        person("SCH", "S1", "Kate", "Jones", "2004-03-09", sex="F", **home("5 Mill Ln", "E8 1AA")),
        EventObj(agency="SCH", event_id="SCH-E", type="school_absence",
                 details={"sessions_missed": 4}, subjects=[{"local_id": "S1", "role": "child"}]),
    )  # fmt: skip
    send(
        person("POL", "P1", "KATIE", "SMITH JONES", "2004-09-03", sex="F",
               **home("5 Mill Lane", "E8 1AA")),
        EventObj(agency="POL", event_id="POL-E", type="police_incident",
                 details={"incident_type": "domestic_abuse"},
                 subjects=[{"local_id": "P1", "role": "child"}]),
    )  # fmt: skip
    send(
        person("CSC", "C1", "Katherine", "Smith-Jones", "2004-03-09", sex="F",
               nhs_number="4010232137", other_names=["Rose"],
               **home("Flat 1, 5 Mill Lane", "E8 1AB")),
        EventObj(agency="CSC", event_id="CSC-E", type="referral_decision",
                 details={"decision": "assessment"},
                 subjects=[{"local_id": "C1", "role": "child"}]),
    )  # fmt: skip
    p = persons()
    assert len(set(p.values())) == 1
    assert Link.objects.filter(record_id=record_id("CSC:C1")).latest("id").method == "nhs_number"
    for ref in p:
        agency, local_id = ref.split(":")
        entries = record_chronology(agency=agency, local_id=local_id)
        assert [(e.agency, e.event_id) for e in entries] == [
            ("CSC", "CSC-E"),
            ("GP", "GP-E"),
            ("POL", "POL-E"),
            ("SCH", "SCH-E"),
        ] or sorted(e.event_id for e in entries) == ["CSC-E", "GP-E", "POL-E", "SCH-E"]


def test_records_with_almost_nothing_never_auto_link() -> None:
    send(
        *AGENCIES,
        person("GP", "G1", "Sam", "Smith", "2005-06-01", **home()),
        person("SCH", "S1", "Sam", "", None, sex="U"),
        person("POL", "P1", "", "Smith", None, sex="U"),
    )
    p = persons()
    assert len(set(p.values())) == 3


def test_a_link_known_only_later_is_not_used_for_an_earlier_chronology() -> None:
    # The school first records a child it cannot match; its correction in June matches the GP's.
    send(
        *AGENCIES,
        person("GP", "G1", "Amara", "Okafor", "2005-05-14", sex="F", **home()),
        EventObj(agency="GP", event_id="GP-E", occurred_at="2007-02-01T10:00:00Z",
                 recorded_at="2007-02-01T11:00:00Z",
                 subjects=[{"local_id": "G1", "role": "child"}]),
        person("SCH", "S1", "Zara", "Nowak", "2002-01-01", sex="F",
               recorded_at="2007-01-10T09:00:00Z"),
        EventObj(agency="SCH", event_id="SCH-E", occurred_at="2007-03-01T10:00:00Z",
                 recorded_at="2007-03-01T11:00:00Z", type="school_absence",
                 details={"sessions_missed": 3}, subjects=[{"local_id": "S1", "role": "child"}]),
    )  # fmt: skip
    assert person_of("SCH:S1") != person_of("GP:G1")
    june = "2007-06-01T09:00:00Z"
    send(person("SCH", "S1", "Amara", "Okafor", "2005-05-14", sex="F", recorded_at=june, **home()))
    assert person_of("SCH:S1") == person_of("GP:G1")
    link = Link.objects.filter(record_id=record_id("SCH:S1")).latest("id")
    assert link.known_from == parse_instant("2007-06-01T09:00:00Z", end_of_day=False)

    def ids(when: str) -> list[str]:
        entries = record_chronology(agency="GP", local_id="G1", as_of=at(when))
        return [e.event_id for e in entries]

    assert ids("2007-05-31") == ["GP-E"]
    assert ids("2007-06-01") == ["GP-E", "SCH-E"]
    # As known in May, the school's record was a person of its own.
    assert related_records(record_id=record_id("SCH:S1"), as_of=at("2007-05-31")).record_ids == [
        record_id("SCH:S1")
    ]


def _school_history(first: dict[str, Any]) -> list[Any]:
    """The GP's child, and a school record whose whole history (January, then a move in May)
    arrives in one batch, with an absence in March."""
    return [
        *AGENCIES,
        person("GP", "G1", "Amara", "Okafor", "2005-05-14", sex="F", **home()),
        EventObj(agency="GP", event_id="GP-E", occurred_at="2007-02-01T10:00:00Z",
                 recorded_at="2007-02-01T11:00:00Z",
                 subjects=[{"local_id": "G1", "role": "child"}]),
        person("SCH", "S1", **first, sex="F", recorded_at="2007-01-10T09:00:00Z"),
        person("SCH", "S1", "Amara", "Okafor", "2005-05-14", sex="F",
               recorded_at="2007-05-01T09:00:00Z", **home("3 New Road", "N17 6AD")),
        EventObj(agency="SCH", event_id="SCH-E", occurred_at="2007-03-01T10:00:00Z",
                 recorded_at="2007-03-01T11:00:00Z", type="school_absence",
                 details={"sessions_missed": 3}, subjects=[{"local_id": "S1", "role": "child"}]),
    ]  # fmt: skip


def _gp_chronology(when: str) -> list[str]:
    return [e.event_id for e in record_chronology(agency="GP", local_id="G1", as_of=at(when))]


def test_a_history_sent_at_once_is_linked_from_the_first_version_that_matched(
    linking_mode: str,
) -> None:
    # Live, the school's January record would have been linked when it came; a bulk load of
    # the same history must give the same answer for March, not only from May.
    send(*_school_history({"given": "Amara", "family": "Okafor", "dob": "2005-05-14", **home()}))
    assert person_of("SCH:S1") == person_of("GP:G1")
    link = Link.objects.filter(record_id=record_id("SCH:S1")).latest("id")
    assert link.known_from == parse_instant("2007-01-10T09:00:00Z", end_of_day=False)
    assert _gp_chronology("2007-03-02") == ["GP-E", "SCH-E"]
    # The GP's own record, a person from its one version, is unchanged.
    gp = Link.objects.filter(record_id=record_id("GP:G1")).latest("id")
    assert gp.known_from == parse_instant("2007-01-01T10:00:00Z", end_of_day=False)


def test_a_history_sent_at_once_is_linked_only_from_the_version_that_matched(
    linking_mode: str,
) -> None:
    # In January the school knew the child by another name and birthday: nothing matched then.
    send(*_school_history({"given": "Zara", "family": "Nowak", "dob": "2002-01-01"}))
    assert person_of("SCH:S1") == person_of("GP:G1")
    link = Link.objects.filter(record_id=record_id("SCH:S1")).latest("id")
    assert link.known_from == parse_instant("2007-05-01T09:00:00Z", end_of_day=False)
    assert _gp_chronology("2007-04-30") == ["GP-E"]
    assert _gp_chronology("2007-05-01") == ["GP-E", "SCH-E"]


def test_a_new_persons_record_is_that_person_from_its_first_version(linking_mode: str) -> None:
    send(
        *AGENCIES,
        person("POL", "P1", "Dritan", "Hoxha", "1980-03-03", recorded_at="2007-01-05T09:00:00Z"),
        person("POL", "P1", "Dritan", "Hoxha", "1980-03-03", recorded_at="2007-04-05T09:00:00Z",
               **home("9 Lime Grove", "N15 3HS")),
    )  # fmt: skip
    link = Link.objects.filter(record_id=record_id("POL:P1")).latest("id")
    assert link.method == LinkMethod.NEW
    assert link.known_from == parse_instant("2007-01-05T09:00:00Z", end_of_day=False)


def test_first_links_are_backdated_person_by_person_whatever_the_chunk(
    linking_mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bulk load places a million records: the persons they join are read a chunk at a time
    (one query for all of them overflowed SQLite's limit on parameters)."""
    monkeypatch.setattr(linking, "CHUNK", 1)
    send(*AGENCIES, person("GP", "G9", "Dritan", "Hoxha", "1980-03-03"))  # known since 1 Jan
    send(
        person("POL", "P1", "Dritan", "Hoxha", "1980-03-03", recorded_at="2006-11-05T09:00:00Z"),
        person("POL", "P1", "Dritan", "Hoxha", "1980-03-03", recorded_at="2007-04-05T09:00:00Z",
               **home("9 Lime Grove", "N15 3HS")),
        person("POL", "P2", "Ilir", "Berisha", "1979-07-07", recorded_at="2007-01-05T09:00:00Z"),
        person("POL", "P2", "Ilir", "Berisha", "1979-07-07", recorded_at="2007-02-05T09:00:00Z",
               **home("9 Lime Grove", "N15 3HS")),
    )  # fmt: skip
    assert person_of("POL:P1") == person_of("GP:G9")
    latest = {
        r: Link.objects.filter(record_id=record_id(r)).latest("id") for r in ("POL:P1", "POL:P2")
    }
    # Dritan: the police knew him from November, before the GP did: his person holds the
    # police record from then, and the GP's from when it came.
    gp = Link.objects.filter(record_id=record_id("GP:G9")).latest("id")
    assert latest["POL:P1"].known_from == parse_instant("2006-11-05T09:00:00Z", end_of_day=False)
    assert gp.known_from == parse_instant("2007-01-01T10:00:00Z", end_of_day=False)
    # Ilir: a new person, from his record's first version.
    assert latest["POL:P2"].known_from == parse_instant("2007-01-05T09:00:00Z", end_of_day=False)


def test_a_corrected_record_that_no_longer_matches_leaves_its_person(linking_mode: str) -> None:
    """A school keyed the wrong pupil and corrects the record: it is another child, so its
    events must leave Amara's chronology. A record that still matches stays."""
    send(
        *AGENCIES,
        person("GP", "G1", "Amara", "Okafor", "2005-05-14", sex="F", **home()),
        person("SCH", "S1", "Amara", "Okafor", "2005-05-14", sex="F", **home()),
        person("POL", "P1", "Amara", "Okafor", "2005-05-14", sex="F", **home()),
    )
    amara = person_of("GP:G1")
    assert person_of("SCH:S1") == person_of("POL:P1") == amara
    send(
        person("SCH", "S1", "Bogdan", "Nowak", "2001-11-02", sex="M",
               recorded_at="2007-03-01T09:00:00Z", **home("4 Far Lane", "E8 2QT")),
        person("POL", "P1", "Amara", "Okafor", "2005-05-14", sex="F",
               recorded_at="2007-03-01T09:00:00Z", **home("3 New Road", "N17 6AD")),
    )  # fmt: skip
    assert person_of("SCH:S1") != amara
    assert person_of("POL:P1") == amara  # moved house, still Amara
    moved = Link.objects.filter(record_id=record_id("SCH:S1")).latest("id")
    assert moved.method == LinkMethod.NEW
    assert moved.known_from == parse_instant("2007-03-01T09:00:00Z", end_of_day=False)
    gp = record_id("GP:G1")
    # Her chronology held the school's record until the correction, and not after it.
    assert record_id("SCH:S1") in related_records(record_id=gp, as_of=at("2007-02-28")).record_ids
    assert (
        record_id("SCH:S1") not in related_records(record_id=gp, as_of=at("2007-03-02")).record_ids
    )


def test_a_record_not_matched_well_enough_goes_to_review_and_gets_its_own_person() -> None:
    send(
        *AGENCIES,
        person("GP", "G1", "Mia", "Stone", "1984-10-23", sex="F", **BRADLEY),
    )  # fmt: skip
    send(person("SCH", "S1", "Mai", "Stone", "1984-10-23", sex="F", **BRADLEY))
    assert person_of("SCH:S1") != person_of("GP:G1")
    [item] = ReviewItem.objects.all()
    assert {item.record_a_id, item.record_b_id} == {record_id("GP:G1"), record_id("SCH:S1")}
    levels = {c["comparison"]: c["level"] for c in item.explanation}
    assert levels["family_name"] == "exact"
    # Sent again unchanged: nothing new to look at, no second review item.
    send(person("SCH", "S1", "Mai", "Stone", "1984-10-23", sex="F", **BRADLEY))
    assert ReviewItem.objects.count() == 1


def test_chronology_queries_do_not_grow_with_records_or_events() -> None:
    def load(n: int) -> None:
        objs = [*AGENCIES] if n == 0 else []
        for k in range(n, n + 3):
            agency = AGENCIES[k % 4]["code"]
            objs.append(person(agency, f"R{k}", "Chidi", "Okafor", "2005-06-01", **home()))
            objs.append(EventObj(agency=agency, event_id=f"E{k}",
                                 subjects=[{"local_id": f"R{k}", "role": "child"}]))  # fmt: skip
        send(*objs)

    load(0)
    pid = person_of("GP:R0")
    with CaptureQueriesContext(connection) as few:
        assert len(person_chronology(person_id=pid, user=None).entries) == 3
        record_chronology(agency="GP", local_id="R0")
    load(3)
    load(6)
    with CaptureQueriesContext(connection) as many:
        assert len(person_chronology(person_id=pid, user=None).entries) == 9
        record_chronology(agency="GP", local_id="R0")
    assert len(many) == len(few) <= 20  # with the person lookup and the audit entry
