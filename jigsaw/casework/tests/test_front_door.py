"""The front door: the decision clock, the contacts in triage, recording a contact in four steps,
one contact with what the agencies know, its RAG rating and its decision."""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client

from jigsaw.access.models import AuditEntry, Team
from jigsaw.access.need_to_know import access_to, viewer_of
from jigsaw.access.tests.helpers import sign_in_as
from jigsaw.casework.front_door import (
    Referrer,
    contact_create,
    decide_by_text,
    decision_due,
    timeliness_text,
    timer_of,
    working_time,
)
from jigsaw.casework.models import Contact, ContactDecision, ContactRating, FormReceipt
from jigsaw.casework.services import allocation_set, contact_decide, contact_record, form_key
from jigsaw.identity.models import Person

pytestmark = pytest.mark.django_db


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def client_for(world: Any, key: str) -> Client:
    return sign_in_as(Client(), world.user(key))


def text_of(response: Any) -> str:
    """The page's main content as plain text, one space between words."""
    html = response.content.decode()
    main = html[html.find("<main") : html.find("</main>")]
    main = re.sub(r"<(script|style|svg)[^>]*>.*?</\1>", " ", main, flags=re.S)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def maya_contact() -> Contact:
    return Contact.objects.get(subjects__person__isnull=False, summary__startswith="School")


# --- the decision clock ------------------------------------------------------------------------


def test_a_contact_received_on_friday_afternoon_is_due_on_monday_afternoon():
    friday = utc(2008, 1, 11, 16, 0)
    assert decision_due(friday) == utc(2008, 1, 14, 16, 0)
    timer = timer_of(received_at=friday, decided_at=None, now=utc(2008, 1, 11, 17, 0))
    assert decide_by_text(timer) == "Decide by 4pm Monday 14 January"
    assert not timer.overdue
    assert timer_of(received_at=friday, decided_at=None, now=utc(2008, 1, 14, 16, 1)).overdue


def test_bank_holidays_do_not_count():
    # Maundy Thursday 2008: Good Friday and Easter Monday are bank holidays.
    assert decision_due(utc(2008, 3, 20, 16, 0)) == utc(2008, 3, 25, 16, 0)
    # Christmas Eve: Christmas Day and Boxing Day skipped.
    assert decision_due(utc(2007, 12, 24, 9, 30)) == utc(2007, 12, 27, 9, 30)


def test_a_contact_received_at_the_weekend_is_due_by_the_end_of_monday():
    due = decision_due(utc(2008, 1, 12, 10, 0))
    assert due == utc(2008, 1, 15, 0, 0)
    timer = timer_of(received_at=utc(2008, 1, 12, 10, 0), decided_at=None, now=due)
    assert decide_by_text(timer) == "Decide by 11:59pm Monday 14 January"


def test_the_clock_keeps_uk_time_across_the_change_to_summer_time():
    # Clocks went forward on Sunday 30 March 2008: 4pm on Monday is 15:00 UTC.
    due = decision_due(utc(2008, 3, 28, 16, 0))
    assert due == utc(2008, 3, 31, 15, 0)
    assert working_time(utc(2008, 3, 28, 16, 0), due) == timedelta(hours=24)
    timer = timer_of(received_at=utc(2008, 3, 28, 16, 0), decided_at=None, now=due)
    assert decide_by_text(timer) == "Decide by 4pm Monday 31 March"


def test_timeliness_is_counted_in_working_time():
    friday = utc(2008, 1, 11, 15, 0)
    on_time = timer_of(received_at=friday, decided_at=utc(2008, 1, 11, 18, 0), now=friday)
    assert timeliness_text(on_time) == "Decided in 3 working hours"
    # Over the weekend: Friday 15:00 to Monday 10:00 is 9 + 10 working hours.
    monday = timer_of(received_at=friday, decided_at=utc(2008, 1, 14, 10, 0), now=friday)
    assert timeliness_text(monday) == "Decided in 19 working hours"
    late = timer_of(received_at=friday, decided_at=utc(2008, 1, 14, 17, 0), now=friday)
    assert timeliness_text(late) == "Decided 2 hours late"
    quick = timer_of(received_at=friday, decided_at=friday + timedelta(minutes=40), now=friday)
    assert timeliness_text(quick) == "Decided in 40 minutes"


# --- the list of contacts ----------------------------------------------------------------------


