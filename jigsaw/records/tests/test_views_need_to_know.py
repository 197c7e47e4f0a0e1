"""The record pages per role on the world fixture: who sees which records and entries, what is
said about what is withheld, and what the audit trail records of each look."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jigsaw.access.models import AuditEntry
from jigsaw.access.services import break_glass_open
from jigsaw.access.tests.helpers import sign_in_as
from jigsaw.records import hooks
from jigsaw.records.models import PersonRecord
from jigsaw.records.tests.factories import EventObj, PersonObj, ingest

pytestmark = pytest.mark.django_db

NOT_FOUND = "There is no agency record with that code and ID"
RESTRICTED_ONE = "1 entry is in a restricted category your role cannot see."
OTHER_AGENCIES = "Entries from other agencies are not shown to you."
NEED_TO_KNOW_NOTE = "Only the records of people you have a need to know about are listed."


def page_text(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def as_user(world, key: str) -> Client:
    return sign_in_as(Client(), world.user(key))


def chronology(world, key: str, record: str, **extra: str):
    return as_user(world, key).get("/chronology", {"record": record, **extra})


def events_shown(response) -> list[str]:
    """The headings of the timeline's entries."""
    html = response.content.decode()
    return [
        " ".join(unescape(re.sub(r"<[^>]+>", " ", h)).split())
        for h in re.findall(r'<h3 class="govuk-heading-s[^"]*">(.*?)</h3>', html, flags=re.S)
    ]


def listed(response) -> list[str]:
    """The local ids of an agency page's rows."""
    return re.findall(r'href="/chronology\?record=[A-Z]+%3A([^"]+)"', response.content.decode())


def reads(**filters) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=AuditEntry.Action.READ, **filters).order_by("seq"))


def refusals(**filters) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=AuditEntry.Action.REFUSED, **filters))


# --- the chronology --------------------------------------------------------------------------


def test_the_allocated_worker_sees_every_agencys_entries_and_the_read_is_audited(world):
    response = chronology(world, "sw_a", "CSC:C1")

    assert response.status_code == 200
    assert events_shown(response) == ["A&E attendance", "Police incident"]
    text = page_text(response)
    assert "2 events known now" in text
    assert "includes the events of 2 other agency records" in text
    assert RESTRICTED_ONE not in text
    assert OTHER_AGENCIES not in text
    [entry] = reads(user_id=world.user("sw_a").pk)
    assert (entry.object_type, entry.object_id, entry.basis) == (
        "chronology",
        "CSC:C1",
        "allocation",
    )
    assert entry.person_ids == [str(world.people["peter"])]
    assert entry.record_ids == sorted(world.records[r] for r in ("CSC:C1", "NMUH:H1", "MPS:P2"))
    assert entry.detail["entries"] == 2


def test_a_record_of_someone_else_s_child_is_not_found_as_a_missing_one_is(world):
    refused = chronology(world, "sw_b", "CSC:C1")
    missing = chronology(world, "sw_b", "CSC:NOPE")

    assert refused.status_code == missing.status_code == 400
    for response in (refused, missing):
        assert f'href="#record">{NOT_FOUND}</a>' in response.content.decode()
        assert "jigsaw-timeline" not in response.content.decode()
        assert "Peter" not in page_text(response)
    [entry] = refusals(user_id=world.user("sw_b").pk)
    assert (entry.object_type, entry.object_id) == ("person_record", "CSC:C1")
    assert entry.person_ids == [str(world.people["peter"])]
    assert not reads(user_id=world.user("sw_b").pk)


def test_a_refused_record_with_a_wrong_date_still_reads_as_missing(world):
    response = chronology(world, "sw_b", "CSC:C1", **{"as-of-day": "31", "as-of-month": "2"})

    html = response.content.decode()
    assert f'href="#record">{NOT_FOUND}</a>' in html
    assert "The date must include a year" in html


def test_a_hospital_practitioner_sees_only_the_hospital_s_entries(world):
    response = chronology(world, "nmuh", "NMUH:H1")

    assert response.status_code == 200
    assert events_shown(response) == ["A&E attendance"]
    text = page_text(response)
    assert "1 event known now" in text
    assert OTHER_AGENCIES in text
    assert "other agency record" not in text  # nor how many other agencies hold records of him
    [entry] = reads(user_id=world.user("nmuh").pk)
    assert entry.basis == "involvement"
    assert entry.record_ids == [world.records["NMUH:H1"]]


