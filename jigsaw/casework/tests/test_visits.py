"""Record a visit: who may, every rule of the form, and what a saved visit does (a home visit
in the child's chronology, written as the local authority; the child's flags re-evaluated)."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from jigsaw.access.models import AuditEntry
from jigsaw.access.tests.helpers import sign_in_as
from jigsaw.casework.services import CaseworkError
from jigsaw.casework.views.visit import visit_time
from jigsaw.casework.visits import one_year_before, visit_child, visit_record
from jigsaw.identity.selectors import person_chronology
from jigsaw.records.models import EventVersion
from jigsaw.records.presenters import event_summary
from jigsaw.records.tests.factories import EventObj, ingest
from jigsaw.risk.selectors import flags_list

pytestmark = pytest.mark.django_db


def as_user(world: Any, key: str) -> Client:
    return sign_in_as(Client(), world.user(key))


def form_path(world: Any, key: str = "peter") -> str:
    return f"/children/{world.people[key]}/visits/new"


def key_of(client: Client, path: str) -> str:
    body = client.get(path).content.decode()
    found = re.search(r'name="key" value="([^"]+)"', body)
    assert found
    return found[1]


def answers(**changes: str) -> dict[str, str]:
    """A visit yesterday morning where Peter was seen alone, as the form sends it."""
    data = {
        "visit-date-day": "14",
        "visit-date-month": "1",
        "visit-date-year": "2008",
        "visit-time": "10:30",
        "child-seen": "yes",
        "seen-alone": "yes",
        "not-seen-alone-reason": "",
        "not-seen-reason": "",
        "childs-views": "I like my new bed. Mummy shouts sometimes.",
        "adults-present": "Tracey Smith (mother)\n\n  Steven Barker (mother's partner)  \n",
        "purpose": "statutory_visit",
    }
    data.update(changes)
    return data


def visits_stored() -> int:
    return EventVersion.objects.filter(type="home_visit").count()


def post(client: Client, path: str, data: dict[str, str]) -> tuple[int, str]:
    response = client.post(path, data)
    return response.status_code, response.content.decode()


def on_a_plan(day: str = "2008-01-10") -> None:
    """An initial child protection conference put Peter on a plan."""
    report = ingest(
        [
            EventObj(
                agency="CSC",
                event_id=f"CP-{day}",
                type="cp_conference",
                occurred_at=f"{day}T10:00:00Z",
                recorded_at=f"{day}T16:00:00Z",
                subjects=[{"local_id": "C1", "role": "child"}],
                details={"conference": "initial", "outcome": "plan", "categories": ["physical"]},
            )
        ]
    )
    assert report.accepted


# --- who may record a visit ------------------------------------------------------------------


@pytest.mark.parametrize("key", ["sw_a", "tm_a", "hos"])
def test_those_who_act_on_the_childs_case_get_the_form(world, key):
    response = as_user(world, key).get(form_path(world))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Record a visit</h1>" in body
    assert "Peter Smith" in body
    for label in (
        "Date of the visit",
        "Time of the visit",
        "Was the child seen?",
        "Was the child seen alone?",
        "Why not?",
        "Why was the child not seen?",
        "What did the child say? (the child&#39;s own words)",
        "Who else was present?",
        "Purpose of the visit",
    ):
        assert label in body
    assert AuditEntry.objects.filter(
        object_type="visit_form", object_id=str(world.people["peter"])
    ).exists()


@pytest.mark.parametrize(
    ("key", "status"),
    [
        ("director", 403),
        ("inspector", 403),
        ("analyst", 403),
        ("sysadmin", 403),
        ("nmuh_lead", 403),  # sees Peter through the hospital's records, cannot act on his case
        ("nmuh", 403),
        ("school", 404),  # does not know Peter
        ("sw_b", 404),
        ("tm_b", 404),
        ("mash", 404),
    ],
)
def test_everyone_else_is_refused_and_nothing_is_written(world, key, status):
    client = as_user(world, key)
    assert client.get(form_path(world)).status_code == status
    assert client.post(form_path(world), answers(key="x")).status_code == status
    assert visits_stored() == 0
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.REFUSED, object_type="visit", username=world.user(key).username
    ).exists()


def test_a_child_not_open_to_the_worker_offers_break_glass_back_to_the_form(world):
    response = as_user(world, "sw_b").get(form_path(world))
    assert response.status_code == 404
    body = response.content.decode()
    peter = world.people["peter"]
    assert f'href="/break-glass/{peter}?next=%2Fchildren%2F{peter}%2Fvisits%2Fnew"' in body
    # Roles that may not break glass are not offered it.
    assert "/break-glass/" not in as_user(world, "school").get(form_path(world)).content.decode()


def test_a_person_who_does_not_exist_is_not_found(world):
    assert as_user(world, "hos").get("/children/999999/visits/new").status_code == 404


def test_signing_in_comes_first(world):
    response = Client().get(form_path(world))
    assert response.status_code == 302
    assert "/sign-in" in response["Location"]


# --- the rules of the form -------------------------------------------------------------------


def errors_of(body: str) -> list[tuple[str, str]]:
    start = body.index('class="govuk-error-summary"')
    summary = body[start : body.index("</ul>", start)]
    return re.findall(r'<a href="#([a-z-]+)">([^<]+)</a>', summary)


def test_an_empty_form_asks_for_each_required_answer(world):
    status, body = post(as_user(world, "sw_a"), form_path(world), {"key": "k"})
    assert status == 400
    assert errors_of(body) == [
        ("visit-date-day", "Enter the date of the visit"),
        ("visit-time", "Enter the time of the visit"),
        ("child-seen", "Select yes if the child was seen"),
        ("purpose", "Select the purpose of the visit"),
    ]
    assert "<title>Error: Record a visit" in body
    assert 'id="child-seen-error"' in body
    assert visits_stored() == 0


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"visit-date-month": ""}, "visit-date-month",
         "The date of the visit must include a month"),
        ({"visit-date-day": "31", "visit-date-month": "2"}, "visit-date-day",
         "The date of the visit must be a real date"),
        ({"visit-date-month": "13"}, "visit-date-month",
         "The date of the visit must be a real date"),
        ({"visit-date-year": "08"}, "visit-date-year", "Year must include 4 numbers"),
        ({"visit-date-day": "16"}, "visit-date-day",
         "The date of the visit must be today or in the past"),
        ({"visit-date-day": "15", "visit-time": "12:30"}, "visit-time",
         "The time of the visit must be in the past"),
        ({"visit-date-year": "2007"}, "visit-date-day",
         "The date of the visit must be on or after 15 January 2007: a visit more than a year "
         "ago cannot be recorded here"),
        ({"visit-time": "25:00"}, "visit-time",
         "Enter the time of the visit as hours and minutes, like 14:30"),
        ({"seen-alone": ""}, "seen-alone", "Select yes if the child was seen alone"),
        ({"seen-alone": "no"}, "not-seen-alone-reason", "Enter why the child was not seen alone"),
        ({"childs-views": "  "}, "childs-views", "Enter what the child said, in their own words"),
        ({"child-seen": "no"}, "not-seen-reason", "Enter why the child was not seen"),
        ({"child-seen": "no", "not-seen-reason": " \n "}, "not-seen-reason",
         "Enter why the child was not seen"),
        ({"child-seen": "no", "not-seen-reason": "x" * 10_001}, "not-seen-reason",
         "Why the child was not seen must be 10,000 characters or fewer"),
        ({"adults-present": "\n".join(f"Person {n}" for n in range(21))}, "adults-present",
         "List up to 20 people, one on each line"),
        ({"purpose": "social"}, "purpose", "Select the purpose of the visit"),
    ],
)  # fmt: skip
def test_each_rule_of_the_form(world, changes, field, message):
    status, body = post(as_user(world, "sw_a"), form_path(world), answers(key="k", **changes))
    assert status == 400
    assert errors_of(body) == [(field, message)]
    assert visits_stored() == 0


def test_what_was_typed_is_kept_when_the_form_comes_back(world):
    status, body = post(
        as_user(world, "sw_a"), form_path(world), answers(key="k", **{"seen-alone": "no"})
    )
    assert status == 400
    assert "I like my new bed. Mummy shouts sometimes.</textarea>" in body
    assert 'value="no" checked' in body
    # The reveal the error is in is open, without JavaScript too.
    assert 'class="govuk-radios__conditional" id="conditional-seen-alone-2"' in body
    assert 'name="key" value="k"' in body


def test_times_as_people_type_them():
    assert visit_time("14:30") == time(14, 30)
    assert visit_time("9.05") == time(9, 5)
    assert visit_time("2:30pm") == time(14, 30)
    assert visit_time("12am") == time(0, 0)
    assert visit_time("2 PM") == time(14, 0)
    for bad in ("14", "24:00", "13pm", "noon", "10:60", ""):
        assert visit_time(bad) is None
    assert one_year_before(datetime(2008, 2, 29).date()) == datetime(2007, 2, 28).date()


def test_a_year_ago_today_is_still_allowed(world):
    client = as_user(world, "sw_a")
    status, _ = post(
        client,
        form_path(world),
        answers(key="k", **{"visit-date-year": "2007", "visit-date-day": "15"}),
    )
    assert status == 302


# --- a saved visit ---------------------------------------------------------------------------


def test_a_visit_is_saved_as_the_local_authoritys_home_visit_in_the_chronology(world):
    client = as_user(world, "sw_a")
    path = form_path(world)
    response = client.post(path, answers(key=key_of(client, path)))
    assert response.status_code == 302
    assert response["Location"] == f"/children/{world.people['peter']}"
    assert [m.message for m in get_messages(response.wsgi_request)] == [
        "Visit on 14 January 2008 recorded for Peter Smith."
    ]

    chronology = person_chronology(person_id=world.people["peter"], user=world.user("sw_a"))
    visit = next(e for e in chronology.entries if e.type == "home_visit")
    assert visit.agency == "CSC"
    assert visit.occurred_at == datetime.fromisoformat("2008-01-14T10:30:00+00:00")
    assert visit.details == {
        "child_seen": True,
        "seen_alone": True,
        "childs_views": "I like my new bed. Mummy shouts sometimes.",
        "adults_present": ["Tracey Smith (mother)", "Steven Barker (mother's partner)"],
        "purpose": "statutory_visit",
    }
    entry = AuditEntry.objects.filter(object_type="visit", action=AuditEntry.Action.WRITE).get()
    assert entry.person_ids == [str(world.people["peter"])]
    assert entry.username == "sw.a"


def test_the_visit_time_is_uk_time(world, clock):
    clock.set(datetime.fromisoformat("2008-07-15T12:00:00+00:00"))
    client = as_user(world, "sw_a")
    path = form_path(world)
    data = answers(key=key_of(client, path), **{"visit-date-day": "14", "visit-date-month": "7"})
    assert client.post(path, data).status_code == 302
    visit = EventVersion.objects.get(type="home_visit")
    assert visit.occurred_at == datetime.fromisoformat("2008-07-14T09:30:00+00:00")  # BST


def test_questions_not_asked_are_not_kept(world):
    client = as_user(world, "sw_a")
    path = form_path(world)
    data = answers(key=key_of(client, path), **{"child-seen": "no", "seen-alone": "no"})
    data["not-seen-alone-reason"] = "typed, then the answer changed"
    data["not-seen-reason"] = "Nobody answered the door"
    assert client.post(path, data).status_code == 302
    details = EventVersion.objects.get(type="home_visit").details
    assert details == {
        "child_seen": False,
        "not_seen_reason": "Nobody answered the door",
        "purpose": "statutory_visit",
        "adults_present": ["Tracey Smith (mother)", "Steven Barker (mother's partner)"],
    }


def test_the_service_refuses_a_visit_not_seeing_the_child_without_a_reason(world):
    worker = world.user("sw_a")
    child = visit_child(person_id=world.people["peter"], user=worker)
    with pytest.raises(CaseworkError, match=r"^not_seen_reason: say why the child was not seen"):
        visit_record(child=child, occurred_at=datetime.fromisoformat("2008-01-14T10:30:00Z"),
                     child_seen=False, seen_alone=None, childs_views="", adults_present=[],
                     purpose="statutory_visit", not_seen_alone_reason="",
                     not_seen_reason="  ", by=worker)  # fmt: skip
    assert visits_stored() == 0


def test_the_reasons_are_read_in_the_chronology(world):
    client = as_user(world, "sw_a")
    path = form_path(world)
    data = answers(key=key_of(client, path), **{"child-seen": "no"})
    data["not-seen-reason"] = "Nobody answered the door"
    assert client.post(path, data).status_code == 302

    body = client.get(f"/children/{world.people['peter']}/chronology").content.decode()
    assert "Child not seen; why not seen: \u201cNobody answered the door\u201d" in body
    assert (
        event_summary(
            "home_visit",
            {"child_seen": True, "seen_alone": False, "not_seen_alone_reason": "Mother stayed"},
        )
        == "child seen; not seen alone; why not alone: \u201cMother stayed\u201d"
    )


def test_a_reason_typed_for_not_seen_is_not_kept_when_the_child_was_seen(world):
    client = as_user(world, "sw_a")
    path = form_path(world)
    data = answers(key=key_of(client, path), **{"not-seen-reason": "typed, then changed"})
    assert client.post(path, data).status_code == 302
    assert "not_seen_reason" not in EventVersion.objects.get(type="home_visit").details


def test_the_not_seen_question_comes_back_open_with_its_error(world):
    status, body = post(as_user(world, "sw_a"), form_path(world), answers(key="k", **{
        "child-seen": "no", "childs-views": ""}))  # fmt: skip
    assert status == 400
    # The reveal under "No" is open without JavaScript, with the error on its question.
    assert 'class="govuk-radios__conditional" id="conditional-child-seen-2"' in body
    assert 'id="not-seen-reason-error"' in body
    assert visits_stored() == 0


def test_not_seen_alone_keeps_the_reason_the_risk_engine_reads(world):
    client = as_user(world, "sw_a")
    path = form_path(world)
    data = answers(key=key_of(client, path), **{"seen-alone": "no"})
    data["not-seen-alone-reason"] = "Peter would not let go of his mother"
    assert client.post(path, data).status_code == 302
    details = EventVersion.objects.get(type="home_visit").details
    assert details["seen_alone"] is False
    assert details["not_seen_alone_reason"] == "Peter would not let go of his mother"


def test_the_same_form_sent_twice_records_one_visit(world):
    client = as_user(world, "sw_a")
    path = form_path(world)
    data = answers(key=key_of(client, path))
    first, second = client.post(path, data), client.post(path, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert visits_stored() == 1
    # Whichever response the browser shows, it says the visit was recorded.
    said = [m.message for m in get_messages(second.wsgi_request)]
    assert said[-1] == "Visit on 14 January 2008 recorded for Peter Smith."


def test_a_visit_where_a_child_on_a_plan_was_not_seen_raises_a_flag_then_changes_it(world, clock):
    on_a_plan()
    client = as_user(world, "sw_a")
    path = form_path(world)
    not_seen = {
        "child-seen": "no",
        "not-seen-reason": "No answer at the door; curtains drawn",
        "adults-present": "Tracey Smith (mother)",
    }

    response = client.post(path, answers(key=key_of(client, path), **not_seen))
    assert response.status_code == 302
    assert [m.message for m in get_messages(response.wsgi_request)] == [
        "Visit on 14 January 2008 recorded for Peter Smith. New flag: Home visit where the "
        "child was not seen (high)."
    ]
    flags = flags_list(user=world.user("sw_a"), rule="no-access-visit")
    assert [(f.severity, f.state) for f in flags] == [("high", "open")]

    # A second visit without seeing him, recorded a little later: the same flag, now immediate.
    clock.advance(minutes=10)
    again = answers(key=key_of(client, path), **not_seen, **{"visit-time": "11:45"})
    response = client.post(path, again)
    assert [m.message for m in get_messages(response.wsgi_request)] == [
        "Visit on 14 January 2008 recorded for Peter Smith. Flag changed: Home visit where the "
        "child was not seen (now immediate)."
    ]
    flags = flags_list(user=world.user("sw_a"), rule="no-access-visit")
    assert [(f.severity, len(f.evidence)) for f in flags] == [("immediate", 2)]


def test_a_third_visit_not_seen_alone_raises_the_not_seen_alone_flag(world, clock):
    # Peter turns two on 1 March 2008; a plan from 20 February, two visits since where he was
    # seen but not alone (each with a reason, so neither is flagged on its own).
    clock.set(datetime.fromisoformat("2008-03-05T12:00:00+00:00"))
    on_a_plan("2008-02-20")
    visits = [
        EventObj(
            agency="CSC",
            event_id=f"HV-{day}",
            type="home_visit",
            occurred_at=f"2008-02-{day}T10:00:00Z",
            recorded_at=f"2008-02-{day}T15:00:00Z",
            subjects=[{"local_id": "C1", "role": "child"}],
            details={
                "child_seen": True,
                "seen_alone": False,
                "not_seen_alone_reason": "mother would not leave the room",
            },
        )
        for day in ("22", "29")
    ]
    assert ingest(visits).accepted
    assert not flags_list(user=None, rule="not-seen-alone")

    client = as_user(world, "sw_a")
    path = form_path(world)
    data = answers(
        key=key_of(client, path),
        **{"visit-date-day": "4", "visit-date-month": "3", "seen-alone": "no"},
    )
    data["not-seen-alone-reason"] = "Peter was unwell and wanted his mother"
    response = client.post(path, data)
    assert response.status_code == 302
    assert [m.message for m in get_messages(response.wsgi_request)] == [
        "Visit on 4 March 2008 recorded for Peter Smith. New flag: Child not seen alone (medium)."
    ]
    (flag,) = flags_list(user=world.user("sw_a"), rule="not-seen-alone")
    assert (flag.severity, flag.state) == ("medium", "open")
    assert "not seen alone at the last 3 visits" in flag.reason
    # And it is on the worker's list.
    body = client.get("/flags").content.decode()
    assert "Child not seen alone" in body
