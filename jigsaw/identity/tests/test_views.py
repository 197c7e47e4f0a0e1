"""The identity pages: finding a person, the link review queue, deciding a pair side by side,
merging two persons and undoing a merge (population: access/tests/world.py — `sw_a` holds
Peter, whose mother Tracey and her partner Steven are connected to him; `sw_b` holds Anna; the
hospital alone knows Liam)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.test import Client

from jigsaw.access.models import AuditEntry
from jigsaw.access.tests.helpers import sign_in_as
from jigsaw.casework.models import FormReceipt
from jigsaw.core.clock import clock
from jigsaw.identity import views
from jigsaw.identity.linking import current_links
from jigsaw.identity.models import Decision, Link, Person, ReviewItem
from jigsaw.identity.services import (
    Actor,
    link_confirm,
    link_reject,
    person_merge,
    review_decide,
)
from jigsaw.records.models import PersonRecord

pytestmark = pytest.mark.django_db

MISSING = 999999
EXPLANATION = [
    {"comparison": "given_name", "level": "exact", "value_a": "peter", "value_b": "steven",
     "weight": 6.3},
    {"comparison": "family_name", "level": "different", "value_a": "smith", "value_b": "barker",
     "weight": -4.9},
    {"comparison": "date_of_birth", "level": "null", "value_a": "", "value_b": "",
     "weight": 0.0},
    {"comparison": "postcode", "level": "same postcode", "value_a": "N17 6AB",
     "value_b": "N17 6AB", "weight": 1.8},
]  # fmt: skip


# --- helpers ----------------------------------------------------------------------------------


def as_(world: Any, key: str) -> Client:
    return sign_in_as(Client(), world.user(key))


def body(response: Any) -> str:
    """The page's main content as text, whitespace collapsed."""
    html = response.content.decode()
    main = re.search(r"<main.*?</main>", html, re.S)
    text = re.sub(r"<[^>]+>", " ", main.group(0) if main else html)
    return re.sub(r"\s+", " ", text.replace("&#39;", "'").replace("&amp;", "&"))


def error_summary(response: Any) -> list[str]:
    html = response.content.decode()
    summary = re.search(r'govuk-error-summary__list">(.*?)</ul>', html, re.S)
    if not summary:
        return []
    return [
        re.sub(r"\s+", " ", t).strip() for t in re.findall(r"<a [^>]*>(.*?)</a>", summary[1], re.S)
    ]


def hidden(response: Any, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', response.content.decode())
    assert match, f"no hidden {name}"
    return match[1]


def entries(action: str, **fields: Any) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, **fields).order_by("seq"))


def item(world: Any, a: str, b: str, **fields: Any) -> ReviewItem:
    return ReviewItem.objects.create(
        record_a_id=world.records[a],
        record_b_id=world.records[b],
        weight=fields.pop("weight", 3.0),
        probability=fields.pop("probability", 0.6),
        explanation=fields.pop("explanation", EXPLANATION),
        raised_at=clock.now(),
    )


def person_of(world: Any, ref: str) -> int:
    return current_links([world.records[ref]])[world.records[ref]].person


def written() -> tuple[int, ...]:
    return (Decision.objects.count(), Link.objects.count(), Person.objects.count())


def search(client: Client, **fields: str) -> Any:
    params = dict.fromkeys((*views.SEARCH_FIELDS, *views.DOB_FIELDS), "")
    params.update({k.replace("_", "-"): v for k, v in fields.items()})
    return client.get("/people/search", params)


def peter_dob() -> dict[str, str]:
    return {"date_of_birth_day": "1", "date_of_birth_month": "3", "date_of_birth_year": "2006"}


# --- how matches read -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("probability", "words"),
    [
        (0.9995, "Almost certainly the same person"),
        (0.97, "Very likely the same person"),
        (0.8, "Likely the same person"),
        (0.6, "Possibly the same person"),
        (0.05, "Unlikely to be the same person"),
        (0.001, "Very unlikely to be the same person"),
    ],
)
def test_a_probability_reads_as_words(probability, words):
    assert views.likelihood(probability) == words