def test_an_agency_practitioner_cannot_open_another_agency_s_record(world):
    response = chronology(world, "nmuh", "MPS:P2")

    assert f'href="#record">{NOT_FOUND}</a>' in response.content.decode()
    [entry] = refusals(user_id=world.user("nmuh").pk)
    assert entry.detail["why"] == "another agency's record"


def test_a_restricted_entry_is_withheld_from_a_worker_but_shown_to_the_manager(world):
    worker = chronology(world, "sw_a", "CSC:C2")
    manager = chronology(world, "tm_a", "CSC:C2")

    assert events_shown(worker) == ["A&E attendance"]
    assert RESTRICTED_ONE in page_text(worker)
    assert "Health contact" not in page_text(worker)  # its existence shows, not its content
    assert events_shown(manager) == ["A&E attendance", "Health contact"]
    assert "restricted category" not in page_text(manager)
    [worker_read] = reads(user_id=world.user("sw_a").pk)
    assert (worker_read.basis, worker_read.detail["withheld"]) == ("connected", 1)
    [manager_read] = reads(user_id=world.user("tm_a").pk)
    assert (manager_read.basis, manager_read.detail["withheld"]) == ("connected", 0)


def test_an_agency_practitioner_is_told_of_both_kinds_of_withheld_entry(world):
    response = chronology(world, "nmuh", "NMUH:H2")

    assert events_shown(response) == ["A&E attendance"]
    text = page_text(response)
    assert RESTRICTED_ONE in text
    assert OTHER_AGENCIES in text


def test_an_empty_chronology_does_not_claim_nothing_was_recorded_by_anyone(world):
    response = chronology(world, "school", "SCH:S2")

    text = page_text(response)
    assert "0 events known now" in text
    assert OTHER_AGENCIES in text
    assert "Nothing that you can see has been recorded about this person yet." in text


def test_break_glass_opens_the_chronology_and_the_reason_is_audited(world):
    user = world.user("sw_b")
    assert chronology(world, "sw_b", "NMUH:H3").status_code == 400
    break_glass_open(user=user, person_id=str(world.people["liam"]),
                     reason="Hospital called out of hours about Liam")  # fmt: skip

    response = chronology(world, "sw_b", "NMUH:H3")

    assert events_shown(response) == ["Health contact"]
    [entry] = reads(user_id=user.pk, object_type="chronology")
    assert entry.basis == "break_glass"
    assert "out of hours" in entry.reason


@pytest.mark.parametrize("key", ["hos", "director"])
def test_service_wide_roles_see_everything(world, key):
    response = chronology(world, key, "NMUH:H2")

    assert events_shown(response) == ["A&E attendance", "Health contact"]
    assert reads(user_id=world.user(key).pk)[0].basis == "service"


def test_an_inspector_does_not_see_restricted_entries(world):
    """Inspectors read everything, but their role carries no sees_restricted."""
    response = chronology(world, "inspector", "CSC:C2")

    assert events_shown(response) == ["A&E attendance"]
    assert RESTRICTED_ONE in page_text(response)
    assert reads(user_id=world.user("inspector").pk)[0].basis == "inspection"


def test_chronology_queries_do_not_grow_with_its_events_for_a_worker(world):
    client = as_user(world, "sw_a")
    with CaptureQueriesContext(connection) as few:
        client.get("/chronology", {"record": "CSC:C1"})
    more = ingest([EventObj(agency="NMUH", event_id=f"N-{n}", subjects=[{"local_id": "H1",
                   "role": "child"}]) for n in range(10)])  # fmt: skip
    assert more.accepted
    with CaptureQueriesContext(connection) as many:
        response = client.get("/chronology", {"record": "CSC:C1"})

    assert "12 events known now" in page_text(response)
    assert len(many) == len(few)


