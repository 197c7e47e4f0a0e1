"""The child's record page: what each role sees of Peter, flags and their evidence, legal
status from the events, the household, who has looked, and the 404 that hides a child."""

from __future__ import annotations

import html
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from jigsaw.access.models import AuditEntry
from jigsaw.access.need_to_know import (
    access_to,
    allocation_for,
    person_scope,
    resolved_once,
    viewer_of,
)
from jigsaw.access.tests.helpers import sign_in_as
from jigsaw.access.tests.world import World
from jigsaw.casework.child_record import (
    ChildNotFound,
    child_record,
    chronology_page_of,
    entry_anchor,
    identity_of,
    record_access_log,
)
from jigsaw.casework.views.child import age_text, disagreements, entry_href
from jigsaw.core.clock import clock
from jigsaw.identity.selectors import RecordView
from jigsaw.records.tests.factories import EventObj, ingest

pytestmark = pytest.mark.django_db


def page(world: World, who: str, person: str | int, suffix: str = "") -> Any:
    client = sign_in_as(Client(), world.user(who))
    pid = world.people[person] if isinstance(person, str) else person
    return client.get(f"/children/{pid}{suffix}")


def text(response: Any) -> str:
    """The page's HTML with its white space closed up and its entities read."""
    return html.unescape(" ".join(response.content.decode().split()))


def main(response: Any) -> str:
    body = text(response)
    return body[body.index("<main") : body.index("</main>")]


def reads(world: World, who: str, object_type: str) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            user_id=world.user(who).pk, action="read", object_type=object_type
        ).order_by("seq")
    )


def police_called_last_night() -> None:
    """An incident that raises a flag still open now: the police at Peter's home, Peter there."""
    report = ingest(
        [
            EventObj(agency="MPS", event_id="INC-2", type="police_incident",
                     occurred_at="2008-01-14T23:00:00Z", recorded_at="2008-01-15T08:00:00Z",
                     subjects=[{"local_id": "P2", "role": "child"},
                               {"local_id": "P1", "role": "alleged_perpetrator"}],
                     details={"incident_type": "domestic_abuse", "children_present": True})
        ]
    )  # fmt: skip
    assert report.accepted


def conference(event_id: str, occurred: str, outcome: str, kind: str = "initial") -> Any:
    return EventObj(agency="CSC", event_id=event_id, type="cp_conference",
                    occurred_at=occurred, recorded_at=occurred,
                    author={"name": "J Okoro", "role": "Conference chair"},
                    subjects=[{"local_id": "C1", "role": "child"}],
                    details={"conference": kind, "outcome": outcome,
                             "categories": ["neglect"]})  # fmt: skip


# --- what the worker holding the case sees ----------------------------------------------------


def test_the_social_worker_sees_who_where_and_who_holds_the_case(world: World) -> None:
    response = page(world, "sw_a", "peter")
    assert response.status_code == 200
    body = text(response)
    assert '<h1 class="govuk-heading-l">Peter Smith</h1>' in body
    assert "1 March 2006 (22 months old)" in body
    assert "943 476 5005" in body
    assert "12 Acacia Road, London, N17 6AB" in body
    assert "According to Northfield Children's Social Care, since 2 March 2006" in body
    assert "sw.a, Team A, since 17 October 2007" in body
    assert "None recorded" in body  # no conference, placement or assessment in the world
    pid = world.people["peter"]
    assert f'href="/children/{pid}/visits/new"' in body
    assert f'href="/children/{pid}/chronology"' in body
    # Every agency's record of him, and how each was linked
    for local_id in ("C1", "H1", "P2"):
        assert f">{local_id}<" in body
    assert "Same NHS number and date of birth" in body
    assert "Who has looked at this record" not in body
    # She decides linkage for her children: a merge starts from the record
    assert f'href="/people/{pid}/merge"' in body


def test_the_household_names_the_adult_social_care_does_not_know(world: World) -> None:
    body = text(page(world, "sw_a", "peter"))
    # Steven Barker is placed at the address only by the police
    assert "Steven Barker lives with Peter according to Metropolitan Police" in body
    assert "Not known to social care" in body
    # and named by them as the alleged perpetrator of the incident, linked to the entry
    anchor = entry_anchor("MPS", "INC-1")
    assert f'#{anchor}">Alleged perpetrator, per Metropolitan Police, 3 June 2007' in body
    tracey = world.people["tracey"]
    assert f'href="/children/{tracey}">Tracey Smith</a>' in body


def test_reading_the_record_is_audited_once_for_each_part(world: World) -> None:
    page(world, "sw_a", "peter")
    pid = str(world.people["peter"])
    for object_type in ("person", "household", "chronology", "flags"):
        entries = reads(world, "sw_a", object_type)
        assert len(entries) == 1, object_type
        assert pid in entries[0].person_ids
        assert entries[0].basis in ("allocation", "mixed")