@pytest.mark.parametrize("key", ["school", "sw_b", "sw_a", "tm_b", "director", "analyst"])
def test_only_the_front_door_sees_the_contacts(world, key):
    client = client_for(world, key)
    assert client.get("/contacts").status_code == 403
    assert client.get("/contacts/new").status_code == 403
    assert AuditEntry.objects.filter(
        username=world.user(key).username, action="refused", object_type="contacts"
    ).exists()


@pytest.mark.parametrize("key", ["mash", "hos"])
def test_the_front_door_sees_marias_contact_and_its_clock(world, key):
    response = client_for(world, key).get("/contacts")
    assert response.status_code == 200
    page = text_of(response)
    assert "Waiting for a decision" in page
    assert "Maya Patel" in page
    assert "Ms A. Teacher" in page
    assert "Northfield Primary School" in page
    assert "Not rated" in page
    assert "Decide by midday Wednesday 16 January" in page
    assert "Overdue" not in page
    assert f'href="/children/{world.people["maya"]}"' in response.content.decode()
    entry = AuditEntry.objects.filter(object_type="contacts", action="read").latest("seq")
    assert entry.person_ids == [str(world.people["maya"])]
    assert entry.username == world.user(key).username


def _contact(world, who: str, *, hours_ago: float, rag: str | None = None) -> Contact:
    contact = contact_record(
        summary=f"Worried about {who}",
        persons=[(world.person(who), "child")],
        received_at=world.now() - timedelta(hours=hours_ago),
        source_agency="NMUH",
        source_name="Nurse",
        by=world.user("mash"),
    )
    if rag:
        ContactRating.objects.create(
            contact=contact, rag=rag, reason="because", rated_at=world.now(), rated_by=None
        )
    return contact


def test_overdue_contacts_come_first_then_red_amber_green_and_unrated(world, clock):
    clock.advance(hours=1)
    _contact(world, "liam", hours_ago=2, rag="green")
    _contact(world, "anna", hours_ago=3, rag="red")
    _contact(world, "peter", hours_ago=30, rag="green")  # Monday 06:00: overdue since Tuesday
    _contact(world, "tracey", hours_ago=4, rag="amber")
    page = text_of(client_for(world, "hos").get("/contacts"))
    order = [page.find(f"Worried about {who}") for who in ("peter", "anna", "tracey", "liam")]
    assert -1 not in order
    assert order == sorted(order)
    # Maya's (received an hour ago, not rated) comes last.
    assert page.find("Maya says she is scared") > order[-1]
    assert "1 contact is overdue" in page
    row = page[page.find("Worried about peter") :]
    assert row.find("Overdue") < row.find("Worried about anna")


def test_contacts_decided_in_the_last_day_are_listed_apart(world, clock):
    contact_decide(contact=maya_contact(), decision="early_help", reason="Family support",
                   by=world.user("mash"))  # fmt: skip
    clock.advance(hours=3)
    page = text_of(client_for(world, "mash").get("/contacts"))
    decided = page[page.find("Decided in the last day") :]
    assert "No contacts are waiting for a decision" in page
    assert "Maya Patel" in decided
    assert "Early help" in decided
    assert "Decided in less than a minute" in decided
    clock.advance(hours=22)
    response = client_for(world, "mash").get("/contacts")
    assert "Maya Patel" not in text_of(response)


# --- recording a contact -------------------------------------------------------------------------


REFERRER = {
    "agency": "NMUH",
    "agency-other": "",
    "source-name": "Dr R Patel",
    "source-role": "Paediatric registrar",
    "how-to-contact": "020 7946 0000",
    "received-day": "15",
    "received-month": "1",
    "received-year": "2008",
    "received-time": "9:30am",
    "summary": "Liam was brought in with a burn to his hand.\nMother's account varies.",
}


def _start(client: Client) -> str:
    page = client.get("/contacts/new")
    assert page.status_code == 200
    match = re.search(r'name="draft" value="([0-9a-f-]{36})"', page.content.decode())
    assert match
    return match[1]


def _post(client: Client, key: str, step: str, **data: str) -> Any:
    return client.post("/contacts/new", {"draft": key, "step": step, **data})


def _search(client: Client, key: str, step: str = "child", **terms: str) -> Any:
    return client.get(
        "/contacts/new", {"draft": key, "step": step, "search": "1", **terms}, follow=False
    )