# --- an agency's person records --------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "agency", "expected", "narrowed"),
    [
        ("hos", "NMUH", ["H1", "H2", "H3"], False),
        ("inspector", "NMUH", ["H1", "H2", "H3"], False),
        ("sw_a", "NMUH", ["H1", "H2"], True),  # Peter and his mother; not Liam
        ("sw_a", "MPS", ["P1", "P2"], True),  # Steven, named with Peter
        ("sw_b", "NMUH", [], True),
        ("nmuh", "NMUH", ["H1", "H2", "H3"], True),
        ("nmuh", "MPS", [], True),  # another agency's records, even of people it knows
        ("school", "SCH", ["S1", "S2"], True),
        ("mash", "SCH", ["S2"], True),  # Maya, in triage
    ],
)
def test_an_agency_page_lists_only_records_of_people_the_viewer_may_see(
    world, key, agency, expected, narrowed
):
    response = as_user(world, key).get(f"/agencies/{agency}")

    assert response.status_code == 200
    assert listed(response) == expected
    text = page_text(response)
    if expected:
        assert (NEED_TO_KNOW_NOTE in text) is narrowed
    else:
        assert "None of this agency's person records are of people you have a need to know" in text


def test_an_agency_page_audits_the_rows_it_shows(world):
    as_user(world, "sw_a").get("/agencies/NMUH")

    [entry] = reads(user_id=world.user("sw_a").pk)
    assert (entry.object_type, entry.object_id) == ("agency_person_records", "NMUH")
    assert entry.person_ids == sorted(str(world.people[k]) for k in ("peter", "tracey"))
    assert entry.record_ids == sorted(world.records[r] for r in ("NMUH:H1", "NMUH:H2"))
    assert entry.basis == "mixed"
    assert entry.detail["bases"] == ["allocation", "connected"]


# --- records linked to no one yet ------------------------------------------------------------


@pytest.fixture
def unlinked(world, monkeypatch):
    """NMUH:H9, stored but not linked to any person (as between a bulk load's batches)."""
    monkeypatch.setattr(hooks, "_after_ingest", [])
    report = ingest(
        [
            PersonObj(local_id="H9", given_name="Nobody", family_name="Known"),
            EventObj(event_id="U-1", subjects=[{"local_id": "H9", "role": "child"}]),
        ]
    )
    assert report.accepted
    return "NMUH:H9"


@pytest.mark.parametrize(
    ("key", "sees"),
    [("hos", True), ("inspector", True), ("nmuh", True), ("sw_a", False), ("school", False)],
)
def test_an_unlinked_record_is_open_only_to_everyone_roles_and_its_agency(
    world, unlinked, key, sees
):
    response = chronology(world, key, unlinked)
    listing = as_user(world, key).get("/agencies/NMUH")

    assert (response.status_code == 200) is sees
    assert ("H9" in listed(listing)) is sees
    if sees:
        assert events_shown(response) == ["Concern raised"]
        entry = reads(user_id=world.user(key).pk, object_type="chronology")[0]
        assert entry.person_ids == []
        assert entry.record_ids == [PersonRecord.objects.get(local_id="H9").pk]
        assert entry.basis in {"service", "inspection", "involvement"}
    else:
        assert f'href="#record">{NOT_FOUND}</a>' in response.content.decode()
        assert refusals(user_id=world.user(key).pk, object_id=unlinked)


# --- who may use the pages at all ------------------------------------------------------------


@pytest.mark.parametrize("key", ["analyst", "sysadmin"])
@pytest.mark.parametrize(
    "path", ["/agencies", "/agencies/NMUH", "/chronology", "/chronology?record=NMUH:H1"]
)
def test_analysts_and_system_administrators_are_refused_the_pages(world, key, path):
    response = as_user(world, key).get(path)

    assert response.status_code == 403
    assert "Peter" not in response.content.decode()


@pytest.mark.parametrize("key", ["sw_b", "mash", "nmuh", "school", "inspector", "director"])
def test_agency_counts_are_for_any_other_role_and_are_not_a_read(world, key):
    response = as_user(world, key).get("/agencies")

    assert response.status_code == 200
    assert "North Middlesex Hospital NMUH Health 3 3" in page_text(response)
    assert not reads(user_id=world.user(key).pk)


# --- the command line ------------------------------------------------------------------------


def test_the_operator_s_chronology_is_audited(world, jigsaw_cli):
    code, out, _ = jigsaw_cli("chronology", "CSC:C2")

    assert code == 0
    assert "health_contact" in out  # the operator sees restricted entries
    [entry] = reads(username="command line")
    assert (entry.object_id, entry.basis) == ("CSC:C2", "operator")
    assert entry.person_ids == [str(world.people["tracey"])]