def test_figures_never_claim_certainty_and_signs_are_spelt_out():
    assert [views.percent(p) for p in (0.9999, 0.6, 0.004)] == [
        "more than 99%",
        "60%",
        "less than 1%",
    ]
    assert [views.weight_text(w) for w in (7.32, -4.96, 0.01)] == ["+7.3", "\u22125.0", "0"]
    assert [views.effect_text(w) for w in (1.8, -4.9, 0)] == [
        "For (+1.8)",
        "Against (\u22124.9)",
        "None",
    ]
    assert views.name_case("o'brien-smith mary") == "O'Brien-Smith Mary"
    assert views._listed(["Given name", "Family name", "NHS number"]) == (
        "Given name, family name and NHS number"
    )
    assert views.level_words("Jaro-Winkler >= 0.92") == "Very similar spelling"


# --- /people/search ---------------------------------------------------------------------------


ALL_ROLES = ["sw_a", "tm_b", "hos", "director", "mash", "school", "nmuh_lead", "analyst",
             "inspector", "sysadmin"]  # fmt: skip


@pytest.mark.parametrize("user_key", ALL_ROLES)
def test_search_is_for_every_role_with_case_content(world, user_key):
    response = as_(world, user_key).get("/people/search")
    expected = 403 if user_key in ("analyst", "sysadmin") else 200
    assert response.status_code == expected
    if expected == 403:
        [refused] = entries(AuditEntry.Action.REFUSED)
        assert refused.detail["why"] == "role may not search for people"
        assert search(as_(world, user_key), family_name="Smith").status_code == 403
    else:
        assert "Find a person" in body(response)
    assert entries(AuditEntry.Action.SEARCH) == []  # showing the form is not a search


def test_search_needs_signing_in(world):
    response = Client().get("/people/search")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in")


def test_search_ranks_people_and_says_how_likely_and_why(world):
    # Anna's worker may search everyone at the front door, Peter included.
    response = search(as_(world, "sw_b"), given_name="Peter", family_name="Smith", **peter_dob())
    assert response.status_code == 200
    text = body(response)
    assert "2 people found, best match first" in text
    first = text.index("Peter Smith")
    assert first < text.index("Tracey Smith")
    assert "Almost certainly the same person (more than 99%)" in text
    assert "Agreed on Given name, family name and date of birth" in text
    assert "1 March 2006" in text
    assert "N17 6AB" in text
    html = response.content.decode()
    assert f'href="/children/{world.people["peter"]}"' in html
    assert f"of person {world.people['peter']}" in html  # the link says whose record
    # The explanation: each detail given, what the record holds, the result and its effect.
    assert "Date of birth 1 March 2006 1 March 2006 Same For (+" in text
    assert "Date of birth 1 March 2006 12 May 1980 Different Against (\u2212" in text
    # Only what identifies the person: no NHS number, no address.
    assert "9434765005" not in html
    assert "943 476 5005" not in html
    assert "Acacia" not in html.replace("acacia", "")
    [searched] = entries(AuditEntry.Action.SEARCH)
    assert searched.username == "sw.b"
    assert searched.detail["query"] == {
        "given_name": "Peter",
        "family_name": "Smith",
        "date_of_birth": "2006-03-01",
    }
    assert str(world.people["peter"]) in searched.person_ids


def test_the_page_finds_people_from_part_of_what_is_known(world):
    client = as_(world, "mash")
    # The first letters of both names.
    text = body(search(client, given_name="Pet", family_name="Smi"))
    assert "Peter Smith" in text
    assert "Tracey Smith" not in text
    assert "Family name Smi Smith Begins with what was asked None" in text
    # A given name alone, and an outward postcode with a family name.
    assert "Anna Jones" in body(search(client, given_name="Anna"))
    text = body(search(client, family_name="Smith", postcode="n17"))
    assert "Peter Smith" in text
    assert "Postcode N17 N17 6AB In the postcode district asked For (+" in text


def test_a_year_of_birth_alone_is_searched_as_a_year(world):
    client = as_(world, "mash")
    text = body(search(client, family_name="Smith", date_of_birth_year="2006"))
    assert text.index("Peter Smith") < text.index("Tracey Smith")  # born 2006; she 1980
    assert "Date of birth Born in 2006 1 March 2006" in text
    [searched] = entries(AuditEntry.Action.SEARCH)
    assert searched.detail["query"] == {"family_name": "Smith", "year_of_birth": 2006}
    refused = search(client, family_name="Smith", date_of_birth_year="1850")
    assert refused.status_code == 400
    [problem] = error_summary(refused)
    assert problem.startswith("Year of birth must be between 1900 and ")
    assert 'href="#date-of-birth-year"' in refused.content.decode()


