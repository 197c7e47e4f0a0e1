"""The link review: a social worker looks at two agency records side by side and says whether
they are the same person."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# Team A (the social workers who sign in) holds Amara's case, so her records and her mother
# Grace's are theirs to decide about. Two pairs wait for review: Amara's and Grace's hospital
# records (alike in name and address), and two of Amara's own records the matcher linked but a
# person should confirm. The ids are left in the server's working directory for the tests.
SCENE = """
import json
from jigsaw.access.models import Team
from jigsaw.casework.services import allocation_set
from jigsaw.core.clock import clock
from jigsaw.identity.linking import current_links, current_records, explanation_json, stored_model
from jigsaw.identity.matching.engine import score_pair
from jigsaw.identity.models import Person, ReviewItem
from jigsaw.records.models import PersonRecord

def record(code, local_id):
    return PersonRecord.objects.get(agency__code=code, local_id=local_id)

def raise_item(a, b):
    current = current_records([a.pk, b.pk])
    scored = score_pair(stored_model().model, current[a.pk].rec, current[b.pk].rec)
    return ReviewItem.objects.create(
        record_a=a, record_b=b, weight=scored.weight, probability=scored.probability,
        explanation=explanation_json(scored.explanation), raised_at=clock.now())

amara = record("NGH", "H-1001")
person = Person.objects.get(pk=current_links([amara.pk])[amara.pk].person)
allocation_set(person=person, team=Team.objects.get(name="Team A"), reason="assessment")
items = {
    "amara_grace": raise_item(amara, record("NGH", "H-1002")).pk,
    "amara_twice": raise_item(record("NCS", "C-77"), record("ESC", "P-501")).pk,
}
open("review-items.json", "w").write(json.dumps(items))
"""


@pytest.fixture(scope="module")
def items(jigsaw_server):
    jigsaw_server.shell(SCENE)
    return json.loads((jigsaw_server.workdir / "review-items.json").read_text())


def cells(page, row_header):
    """The cells of the side-by-side table's row for one detail."""
    row = page.locator("#compare tbody tr", has=page.locator("th", has_text=row_header))
    return row.locator("td").all_inner_texts()


def test_a_social_worker_decides_a_pair_is_two_people(ui, items):
    # Given a signed-in social worker
    ui.sign_in()
    # When they open the link review from the service navigation
    nav = ui.page.get_by_role("navigation", name="Jigsaw menu")
    nav.get_by_role("link", name="Link review").click()
    # Then the pair of Amara's and Grace's hospital records waits, with both names and births
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("Link review")
    expect(ui.page.locator("table caption")).to_have_text("1 pair to review")
    row = ui.page.locator("table tbody tr").first
    expect(row).to_contain_text("Amara Okafor")
    expect(row).to_contain_text("14 May 2021")
    expect(row).to_contain_text("Grace Okafor")
    expect(row).to_contain_text("30 August 1996")
    expect(nav.get_by_role("link", name="Link review")).to_have_attribute("aria-current", "true")
    ui.check("review-queue")
    # When they open the pair
    row.get_by_role("link", name="Review Amara Okafor and Grace Okafor").click()
    # Then the two records show side by side, with how each detail compared
    expect(ui.page).to_have_url(ui.url(f"/review/{items['amara_grace']}"))
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("Review a possible match")
    headers = ui.page.locator("#compare thead th")
    expect(headers).to_have_text(
        ["Detail", "NGH:H-1001", "NGH:H-1002", "How they compare", "Effect on the match"]
    )
    assert cells(ui.page, "Given name")[:3] == ["Amara", "Grace", "Different"]
    assert cells(ui.page, "Date of birth")[:2] == ["14 May 2021", "30 August 1996"]
    assert cells(ui.page, "Family name")[2] == "Same"
    assert cells(ui.page, "Family name")[3].startswith("For (+")
    ui.check("review-item")
    # When they save without answering
    ui.page.get_by_role("button", name="Save decision").click()
    # Then they are told what is missing, in the summary and on each question
    summary = ui.page.locator(".govuk-error-summary__list a")
    expect(summary).to_have_text(
        ["Select yes if these records are the same person", "Enter why you decided this"]
    )
    expect(ui.page).to_have_title(re.compile("^Error: "))
    ui.check("review-item-errors")
    summary.first.click()
    expect(ui.page.get_by_label("Yes, the same person")).to_be_focused()
    # When they say these are different people, and why
    ui.page.get_by_label("No, different people").check()
    ui.page.get_by_label("Why did you decide this?").fill(
        "Grace is Amara's mother: born 25 years apart"
    )
    ui.page.get_by_role("button", name="Save decision").click()
    # Then they are back at the queue, told the decision is saved, and the pair has gone
    expect(ui.page).to_have_url(ui.url("/review"))
    expect(ui.page.locator(".govuk-notification-banner")).to_contain_text(
        "Decision saved: NGH:H-1001 and NGH:H-1002 are different people"
    )
    expect(ui.page.get_by_text("There are no pairs waiting for your review")).to_be_visible()
    ui.check("review-decided")
    # And opening the pair again says who decided what, and why, with no form to change it
    ui.visit(f"/review/{items['amara_grace']}")
    banner = ui.page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text("This pair has already been decided")
    expect(banner).to_contain_text(f"{ui.account.username} decided on")
    expect(banner).to_contain_text("that these records are different people")
    expect(banner).to_contain_text("Grace is Amara's mother")
    expect(ui.page.get_by_role("button", name="Save decision")).to_have_count(0)
    ui.check("review-already-decided")