def _step_of(response: Any) -> str:
    assert response.status_code == 302, response.content[:400]
    return parse_qs(urlparse(response["Location"]).query)["step"][0]


def test_step_one_says_what_is_missing(world):
    client = client_for(world, "mash")
    key = _start(client)
    blank = dict.fromkeys(REFERRER, "")
    response = _post(client, key, "referrer", **blank)
    assert response.status_code == 400
    page = text_of(response)
    for message in (
        "Select the agency, or enter its name if it is not in the list",
        "Enter the name of the person who raised it, or Anonymous if they gave none",
        "Enter the date the contact was received",
        "Enter the time the contact was received",
        "Enter what the worry is",
    ):
        assert page.count(message) == 2, message  # in the summary and on the field
    assert 'href="#received-day"' in response.content.decode()
    assert not Contact.objects.filter(summary__startswith="Liam").exists()


def test_step_one_refuses_a_future_time_a_wrong_date_and_two_agencies(world):
    client = client_for(world, "mash")
    key = _start(client)
    later = _post(client, key, "referrer", **(REFERRER | {"received-time": "12:30"}))
    assert later.status_code == 400
    assert "The time the contact was received must be now or in the past" in text_of(later)
    wrong = _post(
        client, key, "referrer", **(REFERRER | {"received-day": "31", "received-month": "2"})
    )
    assert "The date the contact was received must be a real date" in text_of(wrong)
    both = _post(client, key, "referrer", **(REFERRER | {"agency-other": "GP surgery"}))
    assert "Select the agency from the list or enter its name, not both" in text_of(both)
    bad_time = _post(client, key, "referrer", **(REFERRER | {"received-time": "25:00"}))
    assert "like 14:30 or 2:30pm" in text_of(bad_time)
    ok = _post(client, key, "referrer", **(REFERRER | {"agency": "", "agency-other": "GP surgery"}))
    assert _step_of(ok) == "child"


def test_the_child_search_checks_what_it_is_given(world):
    client = client_for(world, "mash")
    key = _start(client)
    _post(client, key, "referrer", **REFERRER)
    nothing = _search(client, key, postcode="N17 6AB")
    assert nothing.status_code == 400
    assert text_of(nothing).count("Enter the child's name or NHS number") == 2
    wrong = {"nhs-number": "12345", "postcode": "nowhere", "dob-month": "13", "dob-year": "2007"}
    bad = _search(client, key, **wrong, **{"dob-day": "1"})
    page = text_of(bad)
    assert "NHS number must be 10 digits" in page
    assert "Enter a real postcode" in page
    assert "Date of birth must be a real date" in page
    assert not AuditEntry.objects.filter(action="search").exists()


def test_a_caller_who_knows_only_the_year_of_birth_can_search_with_it(world):
    client = client_for(world, "mash")
    key = _start(client)
    _post(client, key, "referrer", **REFERRER)
    liam = {"given-name": "Liam", "family-name": "Brown"}
    found = _search(client, key, **liam, **{"dob-year": "2007"})
    assert found.status_code == 200
    page = text_of(found)
    assert "Born 5 January 2007" in page
    assert "Agreed: given name, family name, date of birth (born in the year asked)" in page
    assert "You searched for Liam Brown, born in 2007" in page
    # A new record would hold no date of birth: the page says so.
    assert "With the details you searched for: Liam Brown. A year of birth alone is not" in page
    search = AuditEntry.objects.filter(action="search").latest("seq")
    assert search.detail["query"]["year_of_birth"] == 2007
    # A year that is not his ranks him lower than the year that is.
    other = _search(client, key, **liam, **{"dob-year": "1990"})
    assert "born in the year asked" not in text_of(other)
    for year, message in (("07", "Year must include 4 numbers"), ("2999", "between 1900 and")):
        bad = _search(client, key, **liam, **{"dob-year": year})
        assert bad.status_code == 400
        assert message in text_of(bad)