def test_an_nhs_number_search_says_whether_it_agreed_never_the_number_held(world):
    response = search(as_(world, "mash"), nhs_number="943 476 5005")
    text = body(response)
    assert "Peter Smith" in text
    assert "NHS number 9434765005 Not shown Same For (+" in text
    assert "You gave fewer than 3 details, so no match can be sure" in text


def test_agency_staff_find_only_people_their_agency_holds(world):
    text = body(search(as_(world, "nmuh"), family_name="Smith"))
    assert "Peter Smith" in text
    assert "Tracey Smith" in text
    assert "No one found" in body(search(as_(world, "school"), family_name="Smith"))
    assert {e.basis for e in entries(AuditEntry.Action.SEARCH)} == {"involvement"}


def test_a_search_with_nothing_in_it_asks_for_a_detail(world):
    response = search(as_(world, "sw_a"))
    assert response.status_code == 400
    message = "Enter at least one detail: a name, date of birth, postcode or NHS number"
    assert error_summary(response) == [message]
    assert 'href="#given-name"' in response.content.decode()
    assert 'id="given-name-error"' in response.content.decode()
    assert response.content.decode().count(message) == 2  # the summary and the field
    assert "<title>Error: Find a person" in response.content.decode()
    assert entries(AuditEntry.Action.SEARCH) == []


@pytest.mark.parametrize(
    ("fields", "message", "anchor"),
    [
        ({"date_of_birth_day": "31", "date_of_birth_month": "2", "date_of_birth_year": "2006"},
         "Date of birth must be a real date", "date-of-birth-day"),
        ({"date_of_birth_month": "2", "date_of_birth_year": "2006"},
         "Date of birth must include a day", "date-of-birth-day"),
        ({"date_of_birth_year": "06"}, "Year must include 4 numbers", "date-of-birth-year"),
        ({"date_of_birth_day": "1", "date_of_birth_month": "2", "date_of_birth_year": "08"},
         "Year must include 4 numbers", "date-of-birth-year"),
        ({"date_of_birth_day": "1", "date_of_birth_month": "2", "date_of_birth_year": "2009"},
         "Date of birth must be today or in the past", "date-of-birth-day"),
        ({"nhs_number": "123 456"}, "NHS number must be 10 digits, like 485 777 3456",
         "nhs-number"),
        ({"postcode": "N17; DROP"},
         "Enter a postcode, like AA3 1AB, or the first part of one, like AA3", "postcode"),
        ({"family_name": "x" * 101}, "Family name must be 100 characters or fewer",
         "family-name"),
    ],
)  # fmt: skip
def test_each_detail_is_checked_before_searching(world, fields, message, anchor):
    response = search(as_(world, "sw_a"), given_name="Peter", **fields)
    assert response.status_code == 400
    assert error_summary(response) == [message]
    assert f'href="#{anchor}"' in response.content.decode()
    assert entries(AuditEntry.Action.SEARCH) == []


def test_a_bad_date_marks_only_the_wrong_part(world):
    response = search(
        as_(world, "sw_a"),
        date_of_birth_day="1",
        date_of_birth_month="13",
        date_of_birth_year="2006",
    )
    html = response.content.decode()
    assert re.search(r'govuk-input--error" id="date-of-birth-month"', html)
    assert not re.search(r'govuk-input--error" id="date-of-birth-day"', html)
    assert 'value="13"' in html  # what was typed stays


# --- /review ----------------------------------------------------------------------------------


CASEWORK = {"sw_a", "tm_b", "hos", "mash"}


@pytest.mark.parametrize("user_key", ALL_ROLES)
def test_the_queue_is_for_the_roles_that_decide_links(world, user_key):
    response = as_(world, user_key).get("/review")
    assert response.status_code == (200 if user_key in CASEWORK else 403)
    if user_key not in CASEWORK:
        [refused] = entries(AuditEntry.Action.REFUSED)
        assert refused.detail["why"] == "role may not make linkage decisions"