def test_open_flags_show_their_evidence_linked_to_the_chronology(world: World) -> None:
    police_called_last_night()
    pid = world.people["peter"]
    body = text(page(world, "sw_a", "peter"))
    assert "Domestic abuse incident in the child's household" in body
    anchor = entry_anchor("MPS", "INC-2")
    assert (
        f'href="/children/{pid}/chronology#{anchor}">Police incident, Metropolitan Police' in body
    )
    # The historical flags closed at load are not listed as open
    assert "Injury to a child who is not independently mobile" not in body
    # and the entry the evidence links to is a row of the chronology
    chronology = text(page(world, "sw_a", "peter", "/chronology"))
    assert f'id="{anchor}"' in chronology


def test_legal_status_is_read_from_the_latest_conference_and_placement(world: World) -> None:
    report = ingest([conference("CP-1", "2007-11-20T10:00:00Z", "plan")])
    assert report.accepted
    body = text(page(world, "sw_a", "peter"))
    assert "Child protection plan" in body
    assert "Child protection plan since 20 November 2007 under the category of neglect" in body
    assert f"#{entry_anchor('CSC', 'CP-1')}" in body
    assert "Jigsaw does not hold court orders" in body

    ingest(
        [
            conference("CP-2", "2008-01-10T10:00:00Z", "end_plan", kind="review"),
            EventObj(agency="CSC", event_id="PL-1", type="placement",
                     occurred_at="2008-01-11T10:00:00Z", recorded_at="2008-01-11T12:00:00Z",
                     subjects=[{"local_id": "C1", "role": "child"}],
                     details={"carer_type": "foster"}),
        ]
    )  # fmt: skip
    body = text(page(world, "sw_a", "peter"))
    assert "Child protection plan ended at a review conference on 10 January 2008" in body
    assert "Looked after" in body
    assert "Placed with foster carers since 11 January 2008" in body


def test_professionals_named_in_the_last_year_are_listed(world: World) -> None:
    ingest([conference("CP-1", "2007-11-20T10:00:00Z", "plan")])
    body = text(page(world, "sw_a", "peter"))
    assert "J Okoro" in body
    assert "Conference chair" in body


def test_the_record_page_reads_in_a_bounded_number_of_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    ingest([EventObj(agency="NMUH", event_id=f"HC-{n}", type="health_contact",
                     occurred_at="2007-12-01T10:00:00Z", recorded_at="2007-12-01T11:00:00Z",
                     author={"name": f"Nurse {n}", "role": "Health visitor"},
                     subjects=[{"local_id": "H1", "role": "child"}], details={})
            for n in range(30)])  # fmt: skip
    client = sign_in_as(Client(), world.user("tm_a"))
    with django_assert_max_num_queries(85):  # about 75, whatever the number of entries
        response = client.get(f"/children/{world.people['peter']}")
    assert text(response).count("Health visitor") == 12  # the twelve latest professionals


def test_need_to_know_is_worked_out_once_for_the_page(
    world: World, django_assert_num_queries: Any
) -> None:
    viewer = viewer_of(world.user("sw_a"))
    pid = world.people["peter"]
    with resolved_once(viewer) as now:
        first = access_to(viewer, pid)
        held = allocation_for(viewer, pid)
        scope = person_scope(viewer)
        with django_assert_num_queries(0):
            assert access_to(viewer, pid) is first
            assert access_to(viewer, pid, at=now) is first
            assert allocation_for(viewer, pid) is held
            assert person_scope(viewer, at=now) is scope
    assert viewer.memo == {}  # forgotten with the page
    assert access_to(viewer, pid) == first
    assert access_to(viewer, pid) is not first


def test_evidence_links_go_to_the_page_of_the_chronology_that_shows_the_entry() -> None:
    record: Any = SimpleNamespace(person_id=7, anchors={"entry-a": 1, "entry-b": 3})
    assert entry_href(record, "entry-a") == "/children/7/chronology#entry-a"
    assert entry_href(record, "entry-b") == "/children/7/chronology?page=3#entry-b"
    assert chronology_page_of(0) == chronology_page_of(99) == 1
    assert chronology_page_of(100) == 2


# --- agency staff --------------------------------------------------------------------------


def test_agency_staff_see_the_shared_summary_and_their_own_records_only(world: World) -> None:
    ingest([conference("CP-1", "2007-11-20T10:00:00Z", "plan")])
    response = page(world, "nmuh_lead", "peter")
    assert response.status_code == 200
    body = text(response)
    assert "You see what is shared with North Middlesex Hospital" in body
    # The shared summary: legal status and who holds the case
    assert "Child protection plan since 20 November 2007" in body
    assert "sw.a, Team A" in body
    # Their own agency's record only, and the household as their records hold it
    assert ">H1<" in body
    assert ">C1<" not in body
    assert ">P2<" not in body
    assert "Tracey Smith" in body
    assert "Liam Brown" in body
    assert "Steven Barker" not in body
    assert "Not known to social care" not in body
    # They may look, not act
    assert "visits/new" not in body
    assert "/merge" not in body