def test_confirming_a_pair_works_without_javascript(ui_without_js, items):
    ui = ui_without_js
    # Given a signed-in social worker whose browser runs no JavaScript
    ui.sign_in()
    # When they open a pair of two of Amara's records that the matcher has put together
    ui.visit(f"/review/{items['amara_twice']}")
    # Then they are told the records are already one person's, and see them side by side
    expect(ui.page.get_by_text("have since been linked to the same person")).to_be_visible()
    assert cells(ui.page, "Given name")[:2] == ["Amara", "Amara"]
    ui.check("review-confirm")
    # When they confirm that these are the same person
    ui.page.get_by_label("Yes, the same person").check()
    ui.page.get_by_label("Why did you decide this?").fill("Same date of birth and address")
    ui.page.get_by_role("button", name="Save decision").click()
    # Then the decision is saved and they are back at the queue
    expect(ui.page).to_have_url(ui.url("/review"))
    expect(ui.page.locator(".govuk-notification-banner")).to_contain_text(
        "Decision saved: NCS:C-77 and ESC:P-501 are the same person"
    )
    ui.check("review-confirmed")


def test_finding_a_person_says_how_sure_each_match_is(ui):
    # Given a signed-in social worker on "Find a person"
    ui.sign_in()
    ui.page.get_by_role("navigation", name="Jigsaw menu").get_by_role(
        "link", name="Find a person"
    ).click()
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("Find a person")
    ui.check("find-a-person")
    # When they search with nothing filled in
    ui.page.get_by_role("button", name="Search").click()
    # Then they are asked for at least one detail
    expect(ui.page.locator(".govuk-error-summary__list a")).to_have_text(
        ["Enter at least one detail: a name, date of birth, postcode or NHS number"]
    )
    ui.check("find-a-person-error")
    # When they give Amara's name and date of birth
    ui.page.get_by_label("Given name").fill("Amara")
    ui.page.get_by_label("Family name").fill("Okafor")
    ui.page.get_by_label("Day").fill("14")
    ui.page.get_by_label("Month").fill("5")
    ui.page.get_by_label("Year").fill("2021")
    ui.page.get_by_role("button", name="Search").click()
    # Then Amara comes first, said in words to be almost certainly the person
    first = ui.page.locator(".govuk-summary-card").first
    expect(first.locator("h3")).to_have_text("Amara Okafor")
    expect(first).to_contain_text("Almost certainly the same person")
    expect(first).to_contain_text("Given name, family name and date of birth")
    # And how the match was scored is there for whoever wants it
    ui.page.get_by_text("How Amara Okafor was matched").first.click()
    expect(ui.page.locator(".govuk-details__text table").first).to_contain_text("14 May 2021")
    ui.check("find-a-person-results")