def test_the_queue_lists_the_pairs_the_user_may_decide_with_both_records(world):
    peter_steven = item(world, "CSC:C1", "MPS:P1", probability=0.97)
    liam_anna = item(world, "NMUH:H3", "SCH:S1")
    response = as_(world, "sw_a").get("/review")
    text = body(response)
    assert "1 pair to review" in text
    assert "Peter Smith 1 March 2006 CSC:C1" in text
    assert "Steven Barker 2 November 1975 MPS:P1" in text
    assert "Very likely the same person (97%)" in text
    assert "15 January 2008" in text
    html = response.content.decode()
    assert f'href="/review/{peter_steven.pk}"' in html
    assert f"/review/{liam_anna.pk}" not in html
    assert "Liam" not in text
    [read] = entries(AuditEntry.Action.READ, object_type="review_queue")
    assert read.detail["items"] == [peter_steven.pk]


def test_an_empty_queue_says_so(world):
    assert "There are no pairs waiting for your review" in body(as_(world, "sw_b").get("/review"))


# --- /review/<id> -----------------------------------------------------------------------------


def test_a_pair_shows_side_by_side_with_how_each_detail_compared(world):
    pair = item(world, "CSC:C1", "MPS:P1")
    response = as_(world, "sw_a").get(f"/review/{pair.pk}")
    assert response.status_code == 200
    text = body(response)
    assert "Review a possible match" in text
    assert "possibly the same person (60%, match weight +3.0)" in text
    assert "The two records side by side" in text
    assert "Given name Peter Steven Same For (+6.3)" in text
    assert "Family name Smith Barker Different Against (\u22124.9)" in text
    assert "Date of birth 1 March 2006 2 November 1975 Not known on one side None" in text
    assert "Postcode N17 6AB N17 6AB Same For (+1.8)" in text
    assert "NHS number 943 476 5005 943 476 5021 Not compared None" in text
    assert "CSC:C1 is part of person" in text
    assert "With 2 other records" in text
    assert "Are these the same person?" in text
    # One audited read of each of the two persons shown, on the user's basis for each.
    reads = entries(AuditEntry.Action.READ, object_type="person")
    assert {(r.object_id, r.basis) for r in reads} == {
        (str(world.people["peter"]), "allocation"),
        (str(world.people["steven"]), "connected"),
    }


@pytest.mark.parametrize(
    ("user_key", "status"),
    [("sw_a", 200), ("hos", 200), ("tm_b", 404), ("mash", 404), ("director", 403),
     ("inspector", 403), ("school", 403), ("nmuh_lead", 403), ("analyst", 403),
     ("sysadmin", 403)],
)  # fmt: skip
def test_a_pair_opens_to_those_who_may_decide_about_both_people(world, user_key, status):
    pair = item(world, "CSC:C1", "MPS:P1")
    assert as_(world, user_key).get(f"/review/{pair.pk}").status_code == status


def test_a_hidden_pair_looks_exactly_like_a_missing_one(world):
    liam_anna = item(world, "NMUH:H3", "SCH:S1")
    client = as_(world, "sw_a")
    hidden_page = client.get(f"/review/{liam_anna.pk}")
    missing_page = client.get(f"/review/{MISSING}")
    assert hidden_page.status_code == missing_page.status_code == 404
    assert body(hidden_page) == body(missing_page)
    refused = entries(AuditEntry.Action.REFUSED, object_type="review_item")
    assert [e.object_id for e in refused] == [str(liam_anna.pk), str(MISSING)]
    assert "Liam" not in body(hidden_page)


def test_a_decision_needs_an_answer_and_a_reason(world):
    pair = item(world, "CSC:C1", "MPS:P1")
    client = as_(world, "sw_a")
    page = client.get(f"/review/{pair.pk}")
    before = written()
    response = client.post(
        f"/review/{pair.pk}", {"form_key": hidden(page, "form_key"), "state": hidden(page, "state")}
    )
    assert response.status_code == 400
    assert error_summary(response) == [
        "Select yes if these records are the same person",
        "Enter why you decided this",
    ]
    html = response.content.decode()
    assert 'href="#same-person"' in html
    assert 'href="#reason"' in html
    assert 'id="same-person-error"' in html
    assert 'id="reason-error"' in html
    assert written() == before
    assert not FormReceipt.objects.exists()


def decide(client: Client, pair: ReviewItem, answer: str, reason: str, **extra: str) -> Any:
    page = client.get(f"/review/{pair.pk}")
    data = {"form_key": hidden(page, "form_key"), "state": hidden(page, "state"),
            "same-person": answer, "reason": reason, **extra}  # fmt: skip
    return client.post(f"/review/{pair.pk}", data), data


