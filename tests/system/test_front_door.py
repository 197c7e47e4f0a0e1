"""The front door: a MASH practitioner triages a contact from start to finish, naming the
adults it is about (one found by searching, one recorded new after a search)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def jigsaw_server(tmp_path_factory: pytest.TempPathFactory, system_template: Any) -> Iterator[Any]:
    """A server for this module only: the people it records at the front door would change
    what other modules count on the shared one."""
    yield from serve(tmp_path_factory, system_template)


# The server's accounts are Team A's social workers: the front door needs one of its own.
MASH_USERNAME = "mo.ahmed"
MASH_PASSWORD = "lantern-triage-harbour-velvet"
MASH_SECRET = bytes.fromhex("6d6173682d66726f6e742d646f6f722d74657374")  # 20 bytes, as TOTP's
ADD_MASH_ACCOUNT = f"""
from django_otp.plugins.otp_totp.models import TOTPDevice
from jigsaw.access.services import user_create

made = user_create(username={MASH_USERNAME!r}, role="mash_practitioner", team="MASH",
                   password={MASH_PASSWORD!r}, first_name="Mo", last_name="Ahmed")
TOTPDevice.objects.filter(user=made.user).update(key={MASH_SECRET.hex()!r})
"""


@pytest.fixture(scope="module")
def mash_account(jigsaw_server):
    """A MASH practitioner's account (password and authenticator secret known to the tests)."""
    jigsaw_server.shell(ADD_MASH_ACCOUNT)
    account_type = type(jigsaw_server.new_starter)
    return account_type(MASH_USERNAME, MASH_PASSWORD, MASH_SECRET)


def sign_in_to_the_front_door(ui, account):
    ui._account = account
    ui.sign_in()
    ui.page.get_by_role("navigation", name="Jigsaw menu").get_by_role(
        "link", name="Front door"
    ).click()
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("Front door")


def record_who_raised_it(page, summary):
    page.get_by_label("Agency", exact=True).select_option(label="Riverside Primary School")
    page.get_by_label("Their name").fill("Ms K Hughes")
    page.get_by_label("Their role (optional)").fill("Designated safeguarding lead")
    page.get_by_label("How to contact them (optional)").fill("01632 960 123")
    page.get_by_label("What is the worry?").fill(summary)
    page.get_by_role("button", name="Continue").click()


def search_for(page, given, family):
    page.get_by_label("Given name").fill(given)
    page.get_by_label("Family name").fill(family)
    page.get_by_role("button", name="Search").click()


