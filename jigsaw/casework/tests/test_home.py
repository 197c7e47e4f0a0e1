"""The home page: each role's first screen, the caseload sorted by need, and its audit trail."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jigsaw.access.models import AuditEntry
from jigsaw.access.services import break_glass_open
from jigsaw.access.tests.pages import client_for, page_text
from jigsaw.casework.services import allocation_set
from jigsaw.core.clock import clock
from jigsaw.records.tests.factories import EventObj, errors_of, ingest
from jigsaw.risk.models import Flag
from jigsaw.risk.services import escalations_run

PLAN_TEXT = "Child protection plan since 3 Dec 2007"


def social_care(event_id: str, kind: str, day: str, details: dict[str, Any], local_id: str = "C1"):
    """An event children's social care (CSC) recorded the same day about one of its children."""
    return EventObj(
        agency="CSC",
        event_id=event_id,
        type=kind,
        occurred_at=f"{day}T10:00:00Z",
        recorded_at=f"{day}T16:00:00Z",
        subjects=[{"local_id": local_id, "role": "child"}],
        details=details,
    )


def send(*events: Any) -> None:
    report = ingest(list(events))
    assert report.accepted, errors_of(report)


def put_peter_on_a_plan() -> None:
    """Peter's initial conference put him on a plan on 3 December; he was last seen on 10
    December (not alone), so by 15 January he is 23 working days unseen: the engine's
    child-not-seen and core-group-overdue flags are overdue and escalated."""
    send(
        social_care("CP-1", "cp_conference", "2007-12-03",
                    {"conference": "initial", "outcome": "plan", "categories": ["physical"]}),
        social_care("HV-1", "home_visit", "2007-12-10", {"child_seen": True, "seen_alone": False}),
    )  # fmt: skip
    escalations_run(now=clock.now())


def allocate(world, key: str, worker: str = "sw_a", *, days_ago: int = 0) -> None:
    team = world.user(worker).staff_profile.team
    allocation_set(person=world.person(key), team=team, worker=world.user(worker),
                   started_at=clock.now() - timedelta(days=days_ago), reason="test")  # fmt: skip


def caseload_names(response) -> list[str]:
    """The children in the caseload table, top to bottom."""
    html = response.content.decode()
    table = html[html.index('id="caseload"') :]
    table = table[table.index("<tbody") : table.index("</tbody>")]
    return re.findall(r'<a class="govuk-link" href="/children/\d+">([^<]+)</a>', table)


def reads(object_type: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="read", object_type=object_type).order_by("seq"))


# --- a social worker -------------------------------------------------------------------------


def test_a_social_worker_sees_her_child_with_his_last_visit_and_plan(world) -> None:
    put_peter_on_a_plan()

    response = client_for(world.user("sw_a")).get("/")

    assert response.status_code == 200
    text = page_text(response)
    assert "<title>Your caseload \u2013 Jigsaw</title>" in response.content.decode()
    assert "1 child allocated to you. 1 needs you today." in text
    assert caseload_names(response) == ["Peter Smith"]
    row = text[text.index("Peter Smith 22 months") :]
    assert row.startswith(
        "Peter Smith 22 months Needs you today "
        "Flag overdue, was due 27 Dec 2007: Child on a plan not seen (and 1 other flag) "
        "Not seen for 23 working days "
        f"10 Dec 2007 Never {PLAN_TEXT} 2 High most severe"
    )
    assert "Visits are due every 10 working days" in text


def test_flags_due_today_and_overdue_come_first_linking_to_the_flag_and_the_child(world) -> None:
    put_peter_on_a_plan()
    peter = world.people["peter"]
    not_seen = Flag.objects.get(person_id=peter, rule_id="child-not-seen")

    response = client_for(world.user("sw_a")).get("/")

    text = page_text(response)
    assert text.index("Flags due today and overdue") < text.index("My caseload")
    flags = text[text.index("Flags due today and overdue") : text.index("My caseload")]
    assert "2 flags on your children due today or overdue, most urgent first" in flags
    assert flags.index("Child on a plan not seen") < flags.index("Core group overdue")
    assert (
        "has not been seen by children's social care since a visit on 10 Dec 2007: "
        "23 working days, more than the 10 allowed" in flags
    )
    assert "Escalated to the head of service 27 Dec 2007 Overdue High" in flags
    html = response.content.decode()
    assert f'href="/flags/{not_seen.pk}">Child on a plan not seen</a>' in html
    assert f'href="/children/{peter}">Peter Smith</a>' in html


def test_another_teams_worker_does_not_see_peter(world) -> None:
    put_peter_on_a_plan()

    response = client_for(world.user("sw_b")).get("/")

    text = page_text(response)
    assert "Peter Smith" not in text
    assert caseload_names(response) == ["Anna Jones"]
    assert "No flags on your children are due today or overdue." in text