def test_saying_no_keeps_the_records_apart_and_records_who_and_why(world):
    pair = item(world, "CSC:C1", "MPS:P1")
    client = as_(world, "sw_a")
    response, _ = decide(client, pair, "no", "Steven is Peter's mother's partner, not Peter")
    assert response.status_code == 302
    assert response["Location"] == "/review"
    [decision] = Decision.objects.all()
    assert (decision.kind, decision.actor, decision.actor_name, decision.reason) == (
        "reject",
        world.user("sw_a"),
        "sw.a",
        "Steven is Peter's mother's partner, not Peter",
    )
    assert decision.review_item == pair
    assert person_of(world, "CSC:C1") != person_of(world, "MPS:P1")
    [write] = entries(AuditEntry.Action.WRITE, object_type="decision")
    assert (write.username, write.detail["kind"], write.detail["review_item"]) == (
        "sw.a",
        "reject",
        pair.pk,
    )
    assert write.detail["reason"] == "Steven is Peter's mother's partner, not Peter"
    queue = client.get("/review")
    assert "Decision saved: CSC:C1 and MPS:P1 are different people" in body(queue)
    assert f"/review/{pair.pk}" not in queue.content.decode()


def test_saying_yes_puts_the_second_record_with_the_first_ones_person(world):
    pair = item(world, "CSC:C1", "NMUH:H2")  # Peter and his mother, wrongly
    response, _ = decide(as_(world, "hos"), pair, "yes", "Checked with the hospital")
    assert response.status_code == 302
    [decision] = Decision.objects.all()
    assert (decision.kind, decision.actor_name) == ("confirm", "hos")
    assert person_of(world, "NMUH:H2") == world.people["peter"]


def test_a_decision_sent_twice_is_recorded_once(world):
    pair = item(world, "CSC:C1", "MPS:P1")
    client = as_(world, "sw_a")
    first, data = decide(client, pair, "no", "Different people")
    again = client.post(f"/review/{pair.pk}", data)
    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"] == "/review"
    assert Decision.objects.count() == 1
    assert len(entries(AuditEntry.Action.WRITE, object_type="decision")) == 1
    assert FormReceipt.objects.get().form == "identity:review"


def test_a_pair_decided_by_someone_else_meanwhile_is_explained_and_not_overwritten(world):
    pair = item(world, "CSC:C1", "MPS:P1")
    client = as_(world, "sw_a")
    page = client.get(f"/review/{pair.pk}")
    # Meanwhile the head of service decides it.
    review_decide(item=pair, same=False, actor=Actor.of(world.user("hos")), reason="Not him")
    response = client.post(
        f"/review/{pair.pk}",
        {"form_key": hidden(page, "form_key"), "state": hidden(page, "state"),
         "same-person": "yes", "reason": "Same boy"},
    )  # fmt: skip
    assert response.status_code == 409
    text = body(response)
    assert "This pair has already been decided" in text
    assert "hos decided on 15 January 2008 at 12:00 that these records are different people" in text
    assert "Their reason: “Not him”" in text
    assert "Save decision" not in text
    assert Decision.objects.count() == 1


def test_a_pair_relinked_since_the_page_was_shown_is_not_decided_blind(world):
    pair = item(world, "CSC:C1", "MPS:P1")
    client = as_(world, "sw_a")
    before = written()
    response, _ = decide(client, pair, "yes", "Same", state="1:1")
    assert response.status_code == 409
    assert error_summary(response) == [
        "These records have been linked differently since you opened this page. "
        "Check them again below before you decide."
    ]
    assert 'href="#compare"' in response.content.decode()
    assert written() == before


def test_a_decided_pair_shows_who_decided_and_no_form(world):
    pair = item(world, "CSC:C1", "MPS:P1")
    review_decide(item=pair, same=False, actor=Actor.of(world.user("sw_a2")), reason="Not him")
    response = as_(world, "sw_a").get(f"/review/{pair.pk}")
    assert response.status_code == 200
    assert "sw.a2 decided on 15 January 2008 at 12:00" in body(response)
    assert '<form method="post" action="/review' not in response.content.decode()


def test_roles_that_do_not_decide_cannot_post_a_decision(world):
    pair = item(world, "CSC:C1", "MPS:P1")
    before = written()
    for key in ("director", "inspector", "nmuh_lead"):
        response = as_(world, key).post(
            f"/review/{pair.pk}",
            {"form_key": str(uuid.uuid4()), "same-person": "no", "reason": "x", "state": ""},
        )
        assert response.status_code == 403, key
    assert written() == before