def test_a_mash_practitioner_triages_a_contact_end_to_end(ui, mash_account):
    page = ui.page
    # Given a MASH practitioner on the front door
    sign_in_to_the_front_door(ui, mash_account)
    ui.check("front-door")

    # When they record a new contact, first forgetting to say what the worry is
    page.get_by_role("button", name="Record a new contact").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Who raised it, and what is the worry?"
    )
    record_who_raised_it(page, "")
    # Then they are told, at the top and on the field
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link")).to_have_text("Enter what the worry is")
    expect(page.locator("#summary-error")).to_contain_text("Enter what the worry is")
    ui.check("who-raised-it-error")

    # When they say what it is
    page.get_by_label("What is the worry?").fill(
        "Tomasz came to school with a cut lip and said his dad's friend did it."
    )
    page.get_by_role("button", name="Continue").click()
    # Then they search for the child and see who the search found, and why
    expect(page.get_by_role("heading", level=1)).to_have_text("Find the child")
    search_for(page, "Tomasz", "Nowak")
    expect(page.locator("#results")).to_have_text(re.compile(r"1 person found"))
    candidate = page.get_by_label("Tomasz Nowak")
    expect(page.locator(".govuk-radios__hint").first).to_contain_text(
        "Agreed: given name, family name"
    )
    expect(page.get_by_label("None of these: record a new child")).to_be_visible()
    ui.check("child-search")
    candidate.check()
    page.get_by_role("button", name="Continue").click()

    # When they search for the adult Tomasz named, his dad's friend Danny Price
    expect(page.get_by_role("heading", level=1)).to_have_text("Adults named in the contact")
    expect(page.get_by_text("None added yet. The child is Tomasz Nowak.")).to_be_visible()
    search_for(page, "Danny", "Price")
    # Then the police's record of Daniel Price is found by his other name
    expect(page.locator("#results")).to_have_text(re.compile(r"1 person found"))
    expect(page.get_by_label("Daniel Price")).to_be_visible()
    expect(page.get_by_label("None of these: record a new adult")).to_be_visible()
    ui.check("adult-search")
    # When they add him without saying how he is related to Tomasz
    page.get_by_label("Daniel Price").check()
    page.get_by_role("button", name="Add this adult").click()
    # Then they are asked, and the person they chose is still chosen
    expect(page.locator(".govuk-error-summary__list a")).to_have_text(
        ["Select how they are related to the child"]
    )
    expect(page.get_by_label("Daniel Price")).to_be_checked()
    ui.check("adult-role-error")
    page.get_by_label("Other adult").check()
    page.get_by_role("button", name="Add this adult").click()
    # Then he is on the contact, and can still be removed
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Daniel Price added")
    adults = page.locator(
        "table", has=page.get_by_role("columnheader", name="Relationship to the child")
    )
    expect(adults.locator("tbody tr")).to_have_count(1)
    expect(adults).to_contain_text("Daniel Price")
    expect(adults).to_contain_text("Other adult")
    expect(page.get_by_role("button", name="Remove Daniel Price")).to_be_visible()
    ui.check("adult-added")

    # When they continue and check their answers
    page.get_by_role("button", name="Continue").last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check the contact before you record it"
    )
    answers = page.locator(".govuk-summary-list")
    expect(answers.first).to_contain_text("Riverside Primary School")
    expect(answers.first).to_contain_text("Ms K Hughes")
    expect(answers.last).to_contain_text("Tomasz Nowak")
    expect(answers.last).to_contain_text("Daniel Price")
    ui.check("check-answers")
    page.get_by_role("button", name="Record contact").click()

    # Then the contact is recorded, with the decision's due time and what agencies know
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact about Tomasz Nowak")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Contact recorded")
    expect(page.locator("#timer")).to_contain_text(re.compile(r"Decide by \S+ \w+day \d+ \w+"))
    expect(page.get_by_role("heading", name=re.compile("What the agencies know"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"^Tomasz Nowak"))).to_be_visible()
    ui.check("contact")

    # When they rate it red
    page.get_by_label("Red: the child may be at immediate risk").check()
    page.get_by_label("Why this rating?").fill("Injury to the face, alleged by an adult")
    page.get_by_role("button", name="Save rating").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Contact rated Red")
    expect(page.locator(".govuk-summary-list")).to_contain_text(
        "Injury to the face, alleged by an adult"
    )

    # And decide on a strategy discussion
    page.get_by_label("Strategy discussion").check()
    page.get_by_label("Reason for the decision").fill(
        "Physical injury disclosed; police to be involved today."
    )
    page.get_by_role("button", name="Record decision").click()

    # Then the decision and how long it took are shown, and nothing more can be decided
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Decision recorded: Strategy discussion"
    )
    expect(page.locator("#timer")).to_contain_text(
        re.compile(r"Decided in (less than a minute|\d+ minutes?)")
    )
    expect(page.get_by_role("button", name="Record decision")).to_have_count(0)
    ui.check("decided")

    # And the front door lists it among those decided in the last day
    page.get_by_role("link", name="Front door").first.click()
    decided = page.locator("table").last
    expect(decided).to_contain_text("Tomasz Nowak")
    expect(decided).to_contain_text("Strategy discussion")
    ui.check("front-door-after")


def test_recording_a_contact_works_without_javascript(ui_without_js, mash_account):
    ui, page = ui_without_js, ui_without_js.page
    # Given a MASH practitioner whose browser runs no JavaScript
    sign_in_to_the_front_door(ui, mash_account)
    # When they record a contact about Leo
    page.get_by_role("button", name="Record a new contact").click()
    record_who_raised_it(page, "Leo has missed school all week and his mother is not answering.")
    search_for(page, "Leo", "Whitfield")
    page.get_by_label("Leo Whitfield").check()
    page.get_by_role("button", name="Continue").click()
    ui.check("adults-without-javascript")
    # And his mother, whom no agency has told Jigsaw about: searched for, then recorded new
    search_for(page, "Karen", "Whitfield")
    # (the search finds Leo, by his family name: she is not him)
    expect(page.locator("#results")).to_have_text(re.compile(r"1 person found"))
    expect(page.get_by_label("Leo Whitfield")).to_be_visible()
    page.get_by_label("None of these: record a new adult").check()
    page.get_by_label("Parent", exact=True).check()
    ui.check("new-adult-without-javascript")
    page.get_by_role("button", name="Add this adult").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Karen Whitfield added")
    expect(page.get_by_text("Karen Whitfield (new record)")).to_be_visible()
    page.get_by_role("button", name="Continue").last.click()
    expect(page.locator(".govuk-summary-list").last).to_contain_text("Karen Whitfield")
    page.get_by_role("button", name="Record contact").click()
    # Then it is recorded, waiting for a decision, with Leo's mother on it
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact about Leo Whitfield")
    expect(page.locator("#timer")).to_contain_text("Decide by")
    expect(page.get_by_role("heading", name=re.compile(r"^Karen Whitfield"))).to_be_visible()
    ui.check("contact-without-javascript")