def test_the_child_who_needs_her_today_is_at_the_top_and_it_says_why(world) -> None:
    # Liam's case came to her a month ago and nobody has seen him; Maya's came today.
    put_peter_on_a_plan()
    allocate(world, "liam", days_ago=30)
    allocate(world, "maya")

    response = client_for(world.user("sw_a")).get("/")

    # By name they would be Brown, Patel, Smith: by need, Peter (an overdue flag), Liam (not
    # seen in time), then Maya.
    assert caseload_names(response) == ["Peter Smith", "Liam Brown", "Maya Patel"]
    text = page_text(response)
    assert "3 children allocated to you. 2 need you today." in text
    assert "Liam Brown 12 months Needs you today Not seen for 19 working days since the case " \
        "was allocated Not seen on a visit Not seen on a visit" in text  # fmt: skip
    assert "Maya Patel 7 years Nothing due Not seen on a visit" in text


def test_a_child_seen_recently_needs_nothing_today(world) -> None:
    allocate(world, "liam", days_ago=30)
    # Liam has no social-care record: the visit is recorded against a new one, linked to him.
    send(
        {"kind": "person", "agency": "CSC", "local_id": "C9", "given_name": "Liam",
         "family_name": "Brown", "date_of_birth": "2007-01-05", "sex": "M",
         "nhs_number": "9434765056", "recorded_at": "2008-01-14T09:00:00Z"},
        social_care("HV-9", "home_visit", "2008-01-14",
                    {"child_seen": True, "seen_alone": True}, local_id="C9"),
    )  # fmt: skip

    response = client_for(world.user("sw_a")).get("/")

    text = page_text(response)
    assert "Liam Brown 12 months Nothing due 14 Jan 2008 14 Jan 2008" in text
    assert caseload_names(response) == ["Peter Smith", "Liam Brown"]  # Peter: never seen


@pytest.mark.parametrize(
    ("events", "status"),
    [
        ([], "No plan or assessment recorded"),
        (
            [("referral_decision", "2007-11-01", {"decision": "assessment"})],
            "Referral decision 1 Nov 2007: assessment by children's social care",
        ),
        (
            [
                ("referral_decision", "2007-11-01", {"decision": "assessment"}),
                ("assessment", "2007-11-05", {"stage": "started"}),
            ],
            "Assessment since 5 Nov 2007",
        ),
        (
            [
                ("assessment", "2007-11-05", {"stage": "started"}),
                ("assessment", "2007-11-20",
                 {"stage": "completed", "outcome": "child in need plan"}),
            ],
            "Child in need since 20 Nov 2007",
        ),
        (
            [
                ("cp_conference", "2007-06-04", {"conference": "initial", "outcome": "plan"}),
                ("cp_conference", "2007-12-03", {"conference": "review", "outcome": "end_plan"}),
            ],
            "Plan ended 3 Dec 2007",
        ),
        (
            [
                ("cp_conference", "2007-06-04", {"conference": "initial", "outcome": "plan"}),
                ("cp_conference", "2007-11-05", {"conference": "review", "outcome": "plan"}),
            ],
            "Child protection plan since 4 Jun 2007",
        ),
    ],
)  # fmt: skip
def test_the_plan_column_says_where_the_child_stands(world, events, status) -> None:
    send(*(social_care(f"S-{i}", kind, day, details)
           for i, (kind, day, details) in enumerate(events)))  # fmt: skip

    text = page_text(client_for(world.user("sw_a")).get("/"))

    assert status in text


def test_the_caseload_is_audited_once_with_the_children_it_shows(world) -> None:
    put_peter_on_a_plan()
    allocate(world, "liam", days_ago=30)
    before = AuditEntry.objects.count()

    client_for(world.user("sw_a")).get("/")

    written = AuditEntry.objects.filter(pk__gt=AuditEntry.objects.order_by("seq")[before - 1].pk)
    assert sorted(written.values_list("object_type", flat=True)) == ["caseload", "flags"]
    caseload = written.get(object_type="caseload")
    assert caseload.action == "read"
    assert caseload.username == "sw.a"
    assert sorted(caseload.person_ids) == sorted(
        [str(world.people["peter"]), str(world.people["liam"])]
    )
    assert caseload.basis == "allocation"
    # The flags were read (and audited) by the flags selector, not a second time here.
    assert str(world.people["peter"]) in written.get(object_type="flags").person_ids