# --- /people/<id>/merge -----------------------------------------------------------------------


def merge_url(world: Any, key: str = "peter") -> str:
    return f"/people/{world.people[key]}/merge"


@pytest.mark.parametrize(
    ("user_key", "status"),
    [("sw_a", 200), ("hos", 200), ("tm_b", 404), ("mash", 404), ("director", 403),
     ("inspector", 403), ("school", 403), ("nmuh_lead", 403), ("analyst", 403),
     ("sysadmin", 403)],
)  # fmt: skip
def test_the_merge_page_opens_to_those_who_may_decide_about_the_person(world, user_key, status):
    assert as_(world, user_key).get(merge_url(world)).status_code == status


def test_the_merge_page_finds_the_other_person_by_search(world):
    client = as_(world, "sw_a")
    response = client.get(merge_url(world), {"family-name": "Smith"})
    assert response.status_code == 200
    text = body(response)
    assert "Merge another person into Peter Smith" in text
    assert "This person: Peter Smith, person" in text
    assert "1 person found" in text
    assert "Tracey Smith" in text
    html = response.content.decode()
    assert f'href="{merge_url(world)}?other={world.people["tracey"]}"' in html
    [searched] = entries(AuditEntry.Action.SEARCH)
    assert searched.detail["query"] == {"family_name": "Smith"}


def test_choosing_the_other_person_shows_both_side_by_side(world):
    response = as_(world, "sw_a").get(merge_url(world), {"other": world.people["tracey"]})
    assert response.status_code == 200
    text = body(response)
    assert f"Stays: Peter Smith, person {world.people['peter']}" in text
    assert f"Merged into it: Tracey Smith, person {world.people['tracey']}" in text
    assert "NMUH:H2 Tracey Smith, born 12 May 1980" in text
    assert "Why are these the same person?" in text
    reads = entries(AuditEntry.Action.READ, object_type="person")
    assert {r.object_id for r in reads} == {
        str(world.people["peter"]),
        str(world.people["tracey"]),
    }


@pytest.mark.parametrize(
    ("other", "message"),
    [
        ("liam", "There is no person with that number open to you"),
        (str(MISSING), "There is no person with that number open to you"),
        ("peter", "That is this person: enter the number of the other person"),
        ("abc", "Enter a person number, like 1234"),
    ],
)
def test_an_other_person_who_cannot_be_merged_is_a_form_error(world, other, message):
    number = world.people.get(other, other)
    response = as_(world, "sw_a").get(merge_url(world), {"other": number})
    assert response.status_code == 400
    assert error_summary(response) == [message]
    assert 'href="#other"' in response.content.decode()
    if other == "liam":
        assert "Liam" not in body(response)
        [refused] = entries(AuditEntry.Action.REFUSED)
        assert refused.object_id == str(world.people["liam"])


def post_merge(client: Client, world: Any, other: str, reason: str, **extra: str) -> Any:
    page = client.get(merge_url(world), {"other": world.people[other]})
    data = {"form_key": hidden(page, "form_key"), "state": hidden(page, "state"),
            "other": str(world.people[other]), "reason": reason, **extra}  # fmt: skip
    return client.post(merge_url(world), data), data


def test_a_merge_needs_a_reason(world):
    before = written()
    response, _ = post_merge(as_(world, "sw_a"), world, "tracey", "")
    assert response.status_code == 400
    assert error_summary(response) == ["Enter why these are the same person"]
    assert written() == before


def test_a_merge_moves_every_record_and_records_who_and_why(world):
    client = as_(world, "sw_a")
    response, _ = post_merge(client, world, "steven", "Police record is Peter's, name mistyped")
    assert response.status_code == 302
    [decision] = Decision.objects.all()
    assert response["Location"] == f"{merge_url(world)}?merged={decision.pk}"
    assert (decision.kind, decision.person_a_id, decision.person_b_id) == (
        "merge",
        world.people["steven"],
        world.people["peter"],
    )
    assert (decision.actor, decision.reason) == (
        world.user("sw_a"),
        "Police record is Peter's, name mistyped",
    )
    assert person_of(world, "MPS:P1") == world.people["peter"]
    [write] = entries(AuditEntry.Action.WRITE, object_type="decision")
    assert (write.username, write.detail["kind"], write.detail["reason"]) == (
        "sw.a",
        "merge",
        "Police record is Peter's, name mistyped",
    )
    done = client.get(response["Location"])
    assert done.status_code == 200
    text = body(done)
    assert "Records merged" in text
    assert f"Person {world.people['steven']} is now part of Peter Smith" in text
    assert "1 record moved: MPS:P1" in text
    assert f'href="/decisions/{decision.pk}/unmerge"' in done.content.decode()