def test_a_new_child_can_be_recorded_only_after_a_search(world):
    client = client_for(world, "mash")
    key = _start(client)
    _post(client, key, "referrer", **REFERRER)
    people = Person.objects.count()
    refused = _post(client, key, "child", person="new")
    assert refused.status_code == 400
    assert text_of(refused).count("Search for the child before you record a new child") == 2
    assert Person.objects.count() == people

    zara = {"given-name": "Zara", "family-name": "Okonjo", "dob-day": "3", "dob-month": "4"}
    found = _search(client, key, **zara, **{"dob-year": "2006"})
    assert "Record a new child" in text_of(found)
    assert "With the details you searched for: Zara Okonjo, born 3 April 2006" in text_of(found)
    made = _post(client, key, "child", person="new")
    assert _step_of(made) == "adults"
    assert Person.objects.count() == people + 1
    # The same form sent again records nobody else.
    assert _step_of(_post(client, key, "child", person="new")) == "adults"
    assert Person.objects.count() == people + 1
    assert AuditEntry.objects.filter(
        object_type="person", detail__change="recorded at the front door"
    ).exists()


def test_a_new_record_that_matches_someone_known_says_so(world):
    client = client_for(world, "mash")
    key = _start(client)
    _post(client, key, "referrer", **REFERRER)
    # A name alone ranks Liam as only a possible match; with his NHS number and date of birth
    # the new record links to him.
    _search(client, key, **{"given-name": "Liam", "family-name": "Brown",
                            "dob-day": "5", "dob-month": "1", "dob-year": "2007",
                            "nhs-number": "943 476 5056"})  # fmt: skip
    made = _post(client, key, "child", person="new")
    follow = client.get(made["Location"])
    assert "matched someone already known to Jigsaw" in text_of(follow)
    assert "has been linked to them" in text_of(follow)


def test_a_child_chosen_must_be_one_the_search_found(world):
    client = client_for(world, "mash")
    key = _start(client)
    _post(client, key, "referrer", **REFERRER)
    _search(client, key, **{"given-name": "Liam", "family-name": "Brown"})
    refused = _post(client, key, "child", person=str(world.people["peter"]))
    assert refused.status_code == 400
    assert "Select the child, or record a new child" in text_of(refused)
    assert _post(client, key, "child").status_code == 400


def test_search_results_show_the_score_and_which_details_agreed(world):
    client = client_for(world, "mash")
    key = _start(client)
    _post(client, key, "referrer", **REFERRER)
    liam = {"given-name": "Liam", "family-name": "Brown", "dob-day": "5", "dob-month": "1"}
    response = _search(client, key, **liam, **{"dob-year": "2007"})
    page = text_of(response)
    assert "Liam Brown" in page
    assert "Born 5 January 2007" in page
    assert "Agreed: given name, family name, date of birth" in page
    assert re.search(r"(Strong|Possible) match \(score \u2212?\d+\.\d\)", page)
    search = AuditEntry.objects.filter(action="search").latest("seq")
    assert search.username == "mash"
    assert str(world.people["liam"]) in search.person_ids


def test_recording_a_contact_end_to_end(world, clock):
    client = client_for(world, "mash")
    viewer = viewer_of(world.user("mash"))
    assert access_to(viewer, world.people["liam"]) is None  # nobody's yet
    key = _start(client)
    assert _step_of(_post(client, key, "referrer", **REFERRER)) == "child"
    _search(client, key, **{"given-name": "Liam", "family-name": "Brown"})
    assert _step_of(_post(client, key, "child", person=str(world.people["liam"]))) == "adults"

    # An adult: role is needed; then the mother is added as a parent.
    _search(client, key, "adults", **{"given-name": "Tracey", "family-name": "Smith"})
    no_role = _post(client, key, "adults", action="add", person=str(world.people["tracey"]))
    assert no_role.status_code == 400
    assert "Select how they are related to the child" in text_of(no_role)
    # The adult chosen stays chosen while the missing answer is asked for.
    assert re.search(rf'value="{world.people["tracey"]}" checked', no_role.content.decode()), (
        "the chosen adult was forgotten"
    )
    added = _post(client, key, "adults", action="add", person=str(world.people["tracey"]),
                  role="parent")  # fmt: skip
    assert _step_of(added) == "adults"
    assert "Tracey Smith" in text_of(client.get(added["Location"]))
    assert _step_of(_post(client, key, "adults", action="done")) == "check"

    check = client.get(f"/contacts/new?draft={key}&step=check")
    page = text_of(check)
    for shown in ("North Middlesex Hospital", "Dr R Patel", "Paediatric registrar",
                  "020 7946 0000", "9:30am Tuesday 15 January", "burn to his hand",
                  "Liam Brown", "Parent", "Tracey Smith"):  # fmt: skip
        assert shown in page, shown
    assert "step=referrer" in check.content.decode()

    contacts = Contact.objects.count()
    recorded = _post(client, key, "check")
    assert recorded.status_code == 302
    contact = Contact.objects.latest("id")
    assert recorded["Location"] == f"/contacts/{contact.pk}"
    assert Contact.objects.count() == contacts + 1
    assert contact.source_agency == "NMUH"
    assert contact.received_at == utc(2008, 1, 15, 9, 30)
    assert Referrer.of(contact).how_to_contact == "020 7946 0000"
    assert sorted(contact.subjects.values_list("person_id", "role")) == sorted(
        [(world.people["liam"], "child"), (world.people["tracey"], "parent")]
    )
    # Sent twice (a double click): the same contact, nothing more recorded.
    again = _post(client, key, "check")
    assert again["Location"] == f"/contacts/{contact.pk}"
    assert Contact.objects.count() == contacts + 1
    assert FormReceipt.objects.filter(form="contact_new").count() == 1

    # The front door's need-to-know now covers the child on it.
    assert access_to(viewer, world.people["liam"]) is not None
    page = text_of(client.get(f"/contacts/{contact.pk}"))
    assert "Contact about Liam Brown" in page
    assert "Decide by 9:30am Wednesday 16 January" in page
    assert AuditEntry.objects.filter(
        object_type="contact", object_id=str(contact.pk), detail__change="recorded"
    ).exists()