def test_the_caseload_reads_the_same_number_of_queries_for_more_children(world) -> None:
    put_peter_on_a_plan()
    client = client_for(world.user("sw_a"))
    client.get("/")  # warm: the session, the agency's first lookups
    with CaptureQueriesContext(connection) as one:
        client.get("/")
    allocate(world, "liam", days_ago=30)
    allocate(world, "maya")
    with CaptureQueriesContext(connection) as three:
        response = client.get("/")

    assert len(caseload_names(response)) == 3
    assert len(three) == len(one)


# --- a team manager --------------------------------------------------------------------------


def test_a_team_manager_sees_her_team_at_a_glance_and_a_link_to_the_team_view(world) -> None:
    put_peter_on_a_plan()
    break_glass_open(user=world.user("sw_a"), person_id=str(world.people["liam"]),
                     reason="Hospital rang about a new injury tonight",
                     team_manager=world.user("tm_a"))  # fmt: skip

    response = client_for(world.user("tm_a")).get("/")

    assert response.status_code == 200
    text = page_text(response)
    assert "Your team: Team A" in text
    assert "Children your teams hold 1" in text
    assert "Overdue flags 2" in text
    assert "Flags escalated to you 2" in text
    assert "Children not seen within 10 working days 1" in text
    assert "Break-glass uses awaiting your review 1" in text
    assert "You have 1 unread notification" in text
    html = response.content.decode()
    assert 'href="/team"' in html
    assert "Open the team view" in html
    assert 'href="/break-glass/review"' in html
    # She holds no case by name: no caseload table, and nobody from another team.
    assert "No children are allocated to you by name." in text
    assert "Anna Jones" not in text


def test_a_team_manager_who_holds_a_case_sees_it_as_a_worker_does(world) -> None:
    put_peter_on_a_plan()
    allocate(world, "peter", "tm_a")

    response = client_for(world.user("tm_a")).get("/")

    assert caseload_names(response) == ["Peter Smith"]
    assert "Not seen for 23 working days" in page_text(response)


def test_another_team_manager_does_not_see_peter(world) -> None:
    put_peter_on_a_plan()

    text = page_text(client_for(world.user("tm_b")).get("/"))

    assert "Your team: Team B" in text
    assert "Peter Smith" not in text
    assert "Overdue flags 0" in text


# --- service-wide roles ----------------------------------------------------------------------


def test_a_head_of_service_sees_the_service_in_numbers_and_what_waits_for_her(world) -> None:
    put_peter_on_a_plan()

    response = client_for(world.user("hos")).get("/")

    text = page_text(response)
    assert "Across the service" in text
    assert "Read-only" not in text
    assert "Immediate 0 View immediate flags High 1 View high flags Medium 1" in text
    assert "Overdue 2 All 2" in text
    assert "Break-glass uses awaiting review 0" in text
    escalated = text[text.index("Escalated to the head of service") :]
    assert "Peter Smith Child on a plan not seen" in escalated
    assert "Peter Smith Core group overdue" in escalated
    html = response.content.decode()
    assert 'href="/flags?severity=high"' in html
    assert 'href="/team"' in html


@pytest.mark.parametrize("key", ["director", "inspector"])
def test_directors_and_inspectors_get_the_same_overview_read_only(world, key) -> None:
    put_peter_on_a_plan()

    response = client_for(world.user(key)).get("/")

    text = page_text(response)
    assert "Read-only Across the service" in text
    assert "Overdue 2 All 2" in text
    assert "Break-glass uses awaiting review" not in text
    assert 'href="/team"' not in response.content.decode()


# --- the front door and agency staff ---------------------------------------------------------


def test_mash_sees_the_contacts_awaiting_a_decision_and_no_one_else(world) -> None:
    put_peter_on_a_plan()

    response = client_for(world.user("mash")).get("/")

    text = page_text(response)
    assert "Front door" in text
    assert "Not yet rated 1 All awaiting a decision 1" in text
    assert "Waiting longest Received 15 Jan 2008 at 12:00" in text
    assert 'href="/contacts"' in response.content.decode()
    assert "No child in triage has a flag that is not closed." in text
    assert "Peter Smith" not in text


def test_agency_staff_see_the_flags_of_children_their_agency_knows(world) -> None:
    put_peter_on_a_plan()

    hospital = page_text(client_for(world.user("nmuh")).get("/"))
    school = page_text(client_for(world.user("school")).get("/"))

    assert "Children your agency works with" in hospital
    assert "2 flags not closed" in hospital
    assert "Peter Smith Child on a plan not seen" in hospital
    assert "Peter Smith" not in school
    assert "No child your agency holds records of has a flag that is not closed." in school


@pytest.mark.parametrize(("key", "where"), [("analyst", "/analytics"), ("sysadmin", "/staff")])
def test_roles_without_case_content_start_where_their_work_is(world, key, where) -> None:
    response = client_for(world.user(key)).get("/")

    assert response.status_code == 302
    assert response["Location"] == where
    assert not reads("caseload")