def test_a_merge_sent_twice_is_recorded_once(world):
    client = as_(world, "sw_a")
    first, data = post_merge(client, world, "steven", "Same boy")
    again = client.post(merge_url(world), data)
    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"]
    assert Decision.objects.count() == 1


def test_a_merge_of_people_whose_records_changed_meanwhile_is_stopped(world):
    client = as_(world, "sw_a")
    page = client.get(merge_url(world), {"other": world.people["steven"]})
    # Meanwhile Tracey is merged into Peter by someone else.
    person_merge(person_a=world.person("tracey"), person_b=world.person("peter"),
                 actor=Actor(name="operator"), reason="Same")  # fmt: skip
    before = written()
    response = client.post(
        merge_url(world),
        {"form_key": hidden(page, "form_key"), "state": hidden(page, "state"),
         "other": str(world.people["steven"]), "reason": "Same boy"},
    )  # fmt: skip
    assert response.status_code == 409
    assert error_summary(response) == [
        "The records of these people have changed since you opened this page. "
        "Check them again below before you merge."
    ]
    assert written() == before
    assert "NMUH:H2" in body(response)  # shown as they are now


def test_a_merge_the_service_refuses_says_why(world):
    # Someone decided earlier that Peter's and Steven's records are different people.
    link_reject(
        record_a=PersonRecord.objects.get(pk=world.records["CSC:C1"]),
        record_b=PersonRecord.objects.get(pk=world.records["MPS:P1"]),
        actor=Actor(name="Sam Taylor"),
        reason="Father figure, not the child",
    )
    before = written()
    response, _ = post_merge(as_(world, "sw_a"), world, "steven", "Same boy")
    assert response.status_code == 409
    [problem] = error_summary(response)
    assert problem.startswith("MPS:P1 and CSC:C1 were decided to be different people by decision")
    assert "Sam Taylor" in problem
    assert "that decision must be revisited first" in problem
    assert written() == before


def test_the_merged_page_is_only_for_that_merge(world):
    client = as_(world, "sw_a")
    assert client.get(merge_url(world), {"merged": MISSING}).status_code == 404
    assert client.get(merge_url(world), {"merged": "x"}).status_code == 404


# --- /decisions/<id>/unmerge ------------------------------------------------------------------


def wrong_merge(world: Any, a: str = "steven", b: str = "peter") -> Decision:
    return person_merge(person_a=world.person(a), person_b=world.person(b),
                        actor=Actor(name="Jo Bell"), reason="Looked the same")  # fmt: skip


def test_the_unmerge_page_shows_what_the_merge_did_and_what_undoing_restores(world):
    merge = wrong_merge(world)
    response = as_(world, "sw_a").get(f"/decisions/{merge.pk}/unmerge")
    assert response.status_code == 200
    text = body(response)
    assert f"Merged Person {world.people['steven']} into person {world.people['peter']}" in text
    assert "By Jo Bell On 15 January 2008 at 12:00 Reason given Looked the same" in text
    assert f"Stay with person {world.people['peter']}" in text
    assert f"Back to person {world.people['steven']} MPS:P1 Steven Barker" in text
    assert "Why was this merge wrong?" in text


@pytest.mark.parametrize(
    ("user_key", "status"),
    [("sw_a", 200), ("hos", 200), ("tm_b", 404), ("mash", 404), ("sw_b", 404),
     ("director", 403), ("inspector", 403), ("school", 403), ("nmuh_lead", 403),
     ("analyst", 403), ("sysadmin", 403)],
)  # fmt: skip
def test_an_unmerge_is_for_those_who_may_decide_about_the_merged_person(world, user_key, status):
    merge = wrong_merge(world)
    assert as_(world, user_key).get(f"/decisions/{merge.pk}/unmerge").status_code == status