def test_a_child_cannot_also_be_an_adult_on_the_contact(world):
    client = client_for(world, "mash")
    key = _start(client)
    _post(client, key, "referrer", **REFERRER)
    _search(client, key, **{"given-name": "Liam", "family-name": "Brown"})
    _post(client, key, "child", person=str(world.people["liam"]))
    _search(client, key, "adults", **{"given-name": "Liam", "family-name": "Brown"})
    refused = _post(client, key, "adults", action="add", person=str(world.people["liam"]),
                    role="other")  # fmt: skip
    assert "is the child on this contact" in text_of(refused)


def test_a_step_cannot_be_skipped(world):
    client = client_for(world, "mash")
    key = _start(client)
    _post(client, key, "referrer", **REFERRER)
    assert _step_of(client.get(f"/contacts/new?draft={key}&step=check")) == "child"
    gone = client.get(f"/contacts/new?draft={form_key()}&step=child")
    assert gone.status_code == 302
    assert gone["Location"] == "/contacts/new"


# --- one contact ---------------------------------------------------------------------------------


def test_the_contact_page_gathers_what_the_agencies_know(world):
    contact = contact_record(
        summary="Police called to the house again last night.",
        persons=[(world.person("peter"), "child"), (world.person("steven"), "partner_of_parent")],
        source_agency="MPS",
        source_name="PC Jones",
        by=world.user("mash"),
    )
    response = client_for(world, "hos").get(f"/contacts/{contact.pk}")
    assert response.status_code == 200
    page = text_of(response)
    assert "Contact about Peter Smith" in page
    assert "Metropolitan Police" in page
    assert "Partner of a parent" in page
    assert "Steven Barker" in page
    # Household: Steven is an adult social care does not know.
    assert "not known to children's social care: Steven Barker" in page
    assert "Not known to social care" in page
    reads = set(
        AuditEntry.objects.filter(username="hos", action="read").values_list(
            "object_type", flat=True
        )
    )
    assert {"contact", "chronology", "household", "flags"} <= reads


def test_the_contact_page_lists_each_agencys_recent_records(world, clock):
    from jigsaw.records.tests.factories import EventObj, ingest

    report = ingest(
        [
            EventObj(agency="NMUH", event_id="AE-9", type="ae_attendance",
                     occurred_at="2007-12-20T20:00:00Z", recorded_at="2007-12-20T22:00:00Z",
                     subjects=[{"local_id": "H3", "role": "child"}],
                     details={"injuries": [{"kind": "burn", "site": "hand"}]}),
        ]
    )  # fmt: skip
    assert report.accepted
    contact = _contact(world, "liam", hours_ago=1)
    page = text_of(client_for(world, "mash").get(f"/contacts/{contact.pk}"))
    assert "2 entries from 1 agency" in page
    assert "North Middlesex Hospital A&E attendance 1" in page
    assert "Health contact" in page
    assert "burn (hand)" in page