# --- who may not see Peter ----------------------------------------------------------------------


def test_a_child_not_open_to_the_user_is_not_found_with_the_break_glass_offer(
    world: World,
) -> None:
    pid = world.people["peter"]
    hidden = page(world, "sw_b", "peter")
    assert hidden.status_code == 404
    body = text(hidden)
    assert "Page not found" in body
    assert "Peter" not in body
    assert f'href="/break-glass/{pid}?next=%2Fchildren%2F{pid}"' in body
    # A person who does not exist gets the same page
    missing = page(world, "sw_b", 99999)
    assert missing.status_code == 404
    assert main(missing).replace("99999", str(pid)) == main(hidden)
    refused = AuditEntry.objects.filter(user_id=world.user("sw_b").pk, action="refused")
    assert any(str(pid) in entry.person_ids for entry in refused)


def test_roles_without_break_glass_get_no_offer(world: World) -> None:
    response = page(world, "director", 99999)
    assert response.status_code == 404
    assert "break-glass" not in text(response)


@pytest.mark.parametrize("who", ["analyst", "sysadmin"])
def test_roles_without_case_content_are_refused(world: World, who: str) -> None:
    assert page(world, who, "peter").status_code == 403


def test_signing_in_comes_first(world: World) -> None:
    response = Client().get(f"/children/{world.people['peter']}")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in")


# --- who has looked -----------------------------------------------------------------------------


def test_the_team_manager_sees_who_has_looked(world: World) -> None:
    page(world, "sw_a", "peter", "/chronology")
    body = text(page(world, "tm_a", "peter"))
    assert "Who has looked at this record" in body
    assert "sw.a (Social worker)" in body
    assert "Looked at the chronology" in body
    assert "Holds the case" in body
    # Looking at the log is itself audited
    assert len(reads(world, "tm_a", "access_log")) == 1


def test_only_the_childs_team_manager_and_heads_of_service_see_who_has_looked(
    world: World,
) -> None:
    assert "Who has looked at this record" in text(page(world, "hos", "peter"))
    assert "Who has looked at this record" not in text(page(world, "director", "peter"))
    with pytest.raises(PermissionDenied):
        record_access_log(person_id=world.people["peter"], user=world.user("sw_a"))
    with pytest.raises(ChildNotFound):
        record_access_log(person_id=world.people["peter"], user=world.user("tm_b"))


def test_one_look_at_the_page_is_one_row_of_the_log(world: World) -> None:
    page(world, "sw_a", "peter")
    rows = record_access_log(person_id=world.people["peter"], user=world.user("tm_a"))
    mine = [r for r in rows if r.username == "sw.a"]
    assert len(mine) == 1
    assert set(mine[0].what) == {"person", "household", "chronology", "flags"}


# --- the parts, on their own ------------------------------------------------------------------


def record_view(agency: str, **fields: Any) -> RecordView:
    values: dict[str, Any] = {
        "record_id": 0, "ref": f"{agency}:X", "agency": agency, "local_id": "X",
        "given_name": "Peter", "family_name": "Smith", "other_names": [],
        "date_of_birth": date(2006, 3, 1), "sex": "M", "nhs_number": "", "address": "",
        "postcode": "",
    }  # fmt: skip
    return RecordView(**(values | fields))


def test_where_agencies_disagree_about_the_date_of_birth_the_page_says_so(db: Any) -> None:
    records = [
        record_view("CSC", nhs_number="9434765005", postcode="N17 6AB"),
        record_view("MPS", date_of_birth=date(2006, 1, 3)),
        record_view("NMUH", given_name="PETER"),
    ]
    identity = identity_of(records, person_id=1, as_of=clock.now())
    assert identity.name == "Peter Smith"  # the most complete record's
    assert identity.date_of_birth == date(2006, 3, 1)
    assert len(identity.names) == 1  # the same name, whatever its case
    names = {"CSC": "Social care", "MPS": "Police", "NMUH": "Hospital"}
    said = disagreements(identity, names)
    assert said == [
        "Agencies give different dates of birth: 1 March 2006 (Social care and Hospital); "
        "3 January 2006 (Police). The age shown is from 1 March 2006, given by the most "
        "complete record."
    ]


@pytest.mark.parametrize(
    ("age", "said"),
    [((0, 0), "under 1 month"), ((0, 1), "1 month"), ((1, 10), "22 months"), ((2, 0), "2 years"),
     ((17, 11), "17 years"), (None, "")],
)  # fmt: skip
def test_ages_read_as_practitioners_say_them(age: Any, said: str) -> None:
    assert age_text(age) == said


def test_the_selector_refuses_a_child_the_user_may_not_see(world: World) -> None:
    with pytest.raises(ChildNotFound):
        child_record(person_id=world.people["peter"], user=world.user("mash"))
    with pytest.raises(ChildNotFound):
        child_record(person_id="not a number", user=world.user("sw_a"))