def test_only_a_merge_can_be_undone_and_a_missing_one_is_not_found(world):
    pair = item(world, "CSC:C1", "MPS:P1")
    reject = review_decide(item=pair, same=False, actor=Actor(name="op"), reason="No")
    client = as_(world, "sw_a")
    assert client.get(f"/decisions/{reject.pk}/unmerge").status_code == 404
    assert client.get(f"/decisions/{MISSING}/unmerge").status_code == 404


def post_unmerge(client: Client, merge: Decision, reason: str, **extra: str) -> Any:
    page = client.get(f"/decisions/{merge.pk}/unmerge", extra)
    data = {"form_key": hidden(page, "form_key"), "next": hidden(page, "next"), "reason": reason}
    return client.post(f"/decisions/{merge.pk}/unmerge", data), data


def test_an_unmerge_needs_a_reason(world):
    merge = wrong_merge(world)
    before = written()
    response, _ = post_unmerge(as_(world, "sw_a"), merge, "")
    assert response.status_code == 400
    assert error_summary(response) == ["Enter why this merge was wrong"]
    assert written() == before


def test_an_unmerge_restores_the_records_and_records_who_and_why(world):
    merge = wrong_merge(world)
    client = as_(world, "sw_a")
    response, data = post_unmerge(client, merge, "Steven is an adult, not Peter",
                                  next=f"/children/{world.people['peter']}")  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == f"/children/{world.people['peter']}"
    undo = Decision.objects.get(kind="unmerge")
    assert (undo.undoes, undo.actor, undo.reason) == (
        merge,
        world.user("sw_a"),
        "Steven is an adult, not Peter",
    )
    assert person_of(world, "MPS:P1") == world.people["steven"]
    write = entries(AuditEntry.Action.WRITE, object_type="decision")[-1]
    assert (write.username, write.detail["kind"], write.detail["undoes"]) == (
        "sw.a",
        "unmerge",
        merge.pk,
    )
    # Sent again: nothing more is recorded, and it goes where the first went.
    again = client.post(f"/decisions/{merge.pk}/unmerge", data)
    assert again.status_code == 302
    assert again["Location"] == response["Location"]
    assert Decision.objects.filter(kind="unmerge").count() == 1
    # The head of service, who sees both, is told it was undone, by whom and why.
    text = body(as_(world, "hos").get(f"/decisions/{merge.pk}/unmerge"))
    assert "This merge has already been undone" in text
    assert "sw.a undid it on 15 January 2008 at 12:00" in text
    assert "Undo the merge" not in text


def test_an_unmerge_goes_only_to_a_page_on_jigsaw(world):
    merge = wrong_merge(world)
    response, _ = post_unmerge(as_(world, "sw_a"), merge, "Wrong", next="https://evil.example/")
    assert response["Location"] == "/"


def test_an_unmerge_refused_because_records_moved_since_shows_the_services_message(world):
    merge = wrong_merge(world, a="tracey", b="peter")
    client = as_(world, "sw_a")
    page = client.get(f"/decisions/{merge.pk}/unmerge")
    assert "Undo the merge" in body(page)
    # Meanwhile someone puts the hospital's record of Tracey back with her on its own.
    link_confirm(
        record=PersonRecord.objects.get(pk=world.records["NMUH:H2"]),
        person=world.person("tracey"),
        actor=Actor(name="Kim Lee"),
        reason="The mother's record",
    )
    before = written()
    response = client.post(
        f"/decisions/{merge.pk}/unmerge",
        {"form_key": hidden(page, "form_key"), "next": "/", "reason": "Wrong"},
    )
    assert response.status_code == 409
    [problem] = error_summary(response)
    assert problem.startswith(f"Cannot unmerge decision {merge.pk}: records were moved by later")
    assert "NMUH:H2 is now in person" in problem
    assert "Kim Lee" in problem
    assert written() == before
    text = body(response)
    assert "This merge cannot be undone as things stand" in text
    assert "NMUH:H2 : confirmed as another person's by Kim Lee on 15 January 2008 at 12:00" in text
    assert "Undo the merge" not in text


def test_the_queue_costs_the_same_queries_however_many_pairs_wait(
    world, django_assert_max_num_queries
):
    client = as_(world, "hos")
    item(world, "CSC:C1", "MPS:P1")
    with django_assert_max_num_queries(60) as one:
        client.get("/review")
    for a, b in (("CSC:C2", "MPS:P1"), ("NMUH:H3", "SCH:S1"), ("SCH:S2", "CSC:C3")):
        item(world, a, b)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert "4 pairs to review" in body(client.get("/review"))