def test_who_may_see_a_contact(world):
    maya = maya_contact()
    assert client_for(world, "mash").get(f"/contacts/{maya.pk}").status_code == 200
    assert client_for(world, "hos").get(f"/contacts/{maya.pk}").status_code == 200
    # A team manager sees a contact only through a child of their teams: not Maya.
    assert client_for(world, "tm_b").get(f"/contacts/{maya.pk}").status_code == 404
    for key in ("sw_a", "school", "director", "analyst", "sysadmin"):
        assert client_for(world, key).get(f"/contacts/{maya.pk}").status_code == 403, key
    assert client_for(world, "mash").get("/contacts/999999").status_code == 404
    refused = AuditEntry.objects.filter(username="tm.b", action="refused", object_type="contact")
    assert refused.get().person_ids == [str(world.people["maya"])]


def test_a_team_manager_sees_a_contact_about_their_teams_child_read_only(world):
    contact = _contact(world, "anna", hours_ago=1)
    client = client_for(world, "tm_b")
    response = client.get(f"/contacts/{contact.pk}")
    assert response.status_code == 200
    assert "Contact about Anna Jones" in text_of(response)
    assert "Record the decision" not in text_of(response)
    posted = client.post(f"/contacts/{contact.pk}", {"action": "rate", "rag": "red",
                                                     "reason": "x", "key": form_key()})  # fmt: skip
    assert posted.status_code == 403
    assert not ContactRating.objects.filter(contact=contact).exists()


def test_the_front_door_loses_sight_of_a_contact_a_day_after_its_decision(world, clock):
    maya = maya_contact()
    contact_decide(contact=maya, decision="no_further_action", reason="Advice given",
                   by=world.user("mash"))  # fmt: skip
    clock.advance(hours=25)
    assert client_for(world, "mash").get(f"/contacts/{maya.pk}").status_code == 404
    assert client_for(world, "hos").get(f"/contacts/{maya.pk}").status_code == 200


def _rate(
    client: Client, contact: Contact, rag: str, reason: str, *, seen: str = "", key: str = ""
) -> Any:
    form = {"action": "rate", "rag": rag, "reason": reason, "seen": seen}
    return client.post(f"/contacts/{contact.pk}", form | {"key": key or form_key()})


def _decide(client: Client, contact: Contact, decision: str, reason: str, *, key: str = "") -> Any:
    form = {"action": "decide", "decision": decision, "reason": reason}
    return client.post(f"/contacts/{contact.pk}", form | {"key": key or form_key()})


def test_a_rating_needs_a_colour_and_a_reason(world):
    maya, client = maya_contact(), client_for(world, "mash")
    response = _rate(client, maya, "", "")
    assert response.status_code == 400
    page = text_of(response)
    assert page.count("Select red, amber or green") == 2
    assert page.count("Enter the reason for the rating") == 2
    assert not ContactRating.objects.exists()


def test_a_new_rating_supersedes_the_last(world, clock):
    maya, client = maya_contact(), client_for(world, "mash")
    first = _rate(client, maya, "amber", "Child frightened; no injury seen")
    assert first.status_code == 302
    amber = ContactRating.objects.get()
    clock.advance(minutes=20)
    second = _rate(client, maya, "red", "Now says she was hit", seen=str(amber.pk))
    assert second.status_code == 302
    page = text_of(client.get(f"/contacts/{maya.pk}"))
    assert "Now says she was hit" in page
    assert "Earlier ratings" in page
    assert ContactRating.objects.count() == 2
    listed = text_of(client.get("/contacts"))
    assert "Red" in listed
    assert "Amber" not in listed
    rated = AuditEntry.objects.filter(object_type="contact", detail__change="rated")
    assert rated.count() == 2
    assert rated.latest("seq").detail["supersedes"] == amber.pk


def test_a_rating_from_a_stale_page_is_refused_and_explained(world, clock):
    maya = maya_contact()
    _rate(client_for(world, "hos"), maya, "green", "Seen at school, happy")
    response = _rate(client_for(world, "mash"), maya, "amber", "Worried", seen="")
    assert response.status_code == 409
    page = text_of(response)
    assert "rated this contact Green at midday Tuesday 15 January" in page
    assert "after this page was shown" in page
    assert ContactRating.objects.count() == 1


def test_a_rating_sent_twice_records_once(world):
    maya, client, key = maya_contact(), client_for(world, "mash"), form_key()
    assert _rate(client, maya, "red", "Injury", key=key).status_code == 302
    assert _rate(client, maya, "red", "Injury", key=key).status_code == 302
    assert ContactRating.objects.count() == 1


def test_a_decision_is_recorded_once_and_its_timeliness_shown(world, clock):
    maya, client = maya_contact(), client_for(world, "mash")
    missing = _decide(client, maya, "", "")
    assert missing.status_code == 400
    assert text_of(missing).count("Select a decision") == 2
    assert text_of(missing).count("Enter the reason for the decision") == 2
    clock.advance(hours=3)
    client, key = client_for(world, "mash"), form_key()  # signed in afresh: 3 hours idle
    assert (
        _decide(client, maya, "assessment", "Needs a social work assessment", key=key).status_code
        == 302
    )
    # The same form sent again goes where the first went, and records nothing.
    again = _decide(client, maya, "assessment", "Needs a social work assessment", key=key)
    assert again.status_code == 302
    assert again["Location"] == f"/contacts/{maya.pk}"
    assert ContactDecision.objects.count() == 1
    page = text_of(client.get(f"/contacts/{maya.pk}"))
    assert "Decided in 3 working hours" in page
    assert "Assessment by children's social care" in page
    assert "Record the decision" not in page


def test_a_decision_from_a_stale_page_says_who_decided_what_and_when(world, clock):
    maya = maya_contact()
    clock.advance(hours=25)
    assert (
        _decide(
            client_for(world, "hos"), maya, "strategy_discussion", "Injury disclosed"
        ).status_code
        == 302
    )
    response = _decide(client_for(world, "mash"), maya, "early_help", "Family support")
    assert response.status_code == 409
    page = text_of(response)
    assert "hos decided “Strategy discussion” at 1pm Wednesday 16 January" in page
    assert "yours has not been" in page
    assert "Decided 1 hour late" in page
    assert ContactDecision.objects.get().decision == "strategy_discussion"


def test_rating_and_deciding_are_audited(world):
    maya, client = maya_contact(), client_for(world, "mash")
    _rate(client, maya, "red", "Injury")
    _decide(client, maya, "strategy_discussion", "Injury disclosed")
    changes = list(
        AuditEntry.objects.filter(object_type="contact", object_id=str(maya.pk), action="write")
        .order_by("seq")
        .values_list("detail__change", "person_ids")
    )
    maya_id = [str(world.people["maya"])]
    assert changes[-2:] == [("rated", maya_id), ("decided", maya_id)]


def test_contact_create_refuses_roles_without_the_front_door(world):
    from jigsaw.casework.front_door import FrontDoorRefused

    with pytest.raises(FrontDoorRefused):
        contact_create(
            user=world.user("sw_a"),
            referrer=Referrer("MPS", "PC Jones"),
            received_at=world.now(),
            summary="Worried",
            child_id=world.people["peter"],
        )


def test_the_team_a_manager_sees_peters_contact(world):
    team_a = Team.objects.get(name="Team A")
    assert team_a.manager == world.user("tm_a")
    contact = _contact(world, "peter", hours_ago=2)
    assert client_for(world, "tm_a").get(f"/contacts/{contact.pk}").status_code == 200
    allocation_set(person=world.person("peter"), team=None, reason="closed")
    assert client_for(world, "tm_a").get(f"/contacts/{contact.pk}").status_code == 404


def test_refusals_to_rate_are_audited_and_kept(world, clock):
    maya = maya_contact()
    assert _rate(client_for(world, "tm_b"), maya, "red", "x").status_code == 403
    contact_decide(contact=maya, decision="no_further_action", reason="Advice given",
                   by=world.user("mash"))  # fmt: skip
    clock.advance(hours=25)
    assert _rate(client_for(world, "mash"), maya, "red", "x").status_code == 404
    refused = AuditEntry.objects.filter(action="refused", object_type="contact")
    assert set(refused.values_list("username", flat=True)) == {"tm.b", "mash"}
    assert not ContactRating.objects.exists()


def test_the_list_reads_the_same_number_of_times_however_many_contacts(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world, "mash")
    with CaptureQueriesContext(connection) as one:
        client.get("/contacts")
    for who in ("liam", "anna", "peter", "tracey"):
        _contact(world, who, hours_ago=2, rag="amber")
    with CaptureQueriesContext(connection) as five:
        assert "Worried about tracey" in text_of(client.get("/contacts"))
    assert len(five) == len(one)
